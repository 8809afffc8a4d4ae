import FerryCore
import FerryHTTP
import Logging
import Synchronization

/// What the host knows about one plugin instance, reached through the
/// `ferry_host_ctx` pointer the instance passes back to every host service.
final class PluginContext: Sendable {
    let pluginName: String
    let connectionName: String
    let site: String
    let logger: Logger
    let store: any StateStore
    let secrets: [String: String]
    let cancellation: Cancellation
    /// The connection's HTTP service (`http_request`), when the host provides one.
    let http: HTTPService?
    /// Set when an HTTP request of this instance failed after the HTTP service spent
    /// its own retries on it: the engine then does not retry the plugin call again,
    /// so one request has one retry budget, not the product of two.
    private let httpRetriesSpentFlag = Atomic<Bool>(false)
    var httpRetriesSpent: Bool {
        get { httpRetriesSpentFlag.load(ordering: .acquiring) }
        set { httpRetriesSpentFlag.store(newValue, ordering: .releasing) }
    }

    init(
        pluginName: String, connectionName: String, site: String, logger: Logger, store: any StateStore,
        secrets: [String: String], cancellation: Cancellation, http: HTTPService? = nil
    ) {
        self.pluginName = pluginName
        self.connectionName = connectionName
        self.site = site
        self.logger = logger
        self.store = store
        self.secrets = secrets
        self.cancellation = cancellation
        self.http = http
    }

    /// Key-value state is scoped to the connection within its site, so two
    /// sites using one plugin never see each other's sessions or tokens.
    var stateScope: String { Self.stateScope(site: site, connection: connectionName) }

    /// The plugin-visible state scope of a connection.
    static func stateScope(site: String, connection: String) -> String {
        site.isEmpty ? "connection:\(connection)" : "connection:\(site)/\(connection)"
    }

    /// The host's own state scope for a connection's HTTP credentials (rotated
    /// refresh tokens), out of the plugin's reach through `state_get`.
    static func httpStateScope(site: String, connection: String) -> String {
        "http." + stateScope(site: site, connection: connection)
    }
}

/// A cancellation flag shared by a run and every plugin instance in it.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
    public func cancel() { flag.store(true, ordering: .releasing) }
}
