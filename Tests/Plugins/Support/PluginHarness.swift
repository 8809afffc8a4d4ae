import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation

/// Loads a built connector library (`libferry-<name>.so`) and drives it
/// through the real C ABI, with a minimal in-memory host table. The tests
/// never import a plugin's Swift module: this is the path the host takes.
enum PluginHarness {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var descriptors: [String: UnsafePointer<ferry_plugin_descriptor>] = [:]

    /// The plugin's descriptor, loading the library once (never unloaded, as the ABI requires).
    static func descriptor(_ name: String) throws -> UnsafePointer<ferry_plugin_descriptor> {
        lock.lock()
        defer { lock.unlock() }
        if let known = descriptors[name] { return known }
        guard let path = locate(name) else {
            throw HarnessError("libferry-\(name).so not found; run `swift build` first")
        }
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw HarnessError("dlopen \(path): \(String(cString: dlerror()))")
        }
        guard let symbol = dlsym(library, FERRY_PLUGIN_ENTRY_SYMBOL) else {
            throw HarnessError("\(path) has no ferry_plugin_v1")
        }
        let entry = unsafeBitCast(symbol, to: ferry_plugin_entry_fn.self)
        guard let descriptor = entry() else { throw HarnessError("ferry_plugin_v1 returned NULL") }
        descriptors[name] = descriptor
        return descriptor
    }

    /// The plugin table after `init`.
    static func api(_ name: String) throws -> UnsafePointer<ferry_plugin_api> {
        let descriptor = try descriptor(name)
        var api: UnsafePointer<ferry_plugin_api>?
        var error = ferry_error.empty
        let status = descriptor.pointee.`init`!(UInt32(FERRY_ABI_MINOR), &api, &error)
        guard status == FERRY_OK, let api else { throw PluginError(consuming: &error, status: status) }
        return api
    }

    /// `FERRY_PLUGIN_DIR`, then the test bundle's folder, then the newest
    /// `.build*/{debug,release}` next to the repository root.
    static func locate(_ name: String) -> String? {
        let file = "libferry-\(name).so"
        let manager = FileManager.default
        var candidates: [String] = []
        if let directory = ProcessInfo.processInfo.environment["FERRY_PLUGIN_DIR"] {
            candidates.append(directory + "/" + file)
        }
        var bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(bundleDirectory.appendingPathComponent(file).path)
            bundleDirectory.deleteLastPathComponent()
        }
        if let found = candidates.first(where: { manager.fileExists(atPath: $0) }) { return found }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let builds = ((try? manager.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0.hasPrefix(".build") }
        var newest: (path: String, date: Date)?
        for build in builds {
            for configuration in ["debug", "release"] {
                let path = root.appendingPathComponent(build).appendingPathComponent(configuration)
                    .appendingPathComponent(file).path
                guard let date = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
                    continue
                }
                if newest == nil || date > newest!.date { newest = (path, date) }
            }
        }
        return newest?.path
    }
}

/// A harness failure (not a plugin error).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The host side of one instance: state and logs kept in Swift collections.
final class HarnessHost: @unchecked Sendable {
    private let lock = NSLock()
    private var state: [String: String] = [:]
    private var httpHandler: (@Sendable (HTTPRequest) throws -> HTTPResponse)?
    private(set) var logs: [String] = []

    /// What `http_request` does for this instance (see HarnessHost+HTTP.swift); nil: unsupported.
    var http: (@Sendable (HTTPRequest) throws -> HTTPResponse)? {
        get { lock.withLock { httpHandler } }
        set { lock.withLock { httpHandler = newValue } }
    }

    func record(_ line: String) { lock.withLock { logs.append(line) } }
    func value(_ key: String) -> String? { lock.withLock { state[key] } }
    func set(_ value: String?, for key: String) { lock.withLock { state[key] = value } }

    /// The C table whose slots reach this object through the context pointer.
    // Safe to share: initialised once, thread-safely, and never written after.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<ferry_host_api> = {
        var api = ferry_host_api()
        api.struct_size = UInt32(MemoryLayout<ferry_host_api>.size)
        api.abi_minor = UInt32(FERRY_ABI_MINOR)
        api.log = { context, level, message, fields in
            host(context).record("[\(level)] \(message.string) \(fields.string)")
        }
        api.state_get = { context, key, out, _ in
            guard let value = host(context).value(key.string) else { return FERRY_ERR_NOT_FOUND }
            out?.pointee = .owning(value)
            return FERRY_OK
        }
        api.state_set = { context, key, value, _ in
            host(context).set(value.string, for: key.string)
            return FERRY_OK
        }
        api.state_delete = { context, key, _ in
            host(context).set(nil, for: key.string)
            return FERRY_OK
        }
        api.is_cancelled = { _ in 0 }
        api.http_request = { context, request, out, error in host(context).perform(request, into: out, error: error) }
        let table = UnsafeMutablePointer<ferry_host_api>.allocate(capacity: 1)
        table.initialize(to: api)
        return table
    }()

    private static func host(_ context: OpaquePointer?) -> HarnessHost {
        Unmanaged<HarnessHost>.fromOpaque(UnsafeRawPointer(context!)).takeUnretainedValue()
    }
}

/// One batch as the host receives it.
struct ReceivedBatch {
    var lines: [String]
    var checkpoint: JSONValue?
    var records: [JSONObject] { lines.compactMap { (try? JSONValue(parsing: $0))?.objectValue } }
}

/// What a write returned.
struct WriteResult {
    var accepted: Int
    var rejects: [JSONValue]
    /// `id_mappings`: record index → the id the destination assigned.
    var assignedIDs: [Int: String] = [:]
    var rejectedIndexes: [Int64] { rejects.compactMap { $0["index"]?.intValue } }
}

/// One open plugin instance, closed on deinit.
final class PluginInstance {
    let api: UnsafePointer<ferry_plugin_api>
    let host = HarnessHost()
    private let handle: OpaquePointer

    init(_ plugin: String, config: JSONValue) throws {
        let api = try PluginHarness.api(plugin)
        self.api = api
        var instance: OpaquePointer?
        var error = ferry_error.empty
        let context = OpaquePointer(Unmanaged.passUnretained(host).toOpaque())
        let status = withBorrowedString(JSONWriter().encodeString(config)) { config in
            api.pointee.open!(HarnessHost.table, context, config, &instance, &error)
        }
        guard status == FERRY_OK, let instance else { throw PluginError(consuming: &error, status: status) }
        handle = instance
    }

    deinit { api.pointee.close!(handle) }

    func spec() throws -> JSONValue {
        var buffer = ferry_buffer()
        var error = ferry_error.empty
        let status = api.pointee.spec!(&buffer, &error)
        guard status == FERRY_OK else { throw PluginError(consuming: &error, status: status) }
        return try JSONValue(parsing: buffer.consumeString())
    }

    /// Runs `check`: `{"ok": bool, "message": "..."}`.
    func check() throws -> CheckReport {
        var buffer = ferry_buffer()
        var error = ferry_error.empty
        let status = api.pointee.check!(handle, &buffer, &error)
        guard status == FERRY_OK else { throw PluginError(consuming: &error, status: status) }
        let json = try JSONValue(parsing: buffer.consumeString())
        return CheckReport(ok: json["ok"]?.boolValue ?? false, message: json["message"]?.stringValue ?? "")
    }

    func discover() throws -> Catalog {
        var buffer = ferry_buffer()
        var error = ferry_error.empty
        let status = api.pointee.discover!(handle, &buffer, &error)
        guard status == FERRY_OK else { throw PluginError(consuming: &error, status: status) }
        return try Catalog(json: JSONValue(parsing: buffer.consumeString()))
    }

    /// Whether the last `read` ended with `FERRY_END_COMPLETE` (the source vouched for the whole stream).
    private(set) var lastReadWasComplete = false

    /// Reads a whole stream (or at most `limit` batches). With `retries`, a `read_next` that
    /// fails retryably is called again on the same reader, as a host does for plugins with
    /// `FERRY_CAP_REPEATABLE_READ`. `afterBatch` runs after each batch is received, with their
    /// count so far, while the reader stays open (the host writing it).
    func read(
        _ request: ReadRequest, limit: Int = .max, retries: Int = 0, afterBatch: (Int) throws -> Void = { _ in }
    ) throws -> [ReceivedBatch] {
        var reader: OpaquePointer?
        var error = ferry_error.empty
        let status = withBorrowedString(JSONWriter().encodeString(request.json)) { text in
            api.pointee.read_open!(handle, text, &reader, &error)
        }
        guard status == FERRY_OK, let reader else { throw PluginError(consuming: &error, status: status) }
        defer { api.pointee.read_close!(reader) }
        var batches: [ReceivedBatch] = []
        lastReadWasComplete = false
        var retriesLeft = retries
        while batches.count < limit {
            var batch = ferry_batch()
            var error = ferry_error.empty
            let status = api.pointee.read_next!(reader, &batch, &error)
            if status == FERRY_ERR_RETRYABLE && retriesLeft > 0 {
                retriesLeft -= 1
                _ = PluginError(consuming: &error, status: status) // releases the error's buffers
                continue
            }
            if status == FERRY_END { break }
            if status == FERRY_END_COMPLETE {
                lastReadWasComplete = true
                break
            }
            guard status == FERRY_OK else { throw PluginError(consuming: &error, status: status) }
            let text = batch.records.string
            let checkpointText = batch.checkpoint.string
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            if lines.count != Int(batch.record_count) {
                throw HarnessError("record_count \(batch.record_count) but \(lines.count) lines")
            }
            batch.release?(&batch)
            batches.append(
                ReceivedBatch(
                    lines: lines, checkpoint: checkpointText.isEmpty ? nil : try JSONValue(parsing: checkpointText)))
            try afterBatch(batches.count)
        }
        return batches
    }

    func write(_ request: WriteRequest, lines: [String]) throws -> WriteResult {
        let records = lines.map { $0 + "\n" }.joined()
        var result = ferry_write_result()
        var error = ferry_error.empty
        let status = withBorrowedString(JSONWriter().encodeString(request.json)) { text in
            withBorrowedString(records) { api.pointee.write!(handle, text, $0, &result, &error) }
        }
        guard status == FERRY_OK else { throw PluginError(consuming: &error, status: status) }
        let rejects = result.rejects.string.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
        let accepted = Int(result.accepted_count)
        var assigned: [Int: String] = [:]
        for line in result.id_mappings.string.split(separator: "\n") {
            let mapping = try JSONValue(parsing: String(line))
            guard let index = mapping["index"]?.intValue, let id = mapping["destination_id"]?.stringValue else {
                throw HarnessError("malformed id mapping \(line)")
            }
            assigned[Int(index)] = id
        }
        result.release?(&result)
        return WriteResult(accepted: accepted, rejects: rejects, assignedIDs: assigned)
    }

    /// `checkpoint_get`: the checkpoint the destination stored for `scope`, nil for `FERRY_ERR_NOT_FOUND`.
    func storedCheckpoint(scope: String) throws -> DurableCheckpoint? {
        guard let get = api.pointee.checkpoint_get else { throw HarnessError("the plugin has no checkpoint_get") }
        var buffer = ferry_buffer()
        var error = ferry_error.empty
        let status = withBorrowedString(JSONWriter().encodeString(["scope": .string(scope)] as JSONValue)) {
            get(handle, $0, &buffer, &error)
        }
        if status == FERRY_ERR_NOT_FOUND { return nil }
        guard status == FERRY_OK else { throw PluginError(consuming: &error, status: status) }
        let json = try JSONValue(parsing: buffer.consumeString())
        guard let sequence = json["sequence"]?.intValue, let value = json["value"] else {
            throw HarnessError("checkpoint_get answered \(json)")
        }
        return DurableCheckpoint(scope: scope, sequence: sequence, value: value)
    }

    func write(_ request: WriteRequest, records: [JSONValue]) throws -> WriteResult {
        try write(request, lines: records.map { JSONWriter().encodeString($0) })
    }
}

/// A fresh temporary folder per test, removed on deinit.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "ferry-plugin-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}
