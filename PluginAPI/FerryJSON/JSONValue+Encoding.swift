extension JSONValue {
    /// The compact JSON encoding, for handing a value to a plugin or storing it.
    /// - Parameter canonical: sort object keys so equal content gives equal bytes.
    public func encoded(canonical: Bool = false) -> [UInt8] {
        JSONWriter(canonical: canonical).encode(self)
    }

    /// The compact JSON encoding as text, for logs, dead letters and the state store.
    /// - Parameter canonical: sort object keys so equal content gives equal bytes.
    public func encodedString(canonical: Bool = false) -> String {
        JSONWriter(canonical: canonical).encodeString(self)
    }
}

extension JSONObject {
    /// The compact JSON encoding of the object; records are objects, so this
    /// saves wrapping each one in `.object` just to write it.
    /// - Parameter canonical: sort keys so equal content gives equal bytes.
    public func encoded(canonical: Bool = false) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256)
        JSONWriter(canonical: canonical).write(self, into: &buffer)
        return buffer
    }

    /// The compact JSON encoding of the object as text.
    /// - Parameter canonical: sort keys so equal content gives equal bytes.
    public func encodedString(canonical: Bool = false) -> String {
        String(decoding: encoded(canonical: canonical), as: UTF8.self)
    }
}
