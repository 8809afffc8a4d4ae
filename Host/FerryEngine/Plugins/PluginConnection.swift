import CFerryPlugin
import FerryCore
import FerryJSON
import FerryPluginSDK

/// One open plugin instance (a connection) as the engine sees it: Swift
/// methods over the plugin table's C slots, with every returned buffer copied
/// out and released, and every failure turned into a `PluginCallError`.
///
/// Calls on one connection must come from one thread at a time (the ABI's
/// threading rule); `cancel()` may come from any thread.
public final class PluginConnection {
    public let pluginName: String
    public let connectionName: String
    /// The plugin's C table, for callers that measure or test the raw slots.
    public let api: UnsafePointer<ferry_plugin_api>
    private let context: PluginContext
    /// The plugin's instance handle (nil once closed), for raw slot calls.
    public private(set) var instance: OpaquePointer?
    /// The source may repeat a `read_next` that failed as retryable (`FERRY_CAP_REPEATABLE_READ`);
    /// otherwise the engine reopens the stream at its last committed checkpoint.
    public let repeatableReads: Bool
    /// The destination commits the writes of one `WriteRequest.transaction` together
    /// (`FERRY_CAP_WRITE_TRANSACTION`, negotiated ABI 1.2 or later): a fan-out batch's outputs
    /// into this connection are then one transaction.
    public let transactionalWrites: Bool
    /// The destination previews a dry run's writes (its spec's `previews_writes`): the engine
    /// hands it a dry run's batches with `WriteRequest.preview`, and it changes nothing.
    public let previewsWrites: Bool

    /// - Parameter isolated: set for `isolation: process`: `api` is then its forwarding table,
    ///   and it opens the instance in a child process.
    init(
        pluginName: String, connectionName: String, api: UnsafePointer<ferry_plugin_api>, config: JSONObject,
        context: PluginContext,
        repeatableReads: Bool = false, transactionalWrites: Bool = false, previewsWrites: Bool = false,
        isolated: IsolatedPlugin? = nil
    ) throws {
        self.previewsWrites = previewsWrites
        self.pluginName = pluginName
        self.connectionName = connectionName
        self.api = api
        self.context = context
        self.repeatableReads = repeatableReads
        self.transactionalWrites = transactionalWrites && api.pointee.abi_minor >= 2
        let configText = JSONWriter().encodeString(.object(config))
        var handle: OpaquePointer?
        var error = ferry_error.empty
        let contextPointer = OpaquePointer(Unmanaged.passUnretained(context).toOpaque())
        let status: ferry_status
        if let isolated {
            status = withBorrowedString(configText) { text in
                isolated.open(
                    host: HostServicesTable.pointer, context: contextPointer, config: text, instance: &handle,
                    error: &error)
            }
        } else {
            guard let open = api.pointee.open else {
                throw callError("open", FERRY_ERR_UNSUPPORTED, "the plugin has no open slot")
            }
            status = withBorrowedString(configText) { text in
                open(HostServicesTable.pointer, contextPointer, text, &handle, &error)
            }
        }
        try check("open", status, &error)
        instance = handle
    }

    deinit { close() }

    /// Frees the plugin instance; later calls fail.
    public func close() {
        guard let instance else { return }
        api.pointee.close?(instance)
        self.instance = nil
        // After the plugin's last request: a session not kept for later runs is logged out.
        context.http?.close()
    }

    /// Asks the running call to stop soon. Any thread.
    public func cancel() {
        guard let instance else { return }
        api.pointee.cancel?(instance)
    }

    /// The plugin's health check.
    public func check() throws -> CheckReport {
        guard let slot = api.pointee.check else { return CheckReport(ok: true, message: "The plugin has no check.") }
        let json = try receiveJSON("check") { out, error in slot(try handle("check"), out, error) }
        return CheckReport(ok: json["ok"]?.boolValue ?? false, message: json["message"]?.stringValue ?? "")
    }

    /// The streams the source offers.
    public func discover() throws -> Catalog {
        guard let slot = api.pointee.discover else {
            throw callError("discover", FERRY_ERR_UNSUPPORTED, "the plugin is not a source")
        }
        let json = try receiveJSON("discover") { out, error in slot(try handle("discover"), out, error) }
        do { return try Catalog(json: json) } catch {
            throw callError("discover", FERRY_ERR_INVALID, "malformed catalog: \(error)")
        }
    }

    /// Starts reading a stream.
    public func read(_ request: ReadRequest) throws -> PluginReader {
        guard let open = api.pointee.read_open, let next = api.pointee.read_next, let close = api.pointee.read_close
        else {
            throw callError("read_open", FERRY_ERR_UNSUPPORTED, "the plugin is not a source")
        }
        var reader: OpaquePointer?
        var error = ferry_error.empty
        let instance = try handle("read_open")
        let status = withBorrowedString(JSONWriter().encodeString(request.json)) { open(instance, $0, &reader, &error) }
        try check("read_open", status, &error)
        guard let reader else { throw callError("read_open", FERRY_ERR_INTERNAL, "returned no reader") }
        return PluginReader(connection: self, reader: reader, next: next, close: close)
    }

    /// Writes one batch of NDJSON records; returns when the destination acknowledged it.
    public func write(_ request: WriteRequest, records: [UInt8]) throws -> WriteOutcome {
        guard let slot = api.pointee.write else {
            throw callError("write", FERRY_ERR_UNSUPPORTED, "the plugin is not a destination")
        }
        var result = ferry_write_result()
        try callWithRecords("write", request: request.json, records: records) { instance, requestText, records, error in
            slot(instance, requestText, records, &result, error)
        }
        defer { result.release?(&result) }
        return WriteOutcome(
            acceptedCount: Int(result.accepted_count),
            rejections: try rejections(result.rejects, slot: "write"),
            assignedIDs: try assignedIDs(result.id_mappings))
    }

    /// The plugin's `checkpoint_get` slot, when its table is large enough to have one (ABI 1.1).
    private var checkpointGetSlot:
        (
            @convention(c) (
                OpaquePointer?, ferry_str, UnsafeMutablePointer<ferry_buffer>?, UnsafeMutablePointer<ferry_error>?
            ) -> ferry_status
        )?
    {
        Self.checkpointGetSlot(of: api)
    }

    static func checkpointGetSlot(of api: UnsafePointer<ferry_plugin_api>)
        -> (
            @convention(c) (
                OpaquePointer?, ferry_str, UnsafeMutablePointer<ferry_buffer>?, UnsafeMutablePointer<ferry_error>?
            ) -> ferry_status
        )?
    {
        let end =
            MemoryLayout<ferry_plugin_api>.offset(of: \ferry_plugin_api.checkpoint_get)!
            + MemoryLayout<UnsafeRawPointer>.size
        guard Int(api.pointee.struct_size) >= end, api.pointee.abi_minor >= 1 else { return nil }
        return api.pointee.checkpoint_get
    }

    /// True when the destination commits the host's checkpoint with each batch's rows.
    public var storesCheckpoints: Bool { checkpointGetSlot != nil }

    /// The checkpoint the destination stored last for `scope`; nil when it has none
    /// or keeps none.
    public func storedCheckpoint(scope: String) throws -> DurableCheckpoint? {
        guard let slot = checkpointGetSlot else { return nil }
        let instance = try handle("checkpoint_get")
        var buffer = ferry_buffer()
        var error = ferry_error.empty
        let request = JSONWriter().encodeString(["scope": .string(scope)])
        let status = withBorrowedString(request) { slot(instance, $0, &buffer, &error) }
        if status == FERRY_ERR_NOT_FOUND {
            _ = PluginError(consuming: &error, status: status)
            return nil
        }
        try check("checkpoint_get", status, &error)
        let bytes = buffer.consumeBytes()
        do {
            return try DurableCheckpoint(json: JSONParser().parse(bytes))
        } catch {
            throw callError("checkpoint_get", FERRY_ERR_INVALID, "returned a malformed checkpoint: \(error)")
        }
    }

    /// Maps one batch of NDJSON records through a transform plugin.
    public func transform(_ request: TransformRequest, records: [UInt8]) throws -> (
        records: [UInt8], count: Int, rejections: [RecordRejection]
    ) {
        guard let slot = api.pointee.transform else {
            throw callError("transform", FERRY_ERR_UNSUPPORTED, "the plugin is not a transform")
        }
        var result = ferry_transform_result()
        try callWithRecords("transform", request: request.json, records: records) {
            instance, requestText, records, error in
            slot(instance, requestText, records, &result, error)
        }
        defer { result.release?(&result) }
        return (
            Array(result.records.rawBytes), Int(result.record_count), try rejections(result.rejects, slot: "transform")
        )
    }

    // MARK: Plumbing

    /// Calls a slot that takes a request and a batch of records (`write`, `transform`): both
    /// are borrowed for the call; a failure status becomes a `PluginCallError`.
    private func callWithRecords(
        _ slotName: String, request: JSONValue, records: [UInt8],
        _ slot: (OpaquePointer, ferry_str, ferry_str, UnsafeMutablePointer<ferry_error>) -> ferry_status
    ) throws {
        var error = ferry_error.empty
        let instance = try handle(slotName)
        let status = withBorrowedString(JSONWriter().encodeString(request)) { requestText in
            records.withUnsafeBytes { bytes in
                slot(
                    instance, requestText,
                    ferry_str(ptr: bytes.baseAddress?.assumingMemoryBound(to: CChar.self), len: bytes.count),
                    &error)
            }
        }
        try check(slotName, status, &error)
    }

    private func handle(_ slot: String) throws -> OpaquePointer {
        guard let instance else { throw callError(slot, FERRY_ERR_INTERNAL, "the connection is closed") }
        return instance
    }

    func callError(_ slot: String, _ status: ferry_status, _ message: String, retryAfter: Double? = nil)
        -> PluginCallError
    {
        PluginCallError(
            plugin: pluginName, connection: connectionName, slot: slot, status: status, message: message,
            retryAfter: retryAfter)
    }

    /// Throws when `status` is a failure, consuming the error's buffers.
    func check(_ slot: String, _ status: ferry_status, _ error: inout ferry_error) throws {
        let retriesSpent = context.httpRetriesSpent
        context.httpRetriesSpent = false
        guard status != FERRY_OK && status != FERRY_END && status != FERRY_END_COMPLETE else { return }
        let failure = PluginError(consuming: &error, status: status)
        var thrown = callError(slot, status, failure.message, retryAfter: failure.retryAfter)
        thrown.retriesSpent = retriesSpent
        throw thrown
    }

    private func receiveJSON(
        _ slot: String,
        _ body: (UnsafeMutablePointer<ferry_buffer>, UnsafeMutablePointer<ferry_error>) throws -> ferry_status
    ) throws -> JSONValue {
        var buffer = ferry_buffer()
        var error = ferry_error.empty
        let status = try body(&buffer, &error)
        try check(slot, status, &error)
        let bytes = buffer.consumeBytes()
        do { return try JSONParser().parse(bytes) } catch {
            throw callError(slot, FERRY_ERR_INVALID, "returned invalid JSON: \(error)")
        }
    }

    private func rejections(_ text: ferry_str, slot: String) throws -> [RecordRejection] {
        try NDJSONLines(text.rawBytes).map { line in
            let value = try JSONParser().parse(line.bytes)
            guard let index = value["index"]?.intValue else {
                throw callError(slot, FERRY_ERR_INVALID, "a reject without an 'index'")
            }
            return RecordRejection(index: Int(index), error: value["error"]?.stringValue ?? "rejected without a reason")
        }
    }

    private func assignedIDs(_ text: ferry_str) throws -> [AssignedID] {
        try NDJSONLines(text.rawBytes).map { line in
            let value = try JSONParser().parse(line.bytes)
            guard let index = value["index"]?.intValue, let id = value["destination_id"] else {
                throw callError("write", FERRY_ERR_INVALID, "an id mapping without 'index' and 'destination_id'")
            }
            return AssignedID(index: Int(index), destinationID: id.stringValue ?? JSONWriter().encodeString(id))
        }
    }
}

/// An open stream read. Each `next()` copies the batch out of plugin memory
/// and releases it, so no plugin buffer outlives the call.
public final class PluginReader {
    private let connection: PluginConnection
    private var reader: OpaquePointer?
    private let nextSlot:
        @convention(c) (OpaquePointer?, UnsafeMutablePointer<ferry_batch>?, UnsafeMutablePointer<ferry_error>?) ->
            ferry_status
    private let closeSlot: @convention(c) (OpaquePointer?) -> Void

    init(
        connection: PluginConnection, reader: OpaquePointer,
        next:
            @escaping @convention(c) (
                OpaquePointer?, UnsafeMutablePointer<ferry_batch>?, UnsafeMutablePointer<ferry_error>?
            ) -> ferry_status,
        close: @escaping @convention(c) (OpaquePointer?) -> Void
    ) {
        self.connection = connection
        self.reader = reader
        self.nextSlot = next
        self.closeSlot = close
    }

    deinit { close() }

    public func close() {
        guard let reader else { return }
        closeSlot(reader)
        self.reader = nil
    }

    /// Set when the stream ended with `FERRY_END_COMPLETE`: the source vouches that
    /// it returned the whole stream.
    public private(set) var isComplete = false

    /// The next batch, or nil at the end of the stream.
    public func next() throws -> SourceBatch? {
        guard let reader else { return nil }
        var batch = ferry_batch()
        var error = ferry_error.empty
        let status = nextSlot(reader, &batch, &error)
        if status == FERRY_END { return nil }
        if status == FERRY_END_COMPLETE {
            isComplete = true
            return nil
        }
        try connection.check("read_next", status, &error)
        defer { batch.release?(&batch) }
        var checkpoint: String?
        if batch.checkpoint.len > 0 { checkpoint = batch.checkpoint.string }
        return SourceBatch(
            records: Array(batch.records.rawBytes), count: Int(batch.record_count), checkpoint: checkpoint)
    }
}

/// A batch as the engine holds it: NDJSON bytes, count and checkpoint text.
public struct SourceBatch: Sendable {
    public var records: [UInt8]
    public var count: Int
    public var checkpoint: String?
}

/// A failed plugin call: which plugin, connection and slot, with the ABI status.
public struct PluginCallError: Error, CustomStringConvertible {
    public var plugin: String
    public var connection: String
    public var slot: String
    public var status: Int32
    public var message: String
    public var retryAfter: Double?
    /// The failure came from an HTTP request that the host's HTTP service already
    /// retried as often as the connection allows: retrying the call would nest budgets.
    public var retriesSpent = false

    public var isRetryable: Bool { status == FERRY_ERR_RETRYABLE || status == FERRY_ERR_RATE_LIMITED }

    public var description: String {
        "connection '\(connection)' (plugin \(plugin)) \(slot) failed [\(FerryStatus.name(of: status))]: \(message)"
    }
}
