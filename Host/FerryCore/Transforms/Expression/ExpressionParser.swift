import Foundation

/// Reads expression text into an `ExpressionNode` tree (recursive descent).
///
/// Precedence, loosest first: `or`/`||`; `and`/`&&`; `not`/`!`; comparisons
/// (`== != < <= > >=`, not chained); `&` (join as text); `+ -`; `* /`; unary
/// `-`; then literals, calls `name(args)`, field paths `a.b[0].c`, `a[*].b`
/// and parentheses. Keys that are not identifiers are written in backticks.
struct ExpressionParser {
    private enum Token: Equatable {
        case number(String)
        case string(String)
        case identifier(String)
        case quotedIdentifier(String)
        case symbol(String)
        case end
    }

    private var tokens: [(token: Token, column: Int)] = []
    private var position = 0

    /// Parses `text` completely.
    /// - Throws: `ExpressionError` at the first character or token that does not fit.
    static func parse(_ text: String) throws(ExpressionError) -> ExpressionNode {
        var parser = ExpressionParser()
        parser.tokens = try tokenize(text)
        let node = try parser.expression()
        guard case .end = parser.current else {
            throw ExpressionError(column: parser.column, message: "unexpected \(parser.describeCurrent)")
        }
        return node
    }

    private var current: Token { tokens[position].token }
    private var column: Int { tokens[position].column }

    private var describeCurrent: String {
        switch current {
        case .number(let text): return "number \(text)"
        case .string: return "text"
        case .identifier(let name), .quotedIdentifier(let name): return "'\(name)'"
        case .symbol(let symbol): return "'\(symbol)'"
        case .end: return "end of the expression"
        }
    }

    private mutating func take(_ symbol: String) -> Bool {
        guard current == .symbol(symbol) else { return false }
        position += 1
        return true
    }

    private mutating func takeWord(_ word: String) -> Bool {
        guard current == .identifier(word) else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ symbol: String, _ context: String) throws(ExpressionError) {
        guard take(symbol) else {
            throw ExpressionError(column: column, message: "expected '\(symbol)' \(context), found \(describeCurrent)")
        }
    }

    private mutating func expression() throws(ExpressionError) -> ExpressionNode {
        var left = try conjunction()
        while true {
            let at = column
            guard take("||") || takeWord("or") else { return left }
            left = .binary(.or, left, try conjunction(), column: at)
        }
    }

    private mutating func conjunction() throws(ExpressionError) -> ExpressionNode {
        var left = try negation()
        while true {
            let at = column
            guard take("&&") || takeWord("and") else { return left }
            left = .binary(.and, left, try negation(), column: at)
        }
    }

    private mutating func negation() throws(ExpressionError) -> ExpressionNode {
        let at = column
        if take("!") || takeWord("not") { return .not(try negation(), column: at) }
        return try comparison()
    }

    private mutating func comparison() throws(ExpressionError) -> ExpressionNode {
        let left = try concatenation()
        let at = column
        for symbol in ["==", "!=", "<=", ">=", "<", ">"] where take(symbol) {
            let right = try concatenation()
            for other in ["==", "!=", "<=", ">=", "<", ">"] where current == .symbol(other) {
                throw ExpressionError(
                    column: column, message: "comparisons do not chain; combine them with 'and'")
            }
            return .binary(ExpressionNode.BinaryOperator(rawValue: symbol)!, left, right, column: at)
        }
        if take("=") {
            throw ExpressionError(column: at, message: "'=' is not an operator; compare with '=='")
        }
        return left
    }

    private mutating func concatenation() throws(ExpressionError) -> ExpressionNode {
        var left = try additive()
        while true {
            let at = column
            guard take("&") else { return left }
            left = .binary(.concatenate, left, try additive(), column: at)
        }
    }

    private mutating func additive() throws(ExpressionError) -> ExpressionNode {
        var left = try multiplicative()
        while true {
            let at = column
            if take("+") {
                left = .binary(.add, left, try multiplicative(), column: at)
            } else if take("-") {
                left = .binary(.subtract, left, try multiplicative(), column: at)
            } else {
                return left
            }
        }
    }

    private mutating func multiplicative() throws(ExpressionError) -> ExpressionNode {
        var left = try unary()
        while true {
            let at = column
            if take("*") {
                left = .binary(.multiply, left, try unary(), column: at)
            } else if take("/") {
                left = .binary(.divide, left, try unary(), column: at)
            } else {
                return left
            }
        }
    }

    private mutating func unary() throws(ExpressionError) -> ExpressionNode {
        let at = column
        if take("-") { return .negate(try unary(), column: at) }
        return try primary()
    }

    private mutating func primary() throws(ExpressionError) -> ExpressionNode {
        let at = column
        switch current {
        case .number(let text):
            position += 1
            if let integer = Int64(text) { return .literal(.int(integer), column: at) }
            guard let decimal = ExpressionValue.decimal(fromText: Substring(text)) else {
                throw ExpressionError(column: at, message: "the number \(text) has more than 38 digits")
            }
            return .literal(.decimal(decimal), column: at)
        case .string(let text):
            position += 1
            return .literal(.string(text), column: at)
        case .symbol("("):
            position += 1
            let inner = try expression()
            try expect(")", "to close the '(' at column \(at)")
            return inner
        case .identifier(let name):
            position += 1
            switch name {
            case "true": return .literal(.bool(true), column: at)
            case "false": return .literal(.bool(false), column: at)
            case "null": return .literal(.null, column: at)
            default: break
            }
            if take("(") {
                var arguments: [ExpressionNode] = []
                if !take(")") {
                    repeat { arguments.append(try expression()) } while take(",")
                    try expect(")", "after the arguments of \(name)()")
                }
                return .call(name, arguments, column: at)
            }
            return .path(try pathRest(first: name), column: at)
        case .quotedIdentifier(let name):
            position += 1
            return .path(try pathRest(first: name), column: at)
        default:
            throw ExpressionError(
                column: at, message: "expected a value, a field or a function, found \(describeCurrent)")
        }
    }

    private mutating func pathRest(first: String) throws(ExpressionError) -> [ExpressionNode.PathStep] {
        var steps: [ExpressionNode.PathStep] = [.key(first)]
        while true {
            if take(".") {
                switch current {
                case .identifier(let name), .quotedIdentifier(let name):
                    position += 1
                    steps.append(.key(name))
                default:
                    throw ExpressionError(
                        column: column, message: "expected a field name after '.', found \(describeCurrent)")
                }
            } else if take("[") {
                if take("*") {
                    steps.append(.every)
                } else if take("?") {
                    let wanted = !take("!")
                    switch current {
                    case .identifier(let name), .quotedIdentifier(let name):
                        position += 1
                        steps.append(.everyWhere(name, wanted))
                    default:
                        throw ExpressionError(
                            column: column, message: "expected a field name after '[?', found \(describeCurrent)")
                    }
                } else if case .number(let text) = current, let index = Int(text), index < 1_000_000_000 {
                    position += 1
                    steps.append(.index(index))
                } else {
                    throw ExpressionError(
                        column: column,
                        message:
                            "expected an array index (0, 1, …), '*' or '?flag' inside '[ ]', found \(describeCurrent)")
                }
                try expect("]", "after the array index")
            } else {
                return steps
            }
        }
    }

    // MARK: Tokens

    private static let symbols = [
        "==", "!=", "<=", ">=", "&&", "||", "<", ">", "=", "!", "&", "+", "-", "*", "/", "(", ")", "[", "]", ",", ".",
        "?",
    ]

    private static func tokenize(_ text: String) throws(ExpressionError) -> [(token: Token, column: Int)] {
        let characters = Array(text)
        var tokens: [(token: Token, column: Int)] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let column = index + 1
            if character.isWhitespace {
                index += 1
            } else if character.isASCIIDigit {
                var end = index
                while end < characters.count, characters[end].isASCIIDigit { end += 1 }
                if end + 1 < characters.count, characters[end] == ".", characters[end + 1].isASCIIDigit {
                    end += 1
                    while end < characters.count, characters[end].isASCIIDigit { end += 1 }
                }
                tokens.append((.number(String(characters[index..<end])), column))
                index = end
            } else if character == "'" || character == "\"" {
                var value = ""
                var end = index + 1
                while true {
                    guard end < characters.count else {
                        throw ExpressionError(
                            column: column, message: "text started here is not closed with \(character)")
                    }
                    let next = characters[end]
                    if next == character { break }
                    if next == "\\", end + 1 < characters.count {
                        end += 1
                        switch characters[end] {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        default: value.append(characters[end])
                        }
                    } else {
                        value.append(next)
                    }
                    end += 1
                }
                tokens.append((.string(value), column))
                index = end + 1
            } else if character == "`" {
                guard let close = characters[(index + 1)...].firstIndex(of: "`"), close > index + 1 else {
                    throw ExpressionError(column: column, message: "a `quoted field name` started here is not closed")
                }
                tokens.append((.quotedIdentifier(String(characters[(index + 1)..<close])), column))
                index = close + 1
            } else if character.isLetter || character == "_" {
                var end = index
                while end < characters.count,
                    characters[end].isLetter || characters[end].isNumber || characters[end] == "_"
                {
                    end += 1
                }
                tokens.append((.identifier(String(characters[index..<end])), column))
                index = end
            } else if let symbol = symbols.first(where: { matches($0, characters, at: index) }) {
                tokens.append((.symbol(symbol), column))
                index += symbol.count
            } else {
                throw ExpressionError(column: column, message: "unexpected character '\(character)'")
            }
        }
        tokens.append((.end, characters.count + 1))
        return tokens
    }

    private static func matches(_ symbol: String, _ characters: [Character], at index: Int) -> Bool {
        var offset = index
        for character in symbol {
            guard offset < characters.count, characters[offset] == character else { return false }
            offset += 1
        }
        return true
    }
}
