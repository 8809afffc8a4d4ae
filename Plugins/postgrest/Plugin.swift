import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// Writes batches to PostgREST (Supabase's REST API) with bulk upserts through
/// the host's HTTP service (one `POST` of a JSON array per batch, bad records
/// isolated by splitting, deletes by key) and reads tables page by page. Credentials (`apikey`, bearer) come
/// from the connection's `http:` settings, never from `config`.
public enum PostgRESTPlugin: FerryPlugin {
    public typealias Instance = PostgRESTConnector
    public static let name = "postgrest"
    public static let version = FerryVersion.current
    public static let summary =
        "PostgREST / Supabase REST: bulk JSON upserts and paged, incremental reads over the host's HTTP service."
    public static let configKeys = PostgRESTConfig.keys

    public static func open(config: JSONObject, host: HostServices) throws -> PostgRESTConnector {
        PostgRESTConnector(config: try PostgRESTConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: PostgRESTPlugin.self)
}
