import FerryJSON
import FerryPluginSDK

/// A read of single records by primary key (the request's `ids`): "sync repair order 123
/// now". Each id is fetched by the stream's `detail:` request (`mode: replace`: the detail
/// is the whole record), so the record that lands is the one a full read would have
/// produced for it. A gone record (404) is dead-lettered by the host as usual.
final class ByIDReader: BatchReader {
    private var pending: ArraySlice<String>
    private let stream: RESTStream
    private let detail: Detail
    private let host: HostServices
    private let batchSize: Int

    /// - Throws: When the stream cannot be read by id (no `detail:`, or a composite key).
    init(ids: [String], stream: RESTStream, host: HostServices, batchSize: Int) throws {
        // Only a detail that replaces the listed item yields the record a full read would: a merged
        // one would lack the list's own fields, and an upsert would write them as missing.
        guard let detail = stream.detail, detail.mode == .replace, stream.primaryKey.count == 1 else {
            throw PluginError.invalid(
                "stream '\(stream.name)' cannot read single records: reading by id needs detail: with mode: replace "
                    + "(the request that returns the whole record) and a one-field primary_key")
        }
        self.pending = ArraySlice(ids)
        self.stream = stream
        self.detail = detail
        self.host = host
        self.batchSize = max(batchSize, 1)
    }

    func next() throws -> RecordBatch? {
        guard !pending.isEmpty else { return nil }
        let ids = pending.prefix(batchSize)
        let key = stream.primaryKey[0]
        let listed = ids.map { JSONObject([(key, Self.keyValue($0))]) }
        let records = try detail.complete(listed, stream: stream.name, host: host)
        pending = pending.dropFirst(ids.count)
        var batch = RecordBatch() // no checkpoint: single records never move the stream's cursor
        for record in records { batch.append(record) }
        return batch
    }

    /// An id as the API's records carry it: a whole number as a number (Tekmetric's and
    /// most APIs' ids), anything else as text, so the key lands with the identity a full
    /// read gives it.
    static func keyValue(_ id: String) -> JSONValue {
        if let number = Int64(id), String(number) == id { return .int(number) }
        return .string(id)
    }
}
