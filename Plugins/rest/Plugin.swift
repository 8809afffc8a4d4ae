import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// The generic REST connector: configurable streams over any JSON API, paged by
/// page number, offset, body cursor, Link header, 4D's `$skip`/`$top` or keyset,
/// and write streams that create (exactly once across crashes), update and delete
/// objects. It uses only the host's `http_request`: endpoint, auth, budgets and
/// retries come from the connection's `http:` settings.
public enum RESTPlugin: FerryPlugin {
    public typealias Instance = RESTConnector
    public static let name = "rest"
    public static let version = FerryVersion.current
    public static let summary =
        "Generic JSON REST: configured streams, six pagination styles with totals checks; creates exactly once, updates, deletes; host HTTP."
    /// A reader moves its cursor, page and keyset position only after a page is accepted, so
    /// a `next()` that failed asks for the same page again.
    public static let repeatableReads = true
    public static let configKeys = RESTKeys.config

    public static func open(config: JSONObject, host: HostServices) throws -> RESTConnector {
        RESTConnector(config: try RESTConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: RESTPlugin.self)
}
