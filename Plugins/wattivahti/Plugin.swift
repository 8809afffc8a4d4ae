import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// WattiVahti (Pori Energia's metering API): electricity consumption per
/// metering point, quarter-hourly or hourly, with Finnish local times turned
/// into UTC across both daylight-saving changes.
public enum WattiVahtiPlugin: FerryPlugin {
    public typealias Instance = WattiVahtiConnector
    public static let name = "wattivahti"
    public static let version = FerryVersion.current
    public static let summary = "WattiVahti electricity consumption (Pori Energia meter data), PT15MIN or PT1H, in UTC."
    public static let configKeys = WattiVahtiConfig.keys

    /// Opens a connection.
    /// - Parameters:
    ///   - config: The connection's `config`.
    ///   - host: The host's services; HTTP carries the OAuth2 token.
    public static func open(config: JSONObject, host: HostServices) throws -> WattiVahtiConnector {
        WattiVahtiConnector(config: try WattiVahtiConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: WattiVahtiPlugin.self)
}
