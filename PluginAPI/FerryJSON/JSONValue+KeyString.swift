extension JSONValue {
    /// The text under which the state store files this record (hashes, ID
    /// mappings), built from its primary-key fields.
    ///
    /// One field gives its scalar as plain text (`"A-17"` → `A-17`, `42` → `42`,
    /// `true` → `true`; an object or array gives its canonical JSON), so keys stay
    /// readable in the CLI. Several fields give the canonical JSON array of their
    /// values (`["A-17",42]`), which cannot collide across field boundaries.
    /// - Parameter fields: the primary-key field names (top-level members).
    /// - Returns: nil when this is not an object, or a key field is missing or null.
    public func keyString(for fields: [String]) -> String? {
        guard case .object(let object) = self else { return nil }
        return object.keyString(for: fields)
    }
}

extension JSONObject {
    /// The state-store key of this record; see `JSONValue.keyString(for:)`.
    /// - Parameter fields: the primary-key field names (top-level members).
    /// - Returns: nil when a key field is missing or null, or `fields` is empty.
    public func keyString(for fields: [String]) -> String? {
        if fields.count == 1 {
            guard let value = self[fields[0]] else { return nil }
            switch value {
            case .null: return nil
            case .string(let string): return string
            case .bool(let flag): return flag ? "true" : "false"
            case .int(let integer): return String(integer)
            case .double, .array, .object: return value.encodedString(canonical: true)
            }
        }
        guard !fields.isEmpty else { return nil }
        var values: [JSONValue] = []
        values.reserveCapacity(fields.count)
        for field in fields {
            guard let value = self[field], !value.isNull else { return nil }
            values.append(value)
        }
        return JSONValue.array(values).encodedString(canonical: true)
    }
}
