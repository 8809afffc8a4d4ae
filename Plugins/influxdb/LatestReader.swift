import FerryJSON
import FerryPluginSDK

/// Yields one batch holding the record the closure returns (none when nil), then ends.
final class LatestReader: BatchReader {
    private var fetch: (() throws -> JSONObject?)?

    init(_ fetch: @escaping () throws -> JSONObject?) { self.fetch = fetch }

    func next() throws -> RecordBatch? {
        guard let fetch else { return nil }
        self.fetch = nil
        guard let record = try fetch() else { return nil }
        var batch = RecordBatch(checkpoint: ["time": record["time"] ?? .null])
        batch.append(record)
        return batch
    }
}
