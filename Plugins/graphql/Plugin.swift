import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// The GraphQL source: configured queries with variables, paged by Relay's
/// `pageInfo { hasNextPage endCursor }`, incremental by a filter variable that
/// receives the checkpoint, with an early stop for newest-first connections.
/// Errors returned with HTTP 200 fail the read with the server's messages. It uses
/// only the host's `http_request`: endpoint, auth (bearer, API key, OAuth2 refresh),
/// budgets and HTTP retries come from the connection's `http:` settings.
public enum GraphQLPlugin: FerryPlugin {
    public typealias Instance = GraphQLConnector
    public static let name = "graphql"
    public static let version = FerryVersion.current
    public static let summary =
        "GraphQL source: queries with variables, Relay cursor paging (nodes or edges), incremental by a variable, newest-first early stop; host HTTP."
    /// A reader moves its page cursor and checkpoint only after a page is accepted, so a
    /// `next()` that failed (a throttled query) asks for the same page again.
    public static let repeatableReads = true
    public static let configKeys = GraphQLConfig.keys

    /// Opens a connection.
    /// - Parameters:
    ///   - config: The connection's `config`.
    ///   - host: The host's services; HTTP carries the endpoint and credentials.
    public static func open(config: JSONObject, host: HostServices) throws -> GraphQLConnector {
        GraphQLConnector(config: try GraphQLConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: GraphQLPlugin.self)
}
