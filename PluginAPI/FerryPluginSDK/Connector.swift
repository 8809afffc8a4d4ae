import FerryJSON

/// A connector type: static facts plus a factory for instances.
///
/// A Swift connector is a type conforming to `FerryPlugin` and one exported
/// entry point:
///
/// ```swift
/// @c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
///     PluginExport.descriptor(for: MyPlugin.self)
/// }
/// ```
///
/// The entry must be `public`: an internal `@c` function is silently missing
/// from release builds.
public protocol FerryPlugin {
    /// The instance type; its conformances (`SourceConnector`,
    /// `DestinationConnector`, `TransformConnector`) decide the capabilities.
    associatedtype Instance: Connector

    /// Unique plugin name: lowercase letters, digits, `_` and `-`.
    static var name: String { get }
    /// The plugin's own version.
    static var version: String { get }
    /// One line saying what the plugin connects to.
    static var summary: String { get }
    /// JSON Schema of the connection's `config` object. Keys marked
    /// `"secret": true` are redacted by the host.
    static var configSchema: JSONValue { get }

    /// Opens one connection. Throw `PluginError.invalid` for bad config.
    static func open(config: JSONObject, host: HostServices) throws -> Instance
}

/// What every connector instance can do.
public protocol Connector: AnyObject {
    /// Verifies credentials and reachability without moving data.
    func check() throws -> CheckReport
    /// Asks running work to stop soon. Called from any thread.
    func cancel()
}

extension Connector {
    public func check() throws -> CheckReport { CheckReport(ok: true, message: "No check implemented.") }
    public func cancel() {}
}

/// The outcome of `Connector.check()`.
public struct CheckReport: Sendable, Equatable {
    public var ok: Bool
    public var message: String
    public init(ok: Bool, message: String) {
        self.ok = ok
        self.message = message
    }
}

/// A connector that reads streams.
public protocol SourceConnector: Connector {
    /// The streams this connection offers.
    func discover() throws -> [StreamDescriptor]
    /// Starts reading one stream from the request's checkpoint.
    func read(_ request: ReadRequest) throws -> any BatchReader
}

/// A pull reader of record batches. `next()` returns nil at the end.
public protocol BatchReader: AnyObject {
    func next() throws -> RecordBatch?
}

/// A connector that writes batches durably.
public protocol DestinationConnector: Connector {
    /// Writes one batch; returns only when the accepted records are durable.
    func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome
}

/// A connector that maps batches.
public protocol TransformConnector: Connector {
    func transform(_ request: TransformRequest, records: RecordsView) throws -> TransformOutcome
}
