import CFerryPlugin
import FerryJSON

/// The host's routines as a connector sees them: logging, state, ID mappings,
/// secrets, metrics, cancellation and HTTP. Valid until the instance is closed.
/// `@unchecked Sendable`: it holds the host's table (immutable) and context pointers, and every host routine is thread-safe (ABI rule).
public struct HostServices: @unchecked Sendable {
    let table: UnsafePointer<ferry_host_api>
    let context: OpaquePointer?
    /// Raised by the host's `cancel` slot for this instance (set by `PluginExport`).
    let cancellation: CancellationFlag?

    /// Wraps a host table; the SDK does this for you in `open`.
    public init(table: UnsafePointer<ferry_host_api>, context: OpaquePointer?) {
        self.table = table
        self.context = context
        cancellation = nil
    }

    init(table: UnsafePointer<ferry_host_api>, context: OpaquePointer?, cancellation: CancellationFlag) {
        self.table = table
        self.context = context
        self.cancellation = cancellation
    }

    /// Log levels, as in the ABI.
    public enum LogLevel: Int32, Sendable {
        case trace = 0, debug, info, warning, error
    }

    /// Writes one structured log line. `message` is one sentence.
    public func log(_ level: LogLevel, _ message: String, _ fields: JSONObject = JSONObject()) {
        guard let log = table.pointee.log else { return }
        let fieldsText = fields.isEmpty ? "" : JSONWriter().encodeString(.object(fields))
        withBorrowedString(message) { m in withBorrowedString(fieldsText) { f in log(context, level.rawValue, m, f) } }
    }

    /// The plugin-scoped value for `key`, or nil.
    public func state(_ key: String) throws -> String? {
        guard let get = table.pointee.state_get else { throw PluginError.unsupported("host has no state_get") }
        return try receiveOptionalBuffer { buffer, error in withBorrowedString(key) { get(context, $0, buffer, error) }
        }
    }

    /// Stores a plugin-scoped value at once.
    public func setState(_ value: String, for key: String) throws {
        guard let set = table.pointee.state_set else { throw PluginError.unsupported("host has no state_set") }
        try call { error in
            withBorrowedString(key) { k in withBorrowedString(value) { v in set(context, k, v, error) } }
        }
    }

    /// Removes a plugin-scoped value.
    public func removeState(_ key: String) throws {
        guard let delete = table.pointee.state_delete else { throw PluginError.unsupported("host has no state_delete") }
        try call { error in withBorrowedString(key) { delete(context, $0, error) } }
    }

    /// The destination id mapped to `sourceID` in `scope`, or nil.
    public func destinationID(scope: String, sourceID: String) throws -> String? {
        guard let get = table.pointee.id_map_get else { throw PluginError.unsupported("host has no id_map_get") }
        return try receiveOptionalBuffer { buffer, error in
            withBorrowedString(scope) { s in withBorrowedString(sourceID) { get(context, s, $0, buffer, error) } }
        }
    }

    /// Stores a mapping at once (prefer returning `AssignedID`s from `write`).
    public func setDestinationID(_ destinationID: String, scope: String, sourceID: String) throws {
        guard let put = table.pointee.id_map_put else { throw PluginError.unsupported("host has no id_map_put") }
        try call { error in
            withBorrowedString(scope) { s in
                withBorrowedString(sourceID) { k in withBorrowedString(destinationID) { put(context, s, k, $0, error) }
                }
            }
        }
    }

    /// A secret from the connection's configuration. Never log it.
    public func secret(_ name: String) throws -> String? {
        guard let get = table.pointee.secret_get else { throw PluginError.unsupported("host has no secret_get") }
        return try receiveOptionalBuffer { buffer, error in withBorrowedString(name) { get(context, $0, buffer, error) }
        }
    }

    /// Adds to a counter.
    public func count(_ name: String, by value: Double = 1) { metric(FERRY_METRIC_COUNTER, name, value) }
    /// Sets a gauge.
    public func gauge(_ name: String, _ value: Double) { metric(FERRY_METRIC_GAUGE, name, value) }

    private func metric(_ kind: Int32, _ name: String, _ value: Double) {
        guard let metric = table.pointee.metric else { return }
        withBorrowedString(name) { n in withBorrowedString("") { metric(context, kind, n, value, $0) } }
    }

    /// True once the run was asked to stop, by the host's flag or by its `cancel` call on this
    /// instance; long loops should poll it.
    public var isCancelled: Bool {
        cancellation?.isRaised == true || (table.pointee.is_cancelled?(context) ?? 0) != 0
    }

    // MARK: Plumbing

    private func call(_ body: (UnsafeMutablePointer<ferry_error>) -> ferry_status) throws {
        var error = ferry_error.empty
        let status = body(&error)
        if status != FERRY_OK { throw PluginError(consuming: &error, status: status) }
    }

    private func receiveOptionalBuffer(
        _ body: (UnsafeMutablePointer<ferry_buffer>, UnsafeMutablePointer<ferry_error>) -> ferry_status
    ) throws -> String? {
        var buffer = ferry_buffer()
        var error = ferry_error.empty
        let status = body(&buffer, &error)
        if status == FERRY_ERR_NOT_FOUND {
            error.releaseContents()
            return nil
        }
        if status != FERRY_OK { throw PluginError(consuming: &error, status: status) }
        return buffer.consumeString()
    }
}

/// Calls `body` with a borrowed `ferry_str` view of `string`'s UTF-8, valid
/// only during the call (the ABI's rule for inputs).
@inline(__always)
public func withBorrowedString<R>(_ string: String, _ body: (ferry_str) throws -> R) rethrows -> R {
    var copy = string
    return try copy.withUTF8 { utf8 in
        try body(
            ferry_str(ptr: UnsafeRawPointer(utf8.baseAddress)?.assumingMemoryBound(to: CChar.self), len: utf8.count))
    }
}
