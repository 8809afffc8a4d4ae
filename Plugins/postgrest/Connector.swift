import FerryJSON
import FerryPluginSDK

/// One PostgREST (or Supabase) connection, destination and source, reached
/// only through the host's HTTP service.
public final class PostgRESTConnector: DestinationConnector, SourceConnector {
    private let client: PostgRESTClient
    private let destination: PostgRESTDestination
    private let config: PostgRESTConfig
    private let host: HostServices

    init(config: PostgRESTConfig, host: HostServices) {
        self.config = config
        self.host = host
        client = PostgRESTClient(host: host, schema: config.schema)
        destination = PostgRESTDestination(client: client, config: config, host: host)
    }

    /// Asks the API root (PostgREST's OpenAPI description) to prove the endpoint and key work.
    public func check() throws -> CheckReport {
        do {
            let response = try client.host.http(
                HTTPRequest(url: "/", headers: client.schema.map { [("Accept-Profile", $0)] } ?? []))
            if response.isSuccess {
                return CheckReport(ok: true, message: "PostgREST answered HTTP \(response.status).")
            }
            return CheckReport(ok: false, message: PostgRESTError(response).pluginError(table: "/").message)
        } catch let error as PluginError {
            return CheckReport(ok: false, message: error.message)
        }
    }

    /// Writes one batch: bulk POSTs, or DELETEs by key; refused records come back as rejections.
    /// - Parameters:
    ///   - request: Stream, operation and primary key.
    ///   - records: The batch.
    public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        try destination.write(request, records: records)
    }

    /// The configured `streams`.
    public func discover() throws -> [StreamDescriptor] {
        config.streams.map { StreamDescriptor(name: $0.name, primaryKey: $0.primaryKey, cursorField: $0.cursorField) }
    }

    /// Reads a configured stream, or any table by name.
    /// - Parameter request: The stream, checkpoint, range and batch size.
    public func read(_ request: ReadRequest) throws -> any BatchReader {
        var stream = config.streams.first { $0.name == request.stream } ?? PostgRESTConfig.Stream(name: request.stream)
        if stream.cursorField == nil { stream.cursorField = request.cursorField }
        return PostgRESTReader(
            stream: stream, request: request, client: client, host: host,
            table: stream.table ?? config.table(for: stream.name))
    }
}
