import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// Reads and appends JSON Lines and CSV files: a source streaming a file of
/// any size with resumable offsets, and an idempotent, fsync'd appender.
public enum FilePlugin: FerryPlugin {
    public typealias Instance = FileConnector
    public static let name = "file"
    public static let version = FerryVersion.current
    public static let summary =
        "JSON Lines and CSV files: streaming source with resumable offsets, durable appending destination."
    public static let configKeys = FileConfig.keys

    public static func open(config: JSONObject, host: HostServices) throws -> FileConnector {
        FileConnector(config: try FileConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: FilePlugin.self)
}
