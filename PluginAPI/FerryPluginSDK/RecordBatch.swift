import FerryJSON

/// A batch of records a plugin produces: newline-delimited JSON plus the
/// checkpoint the host stores once the batch is durable downstream.
public struct RecordBatch {
    /// NDJSON bytes: one object per line, each line ending in `\n`.
    public private(set) var bytes: [UInt8] = []
    public private(set) var count = 0
    /// Where the next read starts after this batch is acknowledged.
    public var checkpoint: JSONValue?

    public init(checkpoint: JSONValue? = nil, reservingBytes: Int = 0) {
        self.checkpoint = checkpoint
        bytes.reserveCapacity(reservingBytes)
    }

    public var isEmpty: Bool { count == 0 }

    /// Appends one record.
    public mutating func append(_ record: JSONObject) {
        JSONWriter().write(.object(record), into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        count += 1
    }

    /// Appends one record that is already a JSON object's text (no newline inside).
    public mutating func append<Bytes: Collection>(encodedRecord: Bytes) where Bytes.Element == UInt8 {
        bytes.append(contentsOf: encodedRecord)
        bytes.append(UInt8(ascii: "\n"))
        count += 1
    }
}

/// A borrowed view of a batch handed to a destination or transform. Valid only
/// during the call that received it: copy what you keep.
public struct RecordsView {
    /// The NDJSON bytes.
    public let bytes: UnsafeRawBufferPointer
    /// The record count the host announced.
    public let count: Int

    public init(bytes: UnsafeRawBufferPointer, count: Int) {
        self.bytes = bytes
        self.count = count
    }

    /// Each record's line (bytes without the newline, index, range), in order.
    public var lines: NDJSONLines { NDJSONLines(bytes) }

    /// Parses every record. A line that is not a JSON object comes back as the
    /// error for that index, so one bad record never hides the others.
    public func objects() -> [Result<JSONObject, PluginError>] {
        var results: [Result<JSONObject, PluginError>] = []
        results.reserveCapacity(count)
        for line in lines {
            // The parser's own words say what is wrong and at which byte of the record.
            do {
                results.append(.success(try JSONParser().parseRecord(line.bytes)))
            } catch {
                results.append(.failure(.invalid("invalid record: \(error)")))
            }
        }
        return results
    }
}
