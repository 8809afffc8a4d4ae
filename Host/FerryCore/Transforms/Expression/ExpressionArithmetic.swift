import FerryJSON
import Foundation

/// `+ - * /` on integers and exact decimals.
///
/// Integers stay integers while they fit `Int64`; anything with a fraction is
/// computed as a base-10 `Decimal`, so money never goes through `Double`.
/// Numeric text (`"12.50"`) counts as a number, `"NaN"` and null as no value
/// (the result is null), and division by zero gives null.
enum ExpressionArithmetic {
    /// A number read from a value.
    enum Number {
        case int(Int64)
        case decimal(Decimal)

        var decimal: Decimal {
            switch self {
            case .int(let integer): return Decimal(integer)
            case .decimal(let decimal): return decimal
            }
        }

        var value: ExpressionValue {
            switch self {
            case .int(let integer): return .int(integer)
            case .decimal(let decimal): return .decimal(decimal)
            }
        }
    }

    static func apply(
        _ op: ExpressionNode.BinaryOperator, _ left: ExpressionValue, _ right: ExpressionValue, column: Int
    ) throws(ExpressionFailure) -> ExpressionValue {
        guard let a = try number(left, column: column, operator: op),
            let b = try number(right, column: column, operator: op)
        else { return .null }
        if case .int(let x) = a, case .int(let y) = b {
            switch op {
            case .add:
                let (sum, overflow) = x.addingReportingOverflow(y)
                if !overflow { return .int(sum) }
            case .subtract:
                let (difference, overflow) = x.subtractingReportingOverflow(y)
                if !overflow { return .int(difference) }
            case .multiply:
                let (product, overflow) = x.multipliedReportingOverflow(by: y)
                if !overflow { return .int(product) }
            default:
                if y == 0 { return .null }
                if y != -1, x % y == 0 { return .int(x / y) }
            }
        }
        let x = a.decimal
        let y = b.decimal
        let result: Decimal
        switch op {
        case .add: result = x + y
        case .subtract: result = x - y
        case .multiply: result = x * y
        default:
            if y.isZero { return .null }
            result = x / y
        }
        guard result.isFinite else {
            throw ExpressionFailure(column: column, message: "'\(op.rawValue)': the result is too large")
        }
        return .decimal(result)
    }

    /// An operand as a number; the message (built only on failure) names the operator.
    private static func number(_ value: ExpressionValue, column: Int, operator op: ExpressionNode.BinaryOperator)
        throws(ExpressionFailure) -> Number?
    {
        switch value {
        case .int(let integer): return .int(integer)
        case .decimal(let decimal): return .decimal(decimal)
        case .null: return nil
        default: return try number(value, column: column, context: "'\(op.rawValue)'")
        }
    }

    /// The value as a number; nil for null, NaN and `"NaN"`.
    /// - Throws: `ExpressionFailure` naming `context` for text that is not a number and other types.
    static func number(_ value: ExpressionValue, column: Int, context: String) throws(ExpressionFailure) -> Number? {
        switch value {
        case .null: return nil
        case .int(let integer): return .int(integer)
        case .decimal(let decimal): return .decimal(decimal)
        case .string(let text):
            if let number = number(text: text) { return number }
            if text.trimmingCharacters(in: .whitespaces).lowercased() == "nan" { return nil }
            throw ExpressionFailure(column: column, message: "\(context) expects numbers, got text \(value.quoted)")
        default:
            throw ExpressionFailure(
                column: column, message: "\(context) expects numbers, got \(value.kind) \(value.quoted)")
        }
    }

    /// A record's JSON value as a number, for aggregates; nil for null and non-finite doubles.
    static func number(_ value: JSONValue, column: Int, context: String) throws(ExpressionFailure) -> Number? {
        switch value {
        case .int(let integer): return .int(integer)
        case .null: return nil
        default: return try number(ExpressionValue(value), column: column, context: context)
        }
    }

    /// Decimal text (surrounding spaces allowed) as a number.
    static func number(text: String) -> Number? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let integer = Int64(trimmed) { return .int(integer) }
        guard let decimal = ExpressionValue.decimal(fromText: Substring(trimmed)) else { return nil }
        return .decimal(decimal)
    }
}

/// `== != < <= > >=`. Numbers compare numerically (numeric text included
/// when the other side is a number), text by code point, so ISO dates order
/// chronologically. Null equals only null, and orders against nothing (false).
enum ExpressionComparison {
    static func apply(
        _ op: ExpressionNode.BinaryOperator, _ left: ExpressionValue, _ right: ExpressionValue, column: Int
    ) throws(ExpressionFailure) -> ExpressionValue {
        if op == .equal || op == .notEqual {
            let same = equal(left, right)
            return .bool(op == .equal ? same : !same)
        }
        if left == .null || right == .null { return .bool(false) }
        guard let order = try order(left, right, column: column, context: "'\(op.rawValue)'") else {
            return .bool(false)
        }
        switch op {
        case .less: return .bool(order < 0)
        case .lessOrEqual: return .bool(order <= 0)
        case .greater: return .bool(order > 0)
        default: return .bool(order >= 0)
        }
    }

    /// Equality where 1, 1.0 and (against a number) "1.00" are the same number.
    static func equal(_ left: ExpressionValue, _ right: ExpressionValue) -> Bool {
        if let a = numeric(left, against: right), let b = numeric(right, against: left) { return a == b }
        return left == right
    }

    /// -1, 0 or 1; nil when either side is not a number (NaN text).
    /// - Throws: `ExpressionFailure` when the kinds cannot be ordered (text against a boolean).
    static func order(
        _ left: ExpressionValue, _ right: ExpressionValue, column: Int, context: @autoclosure () -> String
    )
        throws(ExpressionFailure) -> Int?
    {
        if case .string(let a) = left, case .string(let b) = right {
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        }
        if let a = numeric(left, against: right), let b = numeric(right, against: left) {
            return a < b ? -1 : a > b ? 1 : 0
        }
        throw ExpressionFailure(
            column: column,
            message: "\(context()) cannot order \(left.kind) \(left.quoted) and \(right.kind) \(right.quoted)")
    }

    /// The value as a Decimal when it is a number, or numeric text compared with a number.
    private static func numeric(_ value: ExpressionValue, against other: ExpressionValue) -> Decimal? {
        switch value {
        case .int(let integer): return Decimal(integer)
        case .decimal(let decimal): return decimal
        case .string(let text):
            switch other {
            case .int, .decimal: return ExpressionArithmetic.number(text: text)?.decimal
            default: return nil
            }
        default: return nil
        }
    }
}
