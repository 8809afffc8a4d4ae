import FerryJSON
import FerryPluginSDK

/// One InfluxDB database (v1) or bucket (v2): a destination for points and a
/// source of the `latest` cursor stream.
public final class InfluxConnector: SourceConnector, DestinationConnector {
    private let config: InfluxConfig
    private let client: InfluxClient
    private let source: InfluxSource
    private let destination: InfluxDestination
    private var cancelled = false

    init(config: InfluxConfig, host: HostServices) {
        self.config = config
        client = InfluxClient(host: host, config: config)
        source = InfluxSource(client: client, config: config)
        destination = InfluxDestination(client: client, config: config, host: host)
        destination.isCancelled = { [unowned self] in self.cancelled || host.isCancelled }
    }

    /// Pings the server, then (v1) proves the database exists and is readable.
    public func check() throws -> CheckReport {
        do {
            let version = try client.ping()
            if config.api == .v1, let database = config.database {
                // A query on a missing database answers with no error in 1.x, so look for the name.
                let names =
                    try client.query("SHOW DATABASES")["series"]?.arrayValue?.first?["values"]?.arrayValue?
                    .compactMap { $0.arrayValue?.first?.stringValue } ?? []
                guard names.contains(database) else {
                    return CheckReport(
                        ok: false,
                        message: "InfluxDB \(version) has no database '\(database)' (or this user cannot see it); "
                            + "create it (CREATE DATABASE \"\(database)\") or fix config.database.")
                }
            }
            return CheckReport(ok: true, message: "InfluxDB \(version) answered; \(config.target) is reachable.")
        } catch let error as PluginError {
            return CheckReport(ok: false, message: error.message)
        }
    }

    public func cancel() { cancelled = true }

    public func discover() throws -> [StreamDescriptor] { try source.discover() }

    public func read(_ request: ReadRequest) throws -> any BatchReader { try source.read(request) }

    public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        try destination.write(request, records: records)
    }
}
