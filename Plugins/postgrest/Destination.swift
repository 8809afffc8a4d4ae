import FerryJSON
import FerryPluginSDK

/// Writes batches with PostgREST's bulk protocol: one `POST` of a JSON array
/// per `batch_size` records (every object with the same keys), upserts through
/// `on_conflict` and `Prefer: resolution=…`, deletes by key. PostgREST runs a
/// request as one statement, all or nothing, so when a record-level error
/// fails a request its records are split in halves and re-sent until the bad
/// ones stand alone: the good records land and each bad one is rejected with
/// PostgREST's message, in about 2·log2(n) extra requests per bad record.
final class PostgRESTDestination {
    /// One record of the batch: its index in the batch and its fields.
    typealias Entry = (index: Int, object: JSONObject)

    private let client: PostgRESTClient
    private let config: PostgRESTConfig
    private let host: HostServices
    /// Keys per `DELETE` request, which carries them in its URL.
    static let deleteChunk = 100

    init(client: PostgRESTClient, config: PostgRESTConfig, host: HostServices) {
        self.client = client
        self.config = config
        self.host = host
    }

    /// Writes one batch.
    /// - Parameters:
    ///   - request: Stream, operation and primary key.
    ///   - records: The batch.
    /// - Returns: The accepted count and the rejected records with PostgREST's reasons.
    func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        let table = config.table(for: request.stream)
        var rejections: [RecordRejection] = []
        var entries: [Entry] = []
        for (index, parsed) in records.objects().enumerated() {
            switch parsed {
            case .success(let object): entries.append((index, object))
            case .failure(let error): rejections.append(RecordRejection(index: index, error: error.message))
            }
        }
        var assigned: [AssignedID] = []
        switch request.operation {
        case .delete:
            try delete(
                entries, from: table, key: request.primaryKey.isEmpty ? config.onConflict : request.primaryKey,
                rejections: &rejections)
        case .append, .upsert:
            let upsert =
                request.operation == .upsert
                ? (
                    columns: config.onConflict.isEmpty ? request.primaryKey : config.onConflict,
                    resolution: config.resolution
                ) : nil
            let ids = config.assignedID.map { IDMatcher(column: $0, key: upsert?.columns ?? [], entries: entries) }
            for group in groups(entries) {
                let keys = Self.keys(of: group)
                let encoded = group.map { (index: $0.index, bytes: Self.encode($0.object, keys: keys)) }
                var start = 0
                while start < encoded.count {
                    let end = min(start + config.batchSize, encoded.count)
                    try send(encoded[start..<end], table: table, rejections: &rejections) { sent, body in
                        switch try self.client.insert(
                            into: table, body: body, upsert: upsert, returning: ids?.returning)
                        {
                        case .failure(let error): return error
                        case .success(let rows):
                            if let ids { assigned += ids.match(rows, sent: sent.map(\.index)) }
                            return nil
                        }
                    }
                    start = end
                }
            }
        }
        rejections.sort { $0.index < $1.index }
        let accepted = records.count - rejections.count
        host.count("postgrest.rows_written", by: Double(accepted))
        if !rejections.isEmpty {
            host.log(
                .warning, "PostgREST rejected records.",
                [
                    "table": .string(table), "count": .int(Int64(rejections.count)),
                    "error": .string(rejections[0].error),
                ])
        }
        assigned.sort { $0.index < $1.index }
        return WriteOutcome(acceptedCount: accepted, rejections: rejections, assignedIDs: assigned)
    }

    /// Sends records as one JSON array; a record-level error splits them in halves, recursively.
    /// - Parameters:
    ///   - records: Encoded records with their batch indexes.
    ///   - table: The table, for messages.
    ///   - rejections: Where records refused on their own are added.
    ///   - perform: Sends the records' body; answers nil on success or the error.
    private func send(
        _ records: ArraySlice<(index: Int, bytes: [UInt8])>, table: String, rejections: inout [RecordRejection],
        perform: (ArraySlice<(index: Int, bytes: [UInt8])>, [UInt8]) throws -> PostgRESTError?
    ) throws {
        if host.isCancelled { throw PluginError.cancelled() }
        var body: [UInt8] = [UInt8(ascii: "[")]
        body.reserveCapacity(records.reduce(2) { $0 + $1.bytes.count + 1 })
        for (position, record) in records.enumerated() {
            if position > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: record.bytes)
        }
        body.append(UInt8(ascii: "]"))
        host.count("postgrest.requests")
        guard let error = try perform(records, body) else { return }
        guard error.isRecordLevel else { throw error.pluginError(table: table) }
        guard records.count > 1 else {
            rejections.append(
                RecordRejection(
                    index: records.first!.index,
                    error: "PostgREST rejected the record for table '\(table)': \(error.description)"))
            return
        }
        let middle = records.startIndex + records.count / 2
        try send(records[..<middle], table: table, rejections: &rejections, perform: perform)
        try send(records[middle...], table: table, rejections: &rejections, perform: perform)
    }

    /// Deletes records by key: `key=in.(…)` for one column, `or=(and(a.eq.…,b.eq.…),…)` for several.
    private func delete(_ entries: [Entry], from table: String, key: [String], rejections: inout [RecordRejection])
        throws
    {
        guard !key.isEmpty else {
            throw PluginError.invalid("deleting from '\(table)' needs the stream's primary key (or config.on_conflict)")
        }
        var keyed: [(index: Int, bytes: [UInt8])] = []
        for entry in entries {
            let values = key.map { entry.object[$0].flatMap(PostgRESTClient.quoted) }
            guard values.allSatisfy({ $0 != nil }) else {
                rejections.append(
                    RecordRejection(
                        index: entry.index,
                        error:
                            "cannot delete from '\(table)': the record lacks a scalar value for \(key.joined(separator: ", "))"
                    ))
                continue
            }
            let term =
                key.count == 1
                ? values[0]! : "and(" + zip(key, values).map { "\($0).eq.\($1!)" }.joined(separator: ",") + ")"
            keyed.append((entry.index, Array(term.utf8)))
        }
        var start = 0
        while start < keyed.count {
            let end = min(start + Self.deleteChunk, keyed.count)
            try send(keyed[start..<end], table: table, rejections: &rejections) { _, body in
                // `send` wraps the terms as `[a,b]`; PostgREST lists them in parentheses.
                let terms = "(" + String(decoding: body.dropFirst().dropLast(), as: UTF8.self) + ")"
                let filter = key.count == 1 ? (key[0], "in." + terms) : ("or", terms)
                return try self.client.delete(from: table, filter: filter)
            }
            start = end
        }
    }

    /// The batch as one group, or one group per key set when `missing_keys: group`.
    private func groups(_ entries: [Entry]) -> [[Entry]] {
        guard config.missingKeys == .group else { return [entries] }
        var order: [[String]] = []
        var groups: [[String]: [Entry]] = [:]
        for entry in entries {
            let keys = entry.object.keys.sorted()
            if groups[keys] == nil { order.append(keys) }
            groups[keys, default: []].append(entry)
        }
        return order.map { groups[$0]! }
    }

    /// Every key of the records, in order of first appearance.
    static func keys(of entries: [Entry]) -> [String] {
        var seen = Set<String>()
        var keys: [String] = []
        for entry in entries {
            for key in entry.object.keys where seen.insert(key).inserted { keys.append(key) }
        }
        return keys
    }

    /// One record as a JSON object with exactly `keys`, absent ones null (PostgREST needs uniform keys, PGRST102).
    static func encode(_ object: JSONObject, keys: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        if object.keys == keys {
            JSONWriter().write(object, into: &bytes)
        } else {
            JSONWriter().write(JSONObject(keys.map { (key: $0, value: object[$0] ?? .null) }), into: &bytes)
        }
        return bytes
    }
}
