import FerryJSON
import FerryPluginSDK

#if canImport(Glibc)
    import Glibc
#endif

/// A `wattivahti` connection: one metering point, one stream `consumption`.
/// Public only because `WattiVahtiPlugin.Instance` names it.
public final class WattiVahtiConnector: SourceConnector {
    /// The stream's name.
    static let stream = "consumption"

    let config: WattiVahtiConfig
    let host: HostServices
    let client: MeterDataClient

    init(config: WattiVahtiConfig, host: HostServices) {
        self.config = config
        self.host = host
        client = MeterDataClient(config: config, host: host)
    }

    /// Obtains a token and asks for the last day's hourly values.
    public func check() throws -> CheckReport {
        let now = Int(time(nil))
        let start = HelsinkiTime.floorDiv(now, HelsinkiTime.hour) * HelsinkiTime.hour - HelsinkiTime.day
        let entries = try client.entries(.hour, in: start..<now)
        return CheckReport(
            ok: true,
            message:
                "Metering point \(config.meteringPoint) answered with \(entries.count) hourly values for the last day.")
    }

    /// The `consumption` stream.
    public func discover() throws -> [StreamDescriptor] {
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "metering_point": ["type": "string"],
                "time": ["type": "string", "format": "date-time"],
                "consumption_kwh": ["type": "number"],
                "consumption_wh": ["type": "number"],
                "resolution": ["type": "string", "enum": ["PT15MIN", "PT1H"]],
            ],
        ]
        return [
            StreamDescriptor(
                name: Self.stream, schema: schema, primaryKey: ["metering_point", "time"], cursorField: "time")
        ]
    }

    /// Reads the request's window, one batch per chunk of local days.
    public func read(_ request: ReadRequest) throws -> any BatchReader {
        guard request.stream == Self.stream else {
            throw PluginError.invalid(
                "unknown stream '\(request.stream)'; the wattivahti connector offers '\(Self.stream)'")
        }
        let window = try ReadWindow(request, initialSyncDays: config.initialSyncDays, now: Int(time(nil)))
        host.log(
            .info, "Reading meter data.",
            [
                "metering_point": .string(config.meteringPoint),
                "from": .string(HelsinkiTime.formatUTC(window.range.lowerBound)),
                "to": .string(HelsinkiTime.formatUTC(window.range.upperBound)),
            ])
        return ConsumptionReader(
            window: window, client: client, host: host, chunkDays: config.chunkDays,
            checkpoint: ReadWindow.checkpointTime(request.checkpoint))
    }
}
