import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// Writes batches to PostgreSQL tables (append, upsert by key or constraint,
/// delete, with schema evolution) and reads tables or queries, fully or incrementally.
public enum PostgresPlugin: FerryPlugin {
    public typealias Instance = PostgresConnector
    public static let name = "postgres"
    public static let version = FerryVersion.current
    public static let summary =
        "PostgreSQL over libpq: table-creating, upserting destination and table or query source."
    public static let configKeys = PostgresConfig.keys

    public static func open(config: JSONObject, host: HostServices) throws -> PostgresConnector {
        try PostgresConnector(config: PostgresConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: PostgresPlugin.self)
}
