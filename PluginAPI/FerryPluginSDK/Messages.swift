import FerryJSON

// The JSON messages that cross the ABI. Host and plugins both use these types,
// so the keys are written in one place; docs/plugin-abi.md lists them for C authors.

/// One stream a source offers (an element of `discover`'s catalog).
public struct StreamDescriptor: Sendable, Equatable {
    public var name: String
    /// JSON Schema of one record (`{"type":"object","properties":{...}}`).
    public var schema: JSONValue
    public var primaryKey: [String]
    public var cursorField: String?
    /// Whether a read can ask for single records by primary key (`reads_by_id`; the
    /// request's `ids`), as "sync this repair order now" needs.
    public var readsByID: Bool

    public init(
        name: String, schema: JSONValue = ["type": "object"], primaryKey: [String] = [], cursorField: String? = nil,
        readsByID: Bool = false
    ) {
        self.name = name
        self.schema = schema
        self.primaryKey = primaryKey
        self.cursorField = cursorField
        self.readsByID = readsByID
    }

    public var json: JSONValue {
        var object: JSONObject = JSONObject([
            ("name", .string(name)), ("schema", schema),
            ("primary_key", .array(primaryKey.map(JSONValue.string))),
        ])
        if let cursorField { object["cursor_field"] = .string(cursorField) }
        if readsByID { object["reads_by_id"] = .bool(true) }
        return .object(object)
    }

    public init(json: JSONValue) throws {
        guard let name = json["name"]?.stringValue else { throw MessageError("stream without a 'name'") }
        self.name = name
        self.schema = json["schema"] ?? ["type": "object"]
        self.primaryKey = try stringList(json["primary_key"], key: "primary_key")
        self.cursorField = json["cursor_field"]?.stringValue
        self.readsByID = json["reads_by_id"]?.boolValue ?? false
    }
}

/// The catalog `discover` returns: `{"streams": [...]}`.
public struct Catalog: Sendable, Equatable {
    public var streams: [StreamDescriptor]
    public init(streams: [StreamDescriptor]) { self.streams = streams }
    public var json: JSONValue { ["streams": .array(streams.map(\.json))] }
    public init(json: JSONValue) throws {
        guard let list = json["streams"]?.arrayValue else { throw MessageError("catalog without a 'streams' list") }
        streams = try list.map(StreamDescriptor.init(json:))
    }
    public func stream(named name: String) -> StreamDescriptor? { streams.first { $0.name == name } }
}

/// One condition of a filtered read (`ferry run --filter FIELD=VALUE`): the source record's
/// top-level field equals the text. A source may narrow its reading with it; the host checks
/// every record it delivers anyway, so a source that ignores it is still correct.
public struct ReadFilter: Sendable, Equatable {
    public var field: String
    public var value: String
    public init(field: String, value: String) {
        self.field = field
        self.value = value
    }
}

/// What `read_open` receives.
public struct ReadRequest: Sendable, Equatable {
    public var stream: String
    /// The checkpoint of the last acknowledged batch, nil on a first or full run.
    public var checkpoint: JSONValue?
    /// Ignore any checkpoint and read everything.
    public var fullRefresh: Bool
    /// Explicit range bounds (ISO 8601 date or date-time, as the user typed them).
    public var since: String?
    public var until: String?
    /// Seconds to re-read before the checkpoint (late-arriving data).
    public var lookback: Int?
    public var cursorField: String?
    public var batchSize: Int
    /// Only these records, by primary key (`ids`), for a stream whose catalog entry says
    /// `reads_by_id`; nil: the stream as usual. Such a read never moves the checkpoint.
    public var ids: [String]?
    /// Only records whose fields equal these values (`filters`, a JSON object), all of them;
    /// nil: every record. Such a read never moves the checkpoint.
    public var filters: [ReadFilter]?
    /// A dry run reads (`"preview": true`): a reader that records something as it reads (a
    /// history, a cursor of its own) must leave it as it was.
    public var preview: Bool

    public init(
        stream: String, checkpoint: JSONValue? = nil, fullRefresh: Bool = false, since: String? = nil,
        until: String? = nil, lookback: Int? = nil, cursorField: String? = nil, batchSize: Int = 1000,
        ids: [String]? = nil, filters: [ReadFilter]? = nil, preview: Bool = false
    ) {
        self.stream = stream; self.checkpoint = checkpoint; self.fullRefresh = fullRefresh
        self.since = since; self.until = until; self.lookback = lookback; self.cursorField = cursorField
        self.batchSize = batchSize; self.ids = ids; self.filters = filters; self.preview = preview
    }

    public var json: JSONValue {
        var o = JSONObject([
            ("stream", .string(stream)), ("full_refresh", .bool(fullRefresh)), ("batch_size", .int(Int64(batchSize))),
        ])
        if let checkpoint { o["checkpoint"] = checkpoint }
        if let since { o["since"] = .string(since) }
        if let until { o["until"] = .string(until) }
        if let lookback { o["lookback"] = .int(Int64(lookback)) }
        if let cursorField { o["cursor_field"] = .string(cursorField) }
        if let ids { o["ids"] = .array(ids.map(JSONValue.string)) }
        if let filters { o["filters"] = .object(JSONObject(filters.map { (key: $0.field, value: .string($0.value)) })) }
        if preview { o["preview"] = .bool(true) }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        guard let stream = json["stream"]?.stringValue else { throw MessageError("read request without a 'stream'") }
        self.init(
            stream: stream,
            checkpoint: json["checkpoint"].flatMap { $0.isNull ? nil : $0 },
            fullRefresh: json["full_refresh"]?.boolValue ?? false,
            since: json["since"]?.stringValue, until: json["until"]?.stringValue,
            lookback: json["lookback"]?.intValue.map(Int.init),
            cursorField: json["cursor_field"]?.stringValue,
            batchSize: json["batch_size"]?.intValue.map(Int.init) ?? 1000,
            ids: try json["ids"].map { try stringList($0, key: "ids") },
            filters: try json["filters"].map { value in
                guard let object = value.objectValue else { throw MessageError("'filters' must be an object") }
                return try object.map { entry in
                    guard let text = entry.value.stringValue else {
                        throw MessageError("filter '\(entry.key)' must be text")
                    }
                    return ReadFilter(field: entry.key, value: text)
                }
            },
            preview: json["preview"]?.boolValue ?? false)
    }
}

/// How a destination applies a batch.
public enum WriteOperation: String, Sendable {
    /// Insert every record.
    case append
    /// Insert or replace by primary key.
    case upsert
    /// Delete the records whose primary keys the batch lists.
    case delete
}

/// What `write` receives besides the records.
public struct WriteRequest: Sendable, Equatable {
    public var stream: String
    public var operation: WriteOperation
    public var primaryKey: [String]
    /// JSON Schema of the records, when the source declared one.
    public var schema: JSONValue?
    /// Stable across retries of the same batch, so a destination may make
    /// appends idempotent.
    public var batchID: String
    /// The host's checkpoint after this batch (ABI 1.1). A `CheckpointingDestination`
    /// stores it in the same transaction as the batch's rows.
    public var checkpoint: DurableCheckpoint?
    /// The ID-map scope the host files this stream's assigned ids under (ABI 1.1), as
    /// `id_map_get` takes it: a destination that updates what it created looks ids up there.
    public var idMapScope: String?
    /// The transaction this write belongs to (ABI 1.2, sent only to a `TransactionalDestination`),
    /// or nil for a write that commits alone.
    public var transaction: WriteTransaction?
    /// A dry run's write (`"preview": true`), sent only to a plugin whose spec says
    /// `previews_writes` (``FerryPlugin/previewsWrites``): it must change nothing, neither the
    /// destination nor its state nor the ID map, and log what it would do.
    public var preview: Bool

    public init(
        stream: String, operation: WriteOperation, primaryKey: [String] = [], schema: JSONValue? = nil, batchID: String,
        checkpoint: DurableCheckpoint? = nil, idMapScope: String? = nil, transaction: WriteTransaction? = nil,
        preview: Bool = false
    ) {
        self.stream = stream; self.operation = operation; self.primaryKey = primaryKey
        self.schema = schema; self.batchID = batchID; self.checkpoint = checkpoint; self.idMapScope = idMapScope
        self.transaction = transaction; self.preview = preview
    }

    public var json: JSONValue {
        var o = JSONObject([
            ("stream", .string(stream)), ("mode", .string(operation.rawValue)),
            ("primary_key", .array(primaryKey.map(JSONValue.string))), ("batch_id", .string(batchID)),
        ])
        if let schema { o["schema"] = schema }
        if let checkpoint { o["checkpoint"] = checkpoint.json }
        if let idMapScope { o["id_map_scope"] = .string(idMapScope) }
        if let transaction {
            o["transaction"] = .object(["id": .string(transaction.id), "commit": .bool(transaction.commit)])
        }
        if preview { o["preview"] = .bool(true) }
        return .object(o)
    }

    public init(json: JSONValue) throws {
        guard let stream = json["stream"]?.stringValue else { throw MessageError("write request without a 'stream'") }
        let modeText = json["mode"]?.stringValue ?? "append"
        guard let operation = WriteOperation(rawValue: modeText) else {
            throw MessageError("write request 'mode' must be append, upsert or delete, got '\(modeText)'")
        }
        self.init(
            stream: stream, operation: operation, primaryKey: try stringList(json["primary_key"], key: "primary_key"),
            schema: json["schema"], batchID: json["batch_id"]?.stringValue ?? "",
            checkpoint: try json["checkpoint"].flatMap { $0.isNull ? nil : try DurableCheckpoint(json: $0) },
            idMapScope: json["id_map_scope"]?.stringValue,
            transaction: try json["transaction"].flatMap { $0.isNull ? nil : try WriteTransaction(json: $0) },
            preview: json["preview"]?.boolValue ?? false)
    }
}

/// Several writes (of several streams) committed as one (ABI 1.2): a fan-out batch's
/// outputs into one database. The destination keeps one transaction open across the
/// writes with this `id` and commits it on the one whose `commit` is true.
public struct WriteTransaction: Sendable, Equatable {
    /// Names the transaction (the host's batch id).
    public var id: String
    /// Whether this write ends the transaction: commit everything written under `id`.
    public var commit: Bool

    public init(id: String, commit: Bool) {
        self.id = id
        self.commit = commit
    }

    init(json: JSONValue) throws {
        guard let id = json["id"]?.stringValue, !id.isEmpty else {
            throw MessageError("write request 'transaction' needs a non-empty 'id'")
        }
        self.init(id: id, commit: json["commit"]?.boolValue ?? false)
    }
}

/// A host checkpoint as a destination keeps it beside its rows (ABI 1.1): the
/// pipeline stream it belongs to, its place in that stream's sequence of
/// checkpoints, and the source's opaque value.
public struct DurableCheckpoint: Sendable, Equatable {
    /// Names the pipeline stream, e.g. `site/pipeline/stream`.
    public var scope: String
    /// Grows by one with every checkpoint the host commits for the scope, so the
    /// larger of two sequences is the later checkpoint.
    public var sequence: Int64
    /// The source's checkpoint, opaque JSON.
    public var value: JSONValue

    public init(scope: String, sequence: Int64, value: JSONValue) {
        self.scope = scope; self.sequence = sequence; self.value = value
    }

    public var json: JSONValue {
        .object(JSONObject([("scope", .string(scope)), ("sequence", .int(sequence)), ("value", value)]))
    }

    public init(json: JSONValue) throws {
        guard let scope = json["scope"]?.stringValue, let sequence = json["sequence"]?.intValue,
            let value = json["value"]
        else {
            throw MessageError("a checkpoint needs 'scope', 'sequence' and 'value'")
        }
        self.init(scope: scope, sequence: sequence, value: value)
    }
}

/// What `transform` receives besides the records.
public struct TransformRequest: Sendable, Equatable {
    public var stream: String
    public init(stream: String) { self.stream = stream }
    public var json: JSONValue { ["stream": .string(stream)] }
    public init(json: JSONValue) throws {
        guard let stream = json["stream"]?.stringValue else {
            throw MessageError("transform request without a 'stream'")
        }
        self.stream = stream
    }
}

/// A record the plugin refused, by its 0-based index in the batch.
public struct RecordRejection: Sendable, Equatable {
    public var index: Int
    public var error: String
    public init(index: Int, error: String) {
        self.index = index
        self.error = error
    }
}

/// An id the destination assigned to the record at `index`.
public struct AssignedID: Sendable, Equatable {
    public var index: Int
    public var destinationID: String
    public init(index: Int, destinationID: String) {
        self.index = index
        self.destinationID = destinationID
    }
}

/// The result of a write.
public struct WriteOutcome: Sendable, Equatable {
    public var acceptedCount: Int
    public var rejections: [RecordRejection]
    public var assignedIDs: [AssignedID]

    public init(acceptedCount: Int, rejections: [RecordRejection] = [], assignedIDs: [AssignedID] = []) {
        self.acceptedCount = acceptedCount
        self.rejections = rejections
        self.assignedIDs = assignedIDs
    }
}

/// The result of a transform.
public struct TransformOutcome {
    public var records: RecordBatch
    public var rejections: [RecordRejection]
    public init(records: RecordBatch, rejections: [RecordRejection] = []) {
        self.records = records
        self.rejections = rejections
    }
}

/// A malformed message between host and plugin.
public struct MessageError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

private func stringList(_ value: JSONValue?, key: String) throws -> [String] {
    guard let value, !value.isNull else { return [] }
    if let single = value.stringValue { return [single] }
    guard let list = value.arrayValue else { throw MessageError("'\(key)' must be a string or a list of strings") }
    return try list.map {
        guard let s = $0.stringValue else { throw MessageError("'\(key)' must be a list of strings") }
        return s
    }
}
