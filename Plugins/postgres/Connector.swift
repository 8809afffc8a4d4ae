import FerryJSON
import FerryPluginSDK

/// One PostgreSQL connection serving as source and destination.
public final class PostgresConnector: SourceConnector, CheckpointingDestination, TransactionalDestination {
    private let client: PostgresClient
    private let source: PostgresSource
    private let destination: PostgresDestination
    private let host: HostServices
    private var cancelled = false

    init(config: PostgresConfig, host: HostServices) throws {
        self.host = host
        do {
            client = try PostgresClient(dsn: config.dsn, overrides: config.sslMode.map { [("sslmode", $0)] } ?? [])
        } catch let error as PostgresError {
            throw error.pluginError
        }
        host.log(.info, "Connected to PostgreSQL.", client.endpoint)
        source = PostgresSource(client: client, config: config)
        destination = PostgresDestination(client: client, config: config, host: host)
        source.isCancelled = { [unowned self] in self.cancelled || host.isCancelled }
    }

    /// Runs `SELECT version()` to prove the server answers.
    public func check() throws -> CheckReport {
        do {
            let result = try client.query("SELECT current_setting('server_version'), current_database()")
            return CheckReport(
                ok: true,
                message: "PostgreSQL \(result.text(0, 0) ?? "?") answered for database '\(result.text(0, 1) ?? "?")'.")
        } catch let error as PostgresError {
            return CheckReport(ok: false, message: error.pluginError.message)
        }
    }

    public func cancel() { cancelled = true }

    public func discover() throws -> [StreamDescriptor] {
        do { return try source.discover() } catch let error as PostgresError { throw error.pluginError }
    }

    public func read(_ request: ReadRequest) throws -> any BatchReader {
        do { return try source.read(request) } catch let error as PostgresError { throw error.pluginError }
    }

    public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        do { return try destination.write(request, records: records) } catch let error as PostgresError {
            throw error.pluginError
        }
    }

    /// The checkpoint the last write for `scope` stored with its rows.
    public func storedCheckpoint(scope: String) throws -> DurableCheckpoint? {
        do {
            try client.reconnectIfBroken()
            return try destination.checkpoints.load(scope: scope, with: client)
        } catch let error as PostgresError {
            throw error.pluginError
        }
    }
}
