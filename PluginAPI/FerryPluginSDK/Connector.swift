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
    /// The connection's `config` keys, declared once (``ConfigTable``): the SDK derives the
    /// schema from it and `open` parses with `configKeys.parse(config)`.
    static var configKeys: ConfigTable { get }
    /// JSON Schema of the connection's `config` object; by default derived from ``configKeys``.
    /// Keys marked `"x-ferry-secret": true` are redacted by the host.
    static var configSchema: JSONValue { get }

    /// Opens one connection. Throw `PluginError.invalid` for bad config.
    static func open(config: JSONObject, host: HostServices) throws -> Instance

    /// True when a reader's `next()` may be called again after it threw a
    /// retryable error and then returns the batch it could not return. False (the
    /// default) makes the host reopen the stream at the last committed checkpoint.
    static var repeatableReads: Bool { get }

    /// True when `write` honours ``WriteRequest/preview`` (a dry run): it then changes nothing
    /// and logs each decision it would take. The plugin's spec says `previews_writes`, and only
    /// then does the host send dry runs' batches to it (by default it sends none).
    static var previewsWrites: Bool { get }
}

extension FerryPlugin {
    public static var repeatableReads: Bool { false }
    public static var previewsWrites: Bool { false }
    /// No table: a plugin that writes ``configSchema`` by hand and parses its config itself.
    public static var configKeys: ConfigTable { .undeclared }
    public static var configSchema: JSONValue { configKeys.schema }
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
    /// Read once `next()` returned nil: true when the source knows it returned the
    /// whole stream (the API's totals agreed, its cursor said "no more", the file
    /// was read to its end). Mirror deletes only after such a snapshot.
    var isComplete: Bool { get }
}

extension BatchReader {
    public var isComplete: Bool { false }
}

/// A connector that writes batches durably.
public protocol DestinationConnector: Connector {
    /// Writes one batch; returns only when the accepted records are durable.
    func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome
}

/// A destination that commits the host's checkpoint with the batch's rows
/// (`WriteRequest.checkpoint`) and can say which one it holds, so a crash between
/// its commit and the host's loses and repeats nothing.
public protocol CheckpointingDestination: DestinationConnector {
    /// The checkpoint last stored for `scope`, or nil.
    func storedCheckpoint(scope: String) throws -> DurableCheckpoint?
}

/// A connector that maps batches.
/// A destination that commits the writes of one `WriteRequest.transaction` together (ABI
/// 1.2, `FERRY_CAP_WRITE_TRANSACTION`): it keeps one transaction open from the first write
/// with an id to the write whose `transaction.commit` is true, and rolls back what an id it
/// no longer hears of left open (a write with another id or none, or `close`).
public protocol TransactionalDestination: DestinationConnector {}

public protocol TransformConnector: Connector {
    func transform(_ request: TransformRequest, records: RecordsView) throws -> TransformOutcome
}
