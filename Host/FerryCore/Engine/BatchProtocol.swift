import FerryJSON

/// The batch protocol a source keeps, checked on the bytes alone: `record_count`
/// lines, each a JSON object, the last one ending in a newline. The engine checks
/// every batch with it (`SourceBatchCheck`) and the conformance kit (`ferry plugins
/// test`) reports the same problem in the same words.
public enum BatchProtocol {
    /// What is wrong with a batch, or nil when it keeps the protocol.
    ///
    /// - Parameters:
    ///   - records: the batch's NDJSON bytes.
    ///   - count: the batch's `record_count`.
    /// - Returns: the problem and, when one record is at fault, its 0-based index.
    public static func problem(records: UnsafeRawBufferPointer, count: Int) -> (record: Int?, text: String)? {
        problem(records: records, count: count, walking: checkStructure)
    }

    /// The check of one line: a JSON object, its structure only (cheaply: every later stage that
    /// reads a record parses it fully).
    public static func checkStructure(_ line: NDJSONLines.Line) throws(JSONParseError) {
        try JSONTopLevelScanner.forEachMember(in: line.bytes) { _, _ in }
    }

    /// The same checks, with `walk` in place of the structure check of each line: for a caller
    /// that walks every record anyway (the read-ahead keying each line), so that the bytes are
    /// walked once. `walk` must throw for a line that is not a JSON object, as the check does.
    public static func problem(
        records: UnsafeRawBufferPointer, count: Int, walking walk: (NDJSONLines.Line) throws(JSONParseError) -> Void
    ) -> (record: Int?, text: String)? {
        guard !records.isEmpty else {
            return count == 0 ? nil : (nil, "record_count is \(count) but the batch holds no records")
        }
        guard records.last == UInt8(ascii: "\n") else {
            return (nil, "the batch does not end with a newline (its last record may be cut off)")
        }
        var lines = 0
        for line in NDJSONLines(records) {
            lines += 1
            do {
                try walk(line)
            } catch {
                return (line.index, "is not a JSON object: \(error)")
            }
        }
        guard lines == count else { return (nil, "record_count is \(count) but the batch holds \(lines) record lines") }
        return nil
    }
}
