import FerryJSON

/// Keys are exact identities (DESIGN.md, delivery rules): an integer key and a
/// string key are different records, and neither is ever stored as a float or
/// converted into the other. A destination decides once per key column what it
/// holds (integers or text, from the key's JSON type) and checks every record's
/// key against it: a value the column cannot hold exactly rejects that record
/// alone, so `true`, `1.0`, `2^64` or `"1001"` in an integer column never merge
/// with the rows of `1` or `1001`.
public enum KeyIdentity {
    /// What a key column stores exactly.
    public enum Column: Sendable, Equatable {
        /// 64-bit integers only.
        case integer
        /// Strings only.
        case text
        /// Both, each keeping its type (a column of SQLite's BLOB affinity).
        case integerOrText
    }

    /// The column a new key field calls for: the schema's `integer` or `string`
    /// when it says so, else the type of the first integer or string value.
    /// - Parameters:
    ///   - property: The field's JSON Schema property, if any.
    ///   - values: The field's values in the batch, in order.
    /// - Returns: The column kind; text when nothing decides (text keeps any identity it is given).
    public static func column(forProperty property: JSONValue?, values: some Sequence<JSONValue>) -> Column {
        let type = property?["type"].flatMap {
            $0.stringValue ?? $0.arrayValue?.compactMap(\.stringValue).first { $0 != "null" }
        }
        switch type {
        case "integer": return .integer
        case "string": return .text
        default: break
        }
        for value in values {
            if case .int = value { return .integer }
            if case .string = value { return .text }
        }
        return .text
    }

    /// Throws a per-record `PluginError.invalid` unless `value` can be stored in `column` exactly.
    /// - Parameters:
    ///   - value: The record's key value (null is the caller's "missing key" case).
    ///   - field: The key field, for the message.
    ///   - column: What the key column holds.
    public static func check(_ value: JSONValue, field: String, column: Column) throws {
        switch (value, column) {
        case (.int, .integer), (.int, .integerOrText), (.string, .text), (.string, .integerOrText), (.null, _):
            return
        case (.string(let text), .integer):
            throw PluginError.invalid(
                "key field '\(field)' is the string \(JSONWriter().encodeString(value)) but the key column holds "
                    + "integers: storing it would merge it with the integer \(text)'s record; send integer keys as numbers"
            )
        case (.int(let integer), .text):
            throw PluginError.invalid(
                "key field '\(field)' is the integer \(integer) but the key column holds text: storing it would "
                    + "merge it with the string \"\(integer)\"'s record; send text keys as strings")
        case (.double(let number), _):
            let reason =
                abs(number) >= 9.2e18
                ? "beyond 64-bit integers (send such ids as strings)"
                : number.rounded() == number
                    ? "a float (written with a fraction or an exponent)" : "a number with a fraction"
            throw PluginError.invalid(
                "key field '\(field)' is \(number), \(reason): a key must be a 64-bit integer or a string, never a float"
            )
        case (.bool(let flag), _):
            throw PluginError.invalid(
                "key field '\(field)' is \(flag): a boolean is no key (it would merge with 1 or 0)")
        case (.array, _), (.object, _):
            throw PluginError.invalid(
                "key field '\(field)' is an \(value.arrayValue == nil ? "object" : "array"): a key must be a 64-bit integer or a string"
            )
        }
    }
}
