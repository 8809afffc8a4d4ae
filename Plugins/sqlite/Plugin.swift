import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// Writes batches to SQLite tables (append, upsert, delete, with schema
/// evolution) and reads tables or queries, fully or incrementally.
public enum SQLitePlugin: FerryPlugin {
    public typealias Instance = SQLiteConnector
    public static let name = "sqlite"
    public static let version = FerryVersion.current
    public static let summary = "SQLite databases: table-creating, upserting destination and table or query source."
    public static let configKeys = SQLiteConfig.keys

    public static func open(config: JSONObject, host: HostServices) throws -> SQLiteConnector {
        try SQLiteConnector(config: SQLiteConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: SQLitePlugin.self)
}
