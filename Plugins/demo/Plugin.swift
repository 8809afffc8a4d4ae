import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// The Swift reference connector: a counter source, a sink that keeps nothing,
/// and a transform that tags records. It exercises every slot of the ABI
/// through the SDK and serves tests and benchmarks.
public enum DemoPlugin: FerryPlugin {
    public typealias Instance = DemoConnector
    public static let name = "demo"
    public static let version = FerryVersion.current
    public static let summary = "Reference connector: counter source, discarding sink, tagging transform."
    public static let configKeys = DemoConfig.keys

    public static func open(config: JSONObject, host: HostServices) throws -> DemoConnector {
        try DemoConnector(config: DemoConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: DemoPlugin.self)
}
