import FerryJSON
import FerryPluginSDK

/// One file connection: a source of the file's records and an appending destination.
public final class FileConnector: SourceConnector, DestinationConnector {
    private let config: FileConfig
    private let host: HostServices
    private var cancelled = false
    private lazy var source = FileSource(config: config, host: host) { [unowned self] in
        self.cancelled || self.host.isCancelled
    }
    private lazy var destination = FileDestination(config: config, host: host)

    init(config: FileConfig, host: HostServices) {
        self.config = config
        self.host = host
    }

    /// Reports whether the file exists (a destination creates it on first write).
    public func check() throws -> CheckReport {
        if let size = BlockReader.size(of: config.path) {
            return CheckReport(ok: true, message: "File '\(config.path)' exists (\(size) bytes).")
        }
        return CheckReport(ok: true, message: "File '\(config.path)' does not exist yet; a destination creates it.")
    }

    public func cancel() { cancelled = true }

    public func discover() throws -> [StreamDescriptor] { try source.discover() }

    public func read(_ request: ReadRequest) throws -> any BatchReader { try source.read(request) }

    public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        try destination.write(request, records: records)
    }
}
