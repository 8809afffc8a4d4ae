import FerryJSON
import Foundation

/// Turns an `ExpressionNode` tree into nested closures.
///
/// Everything that can be decided once is decided here: function names and
/// argument counts, regular expressions, time zones and rounding places given
/// as constants, and the shape of field paths.
enum ExpressionCompiler {
    static func compile(_ node: ExpressionNode) throws(ExpressionError) -> ExpressionEvaluator {
        switch node {
        case .literal(let value, _):
            return { _ in value }
        case .path(let steps, _):
            return compilePath(steps)
        case .call(let name, let arguments, let column):
            return try ExpressionFunctions.compile(name, arguments, column: column)
        case .negate(let operand, let column):
            let evaluate = try compile(operand)
            return { scope throws(ExpressionFailure) in
                try ExpressionArithmetic.apply(.subtract, .int(0), try evaluate(scope), column: column)
            }
        case .not(let operand, let column):
            let evaluate = try compile(operand)
            return { scope throws(ExpressionFailure) in
                .bool(!(try truth(try evaluate(scope), column: column, context: "'not'")))
            }
        case .binary(let op, let leftNode, let rightNode, let column):
            let left = try compile(leftNode)
            let right = try compile(rightNode)
            switch op {
            case .and:
                return { scope throws(ExpressionFailure) in
                    guard try truth(try left(scope), column: leftNode.column, context: "'and'") else {
                        return .bool(false)
                    }
                    return .bool(try truth(try right(scope), column: rightNode.column, context: "'and'"))
                }
            case .or:
                return { scope throws(ExpressionFailure) in
                    if try truth(try left(scope), column: leftNode.column, context: "'or'") { return .bool(true) }
                    return .bool(try truth(try right(scope), column: rightNode.column, context: "'or'"))
                }
            case .concatenate:
                return { scope throws(ExpressionFailure) in .string(try left(scope).text + (try right(scope)).text) }
            case .add, .subtract, .multiply, .divide:
                if op == .add, let text = [leftNode, rightNode].lazy.compactMap(literalText).first {
                    throw ExpressionError(
                        column: column, message: "'+' adds numbers, and \"\(text)\" is text; join text with '&'")
                }
                return { scope throws(ExpressionFailure) in
                    try ExpressionArithmetic.apply(op, try left(scope), try right(scope), column: column)
                }
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
                return { scope throws(ExpressionFailure) in
                    try ExpressionComparison.apply(op, try left(scope), try right(scope), column: column)
                }
            }
        }
    }

    /// A string literal that is not numeric text, which `+` can never add.
    private static func literalText(_ node: ExpressionNode) -> String? {
        guard case .literal(.string(let text), _) = node, ExpressionValue.decimal(fromText: Substring(text)) == nil
        else { return nil }
        return text
    }

    /// A condition operand: true or false, with null counting as false.
    static func truth(_ value: ExpressionValue, column: Int, context: String) throws(ExpressionFailure) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .null: return false
        default:
            throw ExpressionFailure(
                column: column, message: "\(context) expects true or false, got \(value.kind) \(value.quoted)")
        }
    }

    private static func compilePath(_ steps: [ExpressionNode.PathStep]) -> ExpressionEvaluator {
        let fansOut = steps.contains { step in
            switch step {
            case .every, .everyWhere: return true
            case .key, .index: return false
            }
        }
        if !fansOut {
            // The common case: one value, read through FieldPath's loop.
            let path = FieldPath(
                components: steps.map { step in
                    if case .index(let index) = step { return .index(index) }
                    if case .key(let key) = step { return .key(key) }
                    return .index(0)
                })
            return { scope in ExpressionValue(path.value(in: scope.record)) }
        }
        return { scope in
            var found: [JSONValue] = []
            collect(.object(scope.record), steps[...], into: &found)
            return .array(found)
        }
    }

    /// The values a path with `[*]` reaches; missing levels contribute nothing.
    private static func collect(
        _ value: JSONValue, _ steps: ArraySlice<ExpressionNode.PathStep>, into found: inout [JSONValue]
    ) {
        guard let step = steps.first else {
            found.append(value)
            return
        }
        switch (step, value) {
        case (.key(let key), .object(let object)):
            if let child = object[key] { collect(child, steps.dropFirst(), into: &found) }
        case (.index(let index), .array(let elements)) where index < elements.count:
            collect(elements[index], steps.dropFirst(), into: &found)
        case (.every, .array(let elements)):
            for element in elements { collect(element, steps.dropFirst(), into: &found) }
        case (.everyWhere(let flag, let wanted), .array(let elements)):
            for element in elements where (element[flag]?.boolValue == true) == wanted {
                collect(element, steps.dropFirst(), into: &found)
            }
        default: break
        }
    }
}
