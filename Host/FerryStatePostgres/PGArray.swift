/// PostgreSQL array literals, so a batch of keys goes to the server in one parameter
/// (`= ANY($1::text[])`, `unnest($1::text[], $2::bigint[])`) instead of one round trip per key.
enum PGArray {
    /// `{"a","b\"c"}`: every element quoted, `"` and `\` escaped.
    static func text(_ values: some Sequence<String>) -> String {
        var literal: [UInt8] = [UInt8(ascii: "{")]
        for value in values {
            if literal.count > 1 { literal.append(UInt8(ascii: ",")) }
            literal.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                literal.append(byte)
            }
            literal.append(UInt8(ascii: "\""))
        }
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }

    /// `{1,2,3}` (NULL for nil).
    static func integers(_ values: some Sequence<Int64?>) -> String {
        "{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}"
    }

}
