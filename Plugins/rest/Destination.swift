import FerryJSON
import FerryPluginSDK

/// Writes records to an API one request each: an update (`PATCH`/`PUT` on the
/// object's path) when the record's key has an id, else a create (`POST` to the
/// collection) made exactly once across crashes by `Intents`. The API's 4xx
/// refusals become the records' rejections with the API's own words; anything
/// else the host could not get through (5xx after its retries, rate limits,
/// credentials) fails the batch, and the intents recorded so far stay for the retry.
final class RESTDestination {
    private let config: [RESTWrite]
    private let host: HostServices
    /// Keys this instance reported ids for in its last write, and that batch's id: at the
    /// next write (one batch in flight) the host's ID map must hold them under `id_map_scope`.
    private var lastReported: (batchID: String, stream: String, keys: [String])?

    init(config: [RESTWrite], host: HostServices) {
        self.config = config
        self.host = host
    }

    /// Writes one batch.
    /// - Parameters:
    ///   - request: Stream, operation, primary key and batch id.
    ///   - records: The batch.
    /// - Returns: The accepted count, the refused records and the ids of objects created or found.
    func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        guard var stream = config.first(where: { $0.name == request.stream }) else {
            throw PluginError.invalid(
                "no writes[] entry for stream '\(request.stream)'; configured: \(config.map(\.name).joined(separator: ", "))"
            )
        }
        if stream.idMapScope.isEmpty {
            guard let scope = request.idMapScope, !scope.isEmpty else {
                throw PluginError.invalid(
                    "stream '\(stream.name)': this host names no ID-map scope; set writes[].id_map_scope to "
                        + "'<destination connection>/\(stream.name)'")
            }
            stream.idMapScope = scope
        }
        guard !request.primaryKey.isEmpty else {
            throw PluginError.invalid(
                "writing stream '\(stream.name)' needs the pipeline's primary key: it maps each record to its object")
        }
        if request.operation == .delete && !stream.allowsDelete {
            throw PluginError.unsupported("stream '\(stream.name)': deletes (mirror) need writes[].delete: true")
        }
        var intents = try Intents(stream: stream.name, host: host)
        try confirm(&intents, stream: stream, batchID: request.batchID)
        var writer = RecordWriter(stream: stream, host: host, intents: intents)
        for (index, parsed) in records.objects().enumerated() {
            if host.isCancelled { throw PluginError.cancelled() }
            switch parsed {
            case .failure(let error): writer.rejections.append(RecordRejection(index: index, error: error.message))
            case .success(let object):
                guard let key = Self.key(of: object, fields: request.primaryKey) else {
                    writer.rejections.append(
                        RecordRejection(
                            index: index,
                            error: "the record has no string or integer value for its key "
                                + request.primaryKey.joined(separator: ", ")))
                    continue
                }
                if request.operation == .delete {
                    try writer.delete(object, key: key, index: index)
                } else {
                    try writer.upsert(object, key: key, index: index)
                }
            }
        }
        lastReported = (request.batchID, stream.name, writer.reported)
        let accepted = records.count - writer.rejections.count
        host.count("rest.objects_written", by: Double(accepted))
        if let first = writer.rejections.first {
            host.log(
                .warning, "The API refused records.",
                [
                    "stream": .string(stream.name), "count": .int(Int64(writer.rejections.count)),
                    "error": .string(first.error),
                ])
        }
        return WriteOutcome(acceptedCount: accepted, rejections: writer.rejections, assignedIDs: writer.assigned)
    }

    /// Drops the intents whose ids the host's ID map now holds, and checks that the ids
    /// reported in the previous batch are there: if not, `id_map_scope` names the wrong scope,
    /// and every later run would miss its mappings.
    private func confirm(_ intents: inout Intents, stream: RESTWrite, batchID: String) throws {
        var confirmed: [String] = []
        for (key, id) in intents.entries {
            guard let id else { continue }
            if try host.destinationID(scope: stream.idMapScope, sourceID: key) == id { confirmed.append(key) }
        }
        try intents.remove(confirmed)
        if let last = lastReported, last.stream == stream.name, last.batchID != batchID,
            let missing = try last.keys.first(where: {
                try host.destinationID(scope: stream.idMapScope, sourceID: $0) == nil
            })
        {
            throw PluginError.invalid(
                "stream '\(stream.name)': the host's ID map has no id for key '\(missing)' under id_map_scope "
                    + "'\(stream.idMapScope)' after its batch was committed: set id_map_scope to "
                    + "'<this connection's name>/\(stream.name)'")
        }
    }

    /// The key as the host files ID mappings: a string as it is, an integer in decimal, a
    /// composite key as the JSON array of its values.
    static func key(of object: JSONObject, fields: [String]) -> String? {
        let values = fields.map { object[$0] }
        guard values.allSatisfy({ RESTWrite.idText($0) != nil }) else { return nil }
        if values.count == 1 { return RESTWrite.idText(values[0]) }
        return JSONWriter().encodeString(.array(values.map { $0! }))
    }
}

/// One batch's requests and what they produced.
struct RecordWriter {
    let stream: RESTWrite
    let host: HostServices
    var intents: Intents
    var rejections: [RecordRejection] = []
    var assigned: [AssignedID] = []
    /// Keys whose ids this batch reports.
    var reported: [String] = []

    init(stream: RESTWrite, host: HostServices, intents: Intents) {
        self.stream = stream
        self.host = host
        self.intents = intents
    }

    /// Updates the record's object, or creates it.
    mutating func upsert(_ object: JSONObject, key: String, index: Int) throws {
        let body = JSONWriter().encode(stream.body(for: object, key: key))
        if let id = try host.destinationID(scope: stream.idMapScope, sourceID: key) {
            try update(id: id, body: body, index: index)
            return
        }
        switch intents[key] {
        case .some(.some(let id)):
            // Created by a run that ended before the host committed the id.
            if try update(id: id, body: body, index: index) { report(id, key: key, index: index) }
            return
        case .some(.none):
            // A create that got no recorded answer: look before creating again.
            guard let id = try resolve(object, key: key, index: index) else { break }
            try intents.record(key, id: id)
            if try update(id: id, body: body, index: index) { report(id, key: key, index: index) }
            return
        case .none:
            break
        }
        try create(key: key, body: body, index: index)
    }

    /// Deletes the record's object, when it has one.
    mutating func delete(_ object: JSONObject, key: String, index: Int) throws {
        guard let id = try host.destinationID(scope: stream.idMapScope, sourceID: key) ?? intents[key].flatMap({ $0 })
        else { return }
        // Forgotten, not deleted: acknowledged like a delete, so the host drops the pair.
        guard !stream.forgetsDeleted else { return }
        let response = try host.http(HTTPRequest(method: "DELETE", url: stream.itemPath(id: id)))
        if response.isSuccess || response.status == 404 { return }
        try refuse(response, "DELETE", index: index)
    }

    /// `POST`s the record after recording the intent; a create is never retried by the host.
    private mutating func create(key: String, body: [UInt8], index: Int) throws {
        try intents.record(key, id: nil)
        let response = try host.http(
            HTTPRequest(method: "POST", url: stream.path, headers: [("Content-Type", "application/json")], body: body))
        guard response.isSuccess else {
            try refuse(response, "POST", index: index)
            // Refused: nothing was created, so nothing is left to resolve.
            try intents.remove([key])
            return
        }
        guard let id = RESTWrite.idText(RESTWrite.value(at: stream.idPath, in: try response.json())) else {
            // Created, but the id cannot be read: the intent stays, for a lookup to resolve.
            throw PluginError.invalid(
                "stream '\(stream.name)': the create's response (HTTP \(response.status)) has no string or integer at "
                    + "id_path '\(stream.idPath.joined(separator: "."))'")
        }
        try intents.record(key, id: id)
        report(id, key: key, index: index)
    }

    /// Sends the update; false when the API refused it (the record is rejected).
    @discardableResult
    private mutating func update(id: String, body: [UInt8], index: Int) throws -> Bool {
        // The same body applied twice leaves the same object: the host may retry it.
        let response = try host.http(
            HTTPRequest(
                method: stream.updateMethod, url: stream.itemPath(id: id),
                headers: [("Content-Type", "application/json")], body: body, retrySafe: true))
        if response.isSuccess { return true }
        try refuse(response, stream.updateMethod, index: index)
        return false
    }

    /// Finds the object an unanswered create may have made; nil when there is none.
    private mutating func resolve(_ object: JSONObject, key: String, index: Int) throws -> String? {
        guard let lookup = stream.lookup else {
            throw PluginError.invalid(
                "stream '\(stream.name)': a create of key '\(key)' got no recorded answer in an earlier run and no "
                    + "writes[].lookup is configured to find the object it may have made; configure one (or map the key "
                    + "with ferry idmap import) before running again")
        }
        let query = lookup.query.map { ($0.0, RESTWrite.fill($0.1, key: key, record: object)) }
        let response = try host.http(.get(HTTPRequest.path(lookup.path, query: query)))
        guard response.isSuccess else {
            throw PluginError.invalid(
                "stream '\(stream.name)': the lookup of key '\(key)' answered HTTP \(response.status): "
                    + String(response.text.prefix(300)))
        }
        let found = RESTWrite.value(at: lookup.recordsPath, in: try response.json())
        let candidates = (found?.arrayValue ?? found.map { [$0] } ?? []).filter { candidate in
            lookup.matchField.map { RESTWrite.idText(RESTWrite.value(at: $0, in: candidate)) == key } ?? true
        }
        let ids = candidates.compactMap { RESTWrite.idText(RESTWrite.value(at: lookup.idPath, in: $0)) }
        guard ids.count <= 1 else {
            throw PluginError.invalid(
                "stream '\(stream.name)': the lookup of key '\(key)' found \(ids.count) objects (\(ids.prefix(5).joined(separator: ", "))); "
                    + "it must find one at most")
        }
        host.log(
            .info,
            ids.isEmpty
                ? "An unanswered create made no object; creating it."
                : "An unanswered create made an object; updating it.",
            ["stream": .string(stream.name), "key": .string(key)])
        return ids.first
    }

    private mutating func report(_ id: String, key: String, index: Int) {
        assigned.append(AssignedID(index: index, destinationID: id))
        reported.append(key)
    }

    /// Rejects the record for a 4xx the API meant for it; fails the batch for anything else.
    private mutating func refuse(_ response: HTTPResponse, _ method: String, index: Int) throws {
        let message = "\(method) answered HTTP \(response.status): \(response.text.prefix(500))"
        switch response.status {
        case 400, 404, 405, 409, 410, 412, 413, 415, 422:
            rejections.append(
                RecordRejection(index: index, error: "stream '\(stream.name)': the API refused the record: \(message)"))
        case 401, 403:
            throw PluginError.auth("stream '\(stream.name)': \(message); check the connection's http.auth")
        case 500...:
            throw PluginError.retryable("stream '\(stream.name)': \(message)")
        default:
            throw PluginError.invalid("stream '\(stream.name)': \(message)")
        }
    }
}
