import CFerryPlugin
import FerryBuild
import FerryJSON
import Glibc

/// Turns a `FerryPlugin` type into the C descriptor and table the host loads.
///
/// Each plugin library links its own copy of the SDK (libraries are loaded with
/// `RTLD_LOCAL`), so the one registration below is per plugin. The C slots catch
/// every thrown Swift error and turn it into a status; nothing unwinds into the
/// host. A Swift trap still kills the process: connectors must not trap.
public enum PluginExport {
    /// Registers `plugin` (once) and returns its static descriptor. Call it from
    /// the library's public `@c func ferry_plugin_v1()`.
    public static func descriptor<Plugin: FerryPlugin>(for plugin: Plugin.Type) -> UnsafePointer<
        ferry_plugin_descriptor
    > {
        registrationLock.lock()
        defer { registrationLock.unlock() }
        if let registered { return registered.descriptor }
        let registration = Registration(plugin)
        registered = registration
        return registration.descriptor
    }
}

/// Everything the C slots need to reach the Swift plugin type.
/// `@unchecked Sendable`: every property is a `let` set once in `init`; the descriptor it points at is never written after.
final class Registration: @unchecked Sendable {
    let descriptor: UnsafePointer<ferry_plugin_descriptor>
    let specJSON: String
    let open: (JSONObject, HostServices) throws -> any Connector
    /// The instance type keeps checkpoints with its rows: the table gets `checkpoint_get`.
    let storesCheckpoints: Bool

    init<Plugin: FerryPlugin>(_ plugin: Plugin.Type) {
        var capabilities: UInt32 = 0
        if Plugin.Instance.self is any SourceConnector.Type { capabilities |= FERRY_CAP_SOURCE }
        if Plugin.Instance.self is any DestinationConnector.Type { capabilities |= FERRY_CAP_DESTINATION }
        if Plugin.Instance.self is any TransformConnector.Type { capabilities |= FERRY_CAP_TRANSFORM }
        if Plugin.repeatableReads { capabilities |= FERRY_CAP_REPEATABLE_READ }
        if Plugin.Instance.self is any TransactionalDestination.Type { capabilities |= FERRY_CAP_WRITE_TRANSACTION }
        storesCheckpoints = Plugin.Instance.self is any CheckpointingDestination.Type
        let descriptor = UnsafeMutablePointer<ferry_plugin_descriptor>.allocate(capacity: 1)
        // The strings and the descriptor live as long as the library, which is never unloaded.
        descriptor.initialize(
            to: ferry_plugin_descriptor(
                struct_size: UInt32(MemoryLayout<ferry_plugin_descriptor>.size),
                abi_major: UInt32(FERRY_ABI_MAJOR), abi_minor: UInt32(FERRY_ABI_MINOR),
                capabilities: capabilities,
                name: UnsafePointer(strdup(Plugin.name)), version: UnsafePointer(strdup(Plugin.version)),
                runtime: UnsafePointer(strdup(SwiftRuntime.tag)), description: UnsafePointer(strdup(Plugin.summary)),
                init: { hostMinor, outAPI, _ in
                    outAPI?.pointee = pluginTable(minor: min(hostMinor, UInt32(FERRY_ABI_MINOR)))
                    return FERRY_OK
                }))
        self.descriptor = UnsafePointer(descriptor)
        var spec: JSONObject = ["config": Plugin.configSchema, "documentation": .string(Plugin.summary)]
        if Plugin.previewsWrites { spec["previews_writes"] = true }
        specJSON = JSONWriter().encodeString(.object(spec))
        open = { config, host in try Plugin.open(config: config, host: host) }
    }
}

private let registrationLock = Mutex()
nonisolated(unsafe) private var registered: Registration?
nonisolated(unsafe) private var tables: [UInt32: UnsafePointer<ferry_plugin_api>] = [:]

/// The plugin table for a negotiated minor (one per minor, built once).
private func pluginTable(minor: UInt32) -> UnsafePointer<ferry_plugin_api> {
    registrationLock.lock()
    defer { registrationLock.unlock() }
    if let table = tables[minor] { return table }
    let table = UnsafeMutablePointer<ferry_plugin_api>.allocate(capacity: 1)
    table.initialize(to: makeTable(minor: minor))
    tables[minor] = UnsafePointer(table)
    return UnsafePointer(table)
}

/// A plain pthread mutex: the SDK must not depend on Foundation.
/// `@unchecked Sendable`: a pthread mutex is made to be shared between threads.
final class Mutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
}

/// One open connection on the plugin side.
final class InstanceBox {
    let connector: any Connector
    let cancellation: CancellationFlag
    init(_ connector: any Connector, cancellation: CancellationFlag) {
        self.connector = connector
        self.cancellation = cancellation
    }
}

/// One open stream read.
final class ReaderBox {
    let reader: any BatchReader
    init(_ reader: any BatchReader) { self.reader = reader }
}

private func instance(_ pointer: OpaquePointer?) -> any Connector { box(pointer).connector }

private func box(_ pointer: OpaquePointer?) -> InstanceBox {
    Unmanaged<InstanceBox>.fromOpaque(UnsafeRawPointer(pointer!)).takeUnretainedValue()
}

private func parseRequest(_ text: ferry_str) throws -> JSONValue {
    do { return try JSONParser().parse(text.rawBytes) } catch {
        throw PluginError.invalid("request is not valid JSON: \(error)")
    }
}

private func makeTable(minor: UInt32) -> ferry_plugin_api {
    var api = ferry_plugin_api()
    api.struct_size = UInt32(MemoryLayout<ferry_plugin_api>.size)
    api.abi_minor = minor
    api.spec = { out, error in
        PluginError.guarded(error) {
            out?.pointee = .owning(registered!.specJSON)
            return FERRY_OK
        }
    }
    api.open = { host, context, config, out, error in
        PluginError.guarded(error) {
            guard let host else { throw PluginError.invalid("open without a host table") }
            let configValue: JSONValue = config.len == 0 ? .object(JSONObject()) : try parseRequest(config)
            guard case .object(let object) = configValue else {
                throw PluginError.invalid("config must be a JSON object")
            }
            let cancellation = CancellationFlag()
            let connector = try registered!.open(
                object, HostServices(table: host, context: context, cancellation: cancellation))
            out?.pointee = OpaquePointer(
                Unmanaged.passRetained(InstanceBox(connector, cancellation: cancellation)).toOpaque())
            return FERRY_OK
        }
    }
    api.check = { handle, out, error in
        PluginError.guarded(error) {
            let report = try instance(handle).check()
            out?.pointee = .owning(
                JSONWriter().encodeString(["ok": .bool(report.ok), "message": .string(report.message)]))
            return FERRY_OK
        }
    }
    api.discover = { handle, out, error in
        PluginError.guarded(error) {
            guard let source = instance(handle) as? any SourceConnector else {
                throw PluginError.unsupported("not a source")
            }
            out?.pointee = .owning(JSONWriter().encodeString(Catalog(streams: try source.discover()).json))
            return FERRY_OK
        }
    }
    api.read_open = { handle, request, out, error in
        PluginError.guarded(error) {
            guard let source = instance(handle) as? any SourceConnector else {
                throw PluginError.unsupported("not a source")
            }
            let reader = try source.read(try ReadRequest(json: parseRequest(request)))
            out?.pointee = OpaquePointer(Unmanaged.passRetained(ReaderBox(reader)).toOpaque())
            return FERRY_OK
        }
    }
    // A 1.0 host knows no FERRY_END_COMPLETE: it gets plain FERRY_END.
    if minor >= 1 {
        api.read_next = { handle, out, error in
            PluginError.guarded(error) { try readNext(handle, out, completeStatus: ferry_status(FERRY_END_COMPLETE)) }
        }
    } else {
        api.read_next = { handle, out, error in
            PluginError.guarded(error) { try readNext(handle, out, completeStatus: ferry_status(FERRY_END)) }
        }
    }
    api.read_close = { handle in
        guard let handle else { return }
        Unmanaged<ReaderBox>.fromOpaque(UnsafeRawPointer(handle)).release()
    }
    api.write = { handle, request, records, out, error in
        PluginError.guarded(error) {
            guard let destination = instance(handle) as? any DestinationConnector else {
                throw PluginError.unsupported("not a destination")
            }
            let parsed = try WriteRequest(json: parseRequest(request))
            let view = RecordsView(
                bytes: records.rawBytes, count: NDJSONLines(records.rawBytes).reduce(0) { count, _ in count + 1 })
            let outcome = try destination.write(parsed, records: view)
            out?.pointee = exportWriteOutcome(outcome)
            return FERRY_OK
        }
    }
    api.transform = { handle, request, records, out, error in
        PluginError.guarded(error) {
            guard let transform = instance(handle) as? any TransformConnector else {
                throw PluginError.unsupported("not a transform")
            }
            let parsed = try TransformRequest(json: parseRequest(request))
            let view = RecordsView(
                bytes: records.rawBytes, count: NDJSONLines(records.rawBytes).reduce(0) { count, _ in count + 1 })
            out?.pointee = exportTransformOutcome(try transform.transform(parsed, records: view))
            return FERRY_OK
        }
    }
    if minor >= 1 && registered!.storesCheckpoints {
        api.checkpoint_get = { handle, request, out, error in
            PluginError.guarded(error) {
                guard let destination = instance(handle) as? any CheckpointingDestination else {
                    throw PluginError.unsupported("this destination keeps no checkpoints")
                }
                guard let scope = try parseRequest(request)["scope"]?.stringValue else {
                    throw PluginError.invalid("checkpoint_get request without a 'scope'")
                }
                guard let stored = try destination.storedCheckpoint(scope: scope) else { return FERRY_ERR_NOT_FOUND }
                out?.pointee = .owning(JSONWriter().encodeString(stored.json))
                return FERRY_OK
            }
        }
    }
    api.cancel = { handle in
        let instance = box(handle)
        instance.cancellation.raise()
        instance.connector.cancel()
    }
    api.close = { handle in
        guard let handle else { return }
        Unmanaged<InstanceBox>.fromOpaque(UnsafeRawPointer(handle)).release()
    }
    return api
}

/// The body of `read_next`: the next batch, or the end with `completeStatus` when the
/// reader vouches for a complete stream.
private func readNext(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<ferry_batch>?, completeStatus: ferry_status)
    throws -> ferry_status
{
    let box = Unmanaged<ReaderBox>.fromOpaque(UnsafeRawPointer(handle!)).takeUnretainedValue()
    guard let batch = try box.reader.next() else { return box.reader.isComplete ? completeStatus : FERRY_END }
    out?.pointee = exportBatch(batch)
    return FERRY_OK
}

/// Copies the given byte runs into one malloc block; returns the block and each run's view.
private func packed(_ parts: [[UInt8]]) -> (block: UnsafeMutableRawPointer?, views: [ferry_str]) {
    let total = parts.reduce(0) { $0 + $1.count }
    guard total > 0, let block = malloc(total) else { return (nil, parts.map { _ in ferry_str() }) }
    var offset = 0
    var views: [ferry_str] = []
    for part in parts {
        let start = block + offset
        part.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        views.append(
            ferry_str(
                ptr: part.isEmpty ? nil : UnsafePointer(start.assumingMemoryBound(to: CChar.self)), len: part.count))
        offset += part.count
    }
    return (block, views)
}

private func exportBatch(_ batch: RecordBatch) -> ferry_batch {
    let checkpoint = batch.checkpoint.map { Array(JSONWriter().encodeString($0).utf8) } ?? []
    let (block, views) = packed([batch.bytes, checkpoint])
    return ferry_batch(
        struct_size: UInt32(MemoryLayout<ferry_batch>.size), record_count: UInt32(batch.count),
        records: views[0], checkpoint: views[1],
        release: { batch in
            guard let batch else { return }
            free(batch.pointee.private_data)
            batch.pointee.release = nil
        },
        private_data: block)
}

private func rejectionLines(_ rejections: [RecordRejection]) -> [UInt8] {
    var bytes: [UInt8] = []
    for rejection in rejections {
        JSONWriter().write(
            ["index": .int(Int64(rejection.index)), "error": .string(rejection.error)] as JSONObject, into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }
    return bytes
}

private func exportWriteOutcome(_ outcome: WriteOutcome) -> ferry_write_result {
    var mappings: [UInt8] = []
    for assigned in outcome.assignedIDs {
        JSONWriter().write(
            ["index": .int(Int64(assigned.index)), "destination_id": .string(assigned.destinationID)] as JSONObject,
            into: &mappings)
        mappings.append(UInt8(ascii: "\n"))
    }
    let (block, views) = packed([rejectionLines(outcome.rejections), mappings])
    return ferry_write_result(
        struct_size: UInt32(MemoryLayout<ferry_write_result>.size),
        accepted_count: UInt32(outcome.acceptedCount), rejected_count: UInt32(outcome.rejections.count),
        rejects: views[0], id_mappings: views[1],
        release: { result in
            guard let result else { return }
            free(result.pointee.private_data)
            result.pointee.release = nil
        },
        private_data: block)
}

private func exportTransformOutcome(_ outcome: TransformOutcome) -> ferry_transform_result {
    let (block, views) = packed([outcome.records.bytes, rejectionLines(outcome.rejections)])
    return ferry_transform_result(
        struct_size: UInt32(MemoryLayout<ferry_transform_result>.size),
        record_count: UInt32(outcome.records.count), rejected_count: UInt32(outcome.rejections.count),
        records: views[0], rejects: views[1],
        release: { result in
            guard let result else { return }
            free(result.pointee.private_data)
            result.pointee.release = nil
        },
        private_data: block)
}
