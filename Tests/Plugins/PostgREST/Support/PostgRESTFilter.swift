/// PostgREST's horizontal filters, as far as the simulator needs them:
/// `col=op.value` with `eq`, `neq`, `gt`, `gte`, `lt`, `lte`, `in.(…)`,
/// `is.null|not_null|true|false`, and `or=(…)`/`and=(…)` trees of such terms
/// (`or=(and(a.eq.1,b.eq."x,y"),…)`). Values may be double-quoted with
/// backslash escapes. Turned into SQL with `$n` parameters.
struct PostgRESTFilter {
    /// The SQL condition, with parameters numbered from the `parameters` count passed in.
    var sql: String

    /// Reads one query parameter as a filter.
    /// - Parameters:
    ///   - name: The column, or `or`/`and`.
    ///   - value: The operator and value (`eq.5`, `in.(1,2)`, `(a.eq.1,b.gt.2)`).
    ///   - parameters: The statement's parameter values; this filter's are appended.
    init(name: String, value: String, parameters: inout [String?]) throws {
        if name == "or" || name == "and" {
            sql = try Self.group(name, value, &parameters)
        } else {
            sql = try Self.condition(column: name, operation: value, inTree: false, &parameters)
        }
    }

    /// A double-quoted identifier.
    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    private static func group(_ logic: String, _ text: String, _ parameters: inout [String?]) throws -> String {
        guard text.hasPrefix("("), text.hasSuffix(")") else {
            throw FilterError("\(logic) needs a parenthesised list: \(text)")
        }
        let terms = try split(String(text.dropFirst().dropLast()))
        let parts = try terms.map { term -> String in
            for nested in ["and", "or"] where term.hasPrefix(nested + "(") {
                return try group(nested, String(term.dropFirst(nested.count)), &parameters)
            }
            guard let dot = term.firstIndex(of: ".") else { throw FilterError("bad filter term '\(term)'") }
            return try condition(
                column: String(term[..<dot]), operation: String(term[term.index(after: dot)...]), inTree: true,
                &parameters)
        }
        return "(" + parts.joined(separator: logic == "or" ? " OR " : " AND ") + ")"
    }

    /// One `column op value` condition; only values inside `or`/`and` trees are unquoted, as in PostgREST
    /// (a simple filter's value is taken as it is).
    private static func condition(column: String, operation: String, inTree: Bool, _ parameters: inout [String?]) throws
        -> String
    {
        var operation = Substring(operation)
        var negated = false
        if operation.hasPrefix("not.") { negated = true; operation = operation.dropFirst(4) }
        guard let dot = operation.firstIndex(of: ".") else { throw FilterError("bad operator in '\(operation)'") }
        let op = String(operation[..<dot])
        let value = String(operation[operation.index(after: dot)...])
        let left = identifier(column)
        func parameter(_ text: String) -> String {
            parameters.append(text)
            return "$\(parameters.count)"
        }
        let sql: String
        switch op {
        case "eq", "neq", "gt", "gte", "lt", "lte":
            let symbol = ["eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="][op]!
            sql = "\(left) \(symbol) \(parameter(inTree ? try unquote(value) : value))"
        case "in":
            guard value.hasPrefix("("), value.hasSuffix(")") else { throw FilterError("in needs a parenthesised list") }
            let items = try split(String(value.dropFirst().dropLast())).map(unquote)
            sql = items.isEmpty ? "false" : "\(left) IN (" + items.map(parameter).joined(separator: ",") + ")"
        case "is":
            guard let test = ["null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE"][value] else {
                throw FilterError("is accepts null, not_null, true, false")
            }
            sql = "\(left) IS \(test)"
        default:
            throw FilterError("unsupported operator '\(op)'")
        }
        return negated ? "NOT (\(sql))" : sql
    }

    /// Splits at commas outside quotes and parentheses.
    static func split(_ text: String) throws -> [String] {
        var items: [String] = []
        var current = ""
        var depth = 0
        var quoted = false
        var escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            switch character {
            case "\\" where quoted: escaped = true; current.append(character)
            case "\"": quoted.toggle(); current.append(character)
            case "(" where !quoted: depth += 1; current.append(character)
            case ")" where !quoted: depth -= 1; current.append(character)
            case "," where !quoted && depth == 0: items.append(current); current = ""
            default: current.append(character)
            }
        }
        if quoted || depth != 0 { throw FilterError("unbalanced quotes or parentheses in '\(text)'") }
        if !current.isEmpty || !items.isEmpty { items.append(current) }
        return items
    }

    /// A value without its double quotes and backslash escapes.
    static func unquote(_ text: String) throws -> String {
        guard text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 else { return text }
        var out = ""
        var escaped = false
        for character in text.dropFirst().dropLast() {
            if escaped {
                out.append(character); escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// A filter the simulator cannot read (answered as PostgREST's PGRST100).
struct FilterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
