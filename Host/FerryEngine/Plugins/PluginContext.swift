import FerryCore
import Logging
import Synchronization

/// What the host knows about one plugin instance, reached through the
/// `ferry_host_ctx` pointer the instance passes back to every host service.
final class PluginContext: @unchecked Sendable {
    let pluginName: String
    let connectionName: String
    let site: String
    let logger: Logger
    let store: any StateStore
    let secrets: [String: String]
    let cancellation: Cancellation

    init(pluginName: String, connectionName: String, site: String, logger: Logger, store: any StateStore,
         secrets: [String: String], cancellation: Cancellation) {
        self.pluginName = pluginName
        self.connectionName = connectionName
        self.site = site
        self.logger = logger
        self.store = store
        self.secrets = secrets
        self.cancellation = cancellation
    }

    /// Key-value state is scoped to the connection within its site, so two
    /// sites using one plugin never see each other's sessions or tokens.
    var stateScope: String { site.isEmpty ? "connection:\(connectionName)" : "connection:\(site)/\(connectionName)" }
}

/// A cancellation flag shared by a run and every plugin instance in it.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
    public func cancel() { flag.store(true, ordering: .releasing) }
}
