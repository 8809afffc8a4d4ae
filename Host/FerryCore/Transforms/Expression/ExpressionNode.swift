/// An expression as parsed, before it is compiled into closures.
///
/// Every node keeps the column (1-based) where it starts in the expression
/// text, so compile and run-time errors can point at it.
indirect enum ExpressionNode: Sendable {
    /// A level of a field path: a key, an array index, `[*]` (every element), or `[?flag]` /
    /// `[?!flag]` (the elements whose field `flag` is, or is not, `true`: authorized jobs).
    enum PathStep: Sendable, Equatable {
        case key(String)
        case index(Int)
        case every
        case everyWhere(String, Bool)
    }

    enum BinaryOperator: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", concatenate = "&"
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case and, or
    }

    case literal(ExpressionValue, column: Int)
    case path([PathStep], column: Int)
    case call(String, [ExpressionNode], column: Int)
    case negate(ExpressionNode, column: Int)
    case not(ExpressionNode, column: Int)
    case binary(BinaryOperator, ExpressionNode, ExpressionNode, column: Int)

    var column: Int {
        switch self {
        case .literal(_, let column), .path(_, let column), .call(_, _, let column), .negate(_, let column),
            .not(_, let column), .binary(_, _, _, let column):
            return column
        }
    }

    /// The path as written (`jobs[*].total`), for messages.
    static func describe(_ steps: [PathStep]) -> String {
        var text = ""
        for step in steps {
            switch step {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            case .every: text += "[*]"
            case .everyWhere(let flag, let wanted): text += "[?\(wanted ? "" : "!")\(flag)]"
            }
        }
        return text
    }
}

/// A mistake found while reading or compiling an expression, with its column.
struct ExpressionError: Error, Equatable {
    var column: Int
    var message: String

    /// "column 12: unknown function 'trimm' (did you mean 'trim'?)".
    var description: String { "column \(column): \(message)" }
}
