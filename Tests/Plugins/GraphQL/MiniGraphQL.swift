import FerryJSON

/// Just enough of GraphQL's query language for the Gazelle simulator: an
/// operation (`query Name($v: T = default) { … }` or a bare `{ … }`), fields
/// with aliases, arguments (variables, strings, numbers, enums, lists, input
/// objects) and nested selection sets. Fragments and directives are not
/// needed by any query the seed sent, so they are a syntax error here.
enum MiniGraphQL {
    struct Field {
        var alias: String?
        var name: String
        var arguments: JSONObject
        var selections: [Field]
        /// The key the field has in the answer.
        var responseKey: String { alias ?? name }
    }

    struct SyntaxError: Error, CustomStringConvertible {
        var description: String
    }

    /// The operation's top-level selections, with argument variables resolved.
    static func parse(_ text: String, variables: JSONObject) throws -> [Field] {
        var parser = Parser(tokens: try tokens(text), variables: variables)
        return try parser.document()
    }

    enum Token: Equatable {
        case name(String)
        case punctuator(Character)
        case string(String)
        case number(String)
    }

    static func tokens(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        var index = text.startIndex
        while index < text.endIndex {
            let char = text[index]
            if char.isWhitespace || char == "," {
                index = text.index(after: index)
            } else if char == "#" {
                while index < text.endIndex, text[index] != "\n" { index = text.index(after: index) }
            } else if char.isLetter || char == "_" {
                let start = index
                while index < text.endIndex, text[index].isLetter || text[index].isNumber || text[index] == "_" {
                    index = text.index(after: index)
                }
                tokens.append(.name(String(text[start..<index])))
            } else if char.isNumber || char == "-" {
                let start = index
                index = text.index(after: index)
                while index < text.endIndex, text[index].isNumber || text[index] == "." {
                    index = text.index(after: index)
                }
                tokens.append(.number(String(text[start..<index])))
            } else if char == "\"" {
                index = text.index(after: index)
                var value = ""
                while index < text.endIndex, text[index] != "\"" {
                    if text[index] == "\\" { index = text.index(after: index) }
                    value.append(text[index])
                    index = text.index(after: index)
                }
                guard index < text.endIndex else { throw SyntaxError(description: "unterminated string") }
                index = text.index(after: index)
                tokens.append(.string(value))
            } else if "{}()[]:$!=".contains(char) {
                tokens.append(.punctuator(char))
                index = text.index(after: index)
            } else {
                throw SyntaxError(description: "unexpected character '\(char)'")
            }
        }
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        var variables: JSONObject
        var position = 0

        var peek: Token? { position < tokens.count ? tokens[position] : nil }

        mutating func take() throws -> Token {
            guard let token = peek else { throw SyntaxError(description: "unexpected end of document") }
            position += 1
            return token
        }

        mutating func expect(_ char: Character) throws {
            let token = try take()
            guard token == .punctuator(char) else { throw SyntaxError(description: "expected '\(char)', got \(token)") }
        }

        mutating func name() throws -> String {
            guard case .name(let name) = try take() else { throw SyntaxError(description: "expected a name") }
            return name
        }

        mutating func document() throws -> [Field] {
            if case .name(let keyword)? = peek {
                guard keyword == "query" else {
                    throw SyntaxError(description: "only queries are served, not '\(keyword)'")
                }
                position += 1
                if case .name? = peek { position += 1 }
                if peek == .punctuator("(") { try variableDefinitions() }
            }
            let fields = try selectionSet()
            guard peek == nil else { throw SyntaxError(description: "unexpected text after the operation") }
            return fields
        }

        /// `($first: Int = 10, $after: String)`: defaults fill variables the request left out.
        mutating func variableDefinitions() throws {
            try expect("(")
            while peek != .punctuator(")") {
                try expect("$")
                let variable = try name()
                try expect(":")
                try skipType()
                if peek == .punctuator("=") {
                    position += 1
                    let value = try self.value()
                    if variables[variable] == nil { variables[variable] = value }
                }
            }
            try expect(")")
        }

        mutating func skipType() throws {
            if peek == .punctuator("[") {
                position += 1
                try skipType()
                try expect("]")
            } else {
                _ = try name()
            }
            if peek == .punctuator("!") { position += 1 }
        }

        mutating func selectionSet() throws -> [Field] {
            try expect("{")
            var fields: [Field] = []
            while peek != .punctuator("}") {
                var alias: String?
                var fieldName = try name()
                if peek == .punctuator(":") {
                    position += 1
                    alias = fieldName
                    fieldName = try name()
                }
                var arguments = JSONObject()
                if peek == .punctuator("(") {
                    position += 1
                    while peek != .punctuator(")") {
                        let argument = try name()
                        try expect(":")
                        arguments[argument] = try value()
                    }
                    try expect(")")
                }
                let selections = peek == .punctuator("{") ? try selectionSet() : []
                fields.append(Field(alias: alias, name: fieldName, arguments: arguments, selections: selections))
            }
            try expect("}")
            return fields
        }

        mutating func value() throws -> JSONValue {
            switch try take() {
            case .punctuator("$"): return variables[try name()] ?? .null
            case .string(let text): return .string(text)
            case .number(let text): return Int64(text).map(JSONValue.int) ?? .double(Double(text) ?? 0)
            case .name("true"): return .bool(true)
            case .name("false"): return .bool(false)
            case .name("null"): return .null
            case .name(let enumValue): return .string(enumValue)
            case .punctuator("["):
                var items: [JSONValue] = []
                while peek != .punctuator("]") { items.append(try value()) }
                position += 1
                return .array(items)
            case .punctuator("{"):
                var object = JSONObject()
                while peek != .punctuator("}") {
                    let key = try name()
                    try expect(":")
                    object[key] = try value()
                }
                position += 1
                return .object(object)
            case let token: throw SyntaxError(description: "unexpected \(token) where a value belongs")
            }
        }
    }
}
