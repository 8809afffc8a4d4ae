import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// Writes records to InfluxDB as line protocol (v1 `/write`, v2 `/api/v2/write`)
/// through the host's HTTP service, and reads the newest time of a series as a cursor.
public enum InfluxDBPlugin: FerryPlugin {
    public typealias Instance = InfluxConnector
    public static let name = "influxdb"
    public static let version = FerryVersion.current
    public static let summary =
        "InfluxDB 1.x/2.x: line-protocol destination and the latest time of a series as a cursor."
    public static let configKeys = InfluxConfig.keys

    public static func open(config: JSONObject, host: HostServices) throws -> InfluxConnector {
        InfluxConnector(config: try InfluxConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: InfluxDBPlugin.self)
}
