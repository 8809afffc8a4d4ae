import CFerryPlugin
import FerryJSON
import FerryPluginSDK

/// The `graphql` connector instance: each configured stream is one query, paged
/// by its Relay `pageInfo`. Public only because `GraphQLPlugin.Instance` names it.
public final class GraphQLConnector: SourceConnector {
    let config: GraphQLConfig
    let client: GraphQLClient

    init(config: GraphQLConfig, host: HostServices) {
        self.config = config
        client = GraphQLClient(host: host, path: config.path, retryableCodes: config.retryableCodes)
    }

    /// Runs the smallest query there is, `{ __typename }`: the endpoint answers GraphQL
    /// and accepts the connection's credentials.
    public func check() throws -> CheckReport {
        do {
            let root = try client.query("{ __typename }", variables: JSONObject(), stream: "check")
            let type = root["data"]?["__typename"]?.stringValue ?? "?"
            return CheckReport(ok: true, message: "The GraphQL endpoint answered { __typename } with \(type).")
        } catch let error as PluginError where error.status == FERRY_ERR_INVALID {
            // The server answered, but with GraphQL errors: report them; auth and transport failures stay errors.
            return CheckReport(ok: false, message: error.message)
        }
    }

    /// The configured streams.
    public func discover() throws -> [StreamDescriptor] { config.streams.map(\.descriptor) }

    /// Starts reading a stream from the checkpoint's cursor, or the request's range.
    public func read(_ request: ReadRequest) throws -> any BatchReader {
        guard let stream = config.streams.first(where: { $0.name == request.stream }) else {
            throw PluginError.invalid(
                "unknown stream '\(request.stream)'; configured: \(config.streams.map(\.name).joined(separator: ", "))")
        }
        return GraphQLReader(stream: stream, client: client, window: try ReadWindow(request: request, stream: stream))
    }
}
