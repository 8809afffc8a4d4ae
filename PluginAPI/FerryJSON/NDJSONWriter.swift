/// Builds an NDJSON batch by appending records to one growing buffer.
///
/// Batches are the unit of transfer to plugins; writing every record into one
/// reusable `[UInt8]` avoids a string per record and a join at the end.
public struct NDJSONWriter: Sendable {
    /// The batch so far: one JSON object per line, each ending in `\n`.
    public private(set) var buffer: [UInt8]
    /// How many records the buffer holds.
    public private(set) var count: Int = 0
    private let writer: JSONWriter

    /// Creates an empty batch.
    /// - Parameters:
    ///   - capacity: bytes to reserve up front (a batch's typical size).
    ///   - canonical: sort keys of every record.
    public init(capacity: Int = 0, canonical: Bool = false) {
        buffer = []
        buffer.reserveCapacity(capacity)
        writer = JSONWriter(canonical: canonical)
    }

    /// Appends one record and its newline.
    /// - Parameter object: the record.
    public mutating func append(_ object: JSONObject) {
        writer.write(object, into: &buffer)
        buffer.append(0x0A)
        count += 1
    }

    /// Appends any JSON value as a line (NDJSON records are normally objects).
    /// - Parameter value: the value.
    public mutating func append(_ value: JSONValue) {
        writer.write(value, into: &buffer)
        buffer.append(0x0A)
        count += 1
    }

    /// Empties the batch but keeps its memory for the next one.
    public mutating func removeAll() {
        buffer.removeAll(keepingCapacity: true)
        count = 0
    }
}
