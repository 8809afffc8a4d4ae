/// The 64-bit fingerprint of a record's content, for change detection.
///
/// The host stores one per (pipeline, stream, key) and skips records whose
/// fingerprint did not change, sparing quota-limited destination APIs. It is
/// XXH64 (seed 0) of the canonical encoding (`JSONWriter(canonical: true)`),
/// so member order does not matter while every key, value and type does:
/// `1` and `1.0` differ, as do `null` and a missing key. NaN and infinities
/// hash as `null`, because that is how they are written.
///
/// Stored hashes depend on this exact definition; changing it makes the next
/// run re-send every record once.
public enum ContentHash {
    /// The fingerprint of any JSON value.
    /// - Parameter value: the value.
    public static func of(_ value: JSONValue) -> UInt64 {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(512)
        JSONWriter(canonical: true).write(value, into: &buffer)
        return XXHash64.hash(buffer)
    }

    /// The fingerprint of a record.
    /// - Parameter object: the record.
    public static func of(_ object: JSONObject) -> UInt64 {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(512)
        JSONWriter(canonical: true).write(object, into: &buffer)
        return XXHash64.hash(buffer)
    }
}

extension JSONValue {
    /// This value's `ContentHash`, for change detection.
    public var contentHash: UInt64 { ContentHash.of(self) }
}

extension JSONObject {
    /// This record's `ContentHash`, for change detection.
    public var contentHash: UInt64 { ContentHash.of(self) }
}
