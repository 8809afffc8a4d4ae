/// PostgreSQL array literals, so a batch of keys goes to the server in one parameter
/// (`= ANY($1::text[])`, `unnest($1::text[], $2::bigint[])`) instead of one round trip per key.
enum PGArray {
    /// `{"a","b\"c"}`: every element quoted, `"` and `\` escaped.
    static func text(_ values: some Sequence<String>) -> String {
        var literal = "{"
        var first = true
        for value in values {
            if !first { literal += "," }
            first = false
            literal += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return literal + "}"
    }

    /// `{1,2,3}` (NULL for nil).
    static func integers(_ values: some Sequence<Int64?>) -> String {
        "{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}"
    }

}
