import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// The generic REST source: configurable streams over any JSON API, paged by
/// page number, offset, body cursor, Link header, 4D's `$skip`/`$top` or keyset. It
/// uses only the host's `http_request`: endpoint, auth, budgets and retries
/// come from the connection's `http:` settings.
public enum RESTPlugin: FerryPlugin {
    public typealias Instance = RESTConnector
    public static let name = "rest"
    public static let version = FerryVersion.current
    public static let summary = "Generic JSON REST source: configured streams, six pagination styles with totals checks, host HTTP."
    /// A reader moves its cursor, page and keyset position only after a page is accepted, so
    /// a `next()` that failed asks for the same page again.
    public static let repeatableReads = true
    public static let configSchema: JSONValue = [
        "type": "object",
        "additionalProperties": false,
        "required": ["streams"],
        "properties": [
            "streams": [
                "type": "array",
                "description": .string("Streams: name, path, query, records_path, primary_key, cursor_field, cursor_param, cursor_filter, filter_param, "
                    + "until_param, until_filter, method, body, cursor_default, pagination (type none|page|offset|cursor|link|4d|keyset; "
                    + "page_size, size_param, page_param, start_page, offset_param, limit_param, cursor_param, next_path, key_param, "
                    + "total_path, total_pages_path). See Plugins/rest/README.md."),
                "items": ["type": "object"],
            ],
        ],
    ]

    public static func open(config: JSONObject, host: HostServices) throws -> RESTConnector {
        RESTConnector(config: try RESTConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: RESTPlugin.self)
}
