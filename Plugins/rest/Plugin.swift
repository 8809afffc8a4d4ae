import CFerryPlugin
import FerryJSON
import FerryPluginSDK

/// The generic REST source: configurable streams over any JSON API, paged by
/// page number, offset, body cursor, Link header or 4D's `$skip`/`$top`. It
/// uses only the host's `http_request`: endpoint, auth, budgets and retries
/// come from the connection's `http:` settings.
public enum RESTPlugin: FerryPlugin {
    public typealias Instance = RESTConnector
    public static let name = "rest"
    public static let version = "0.1.0"
    public static let summary = "Generic JSON REST source: configured streams, five pagination styles, host HTTP."
    public static let configSchema: JSONValue = [
        "type": "object",
        "additionalProperties": false,
        "required": ["streams"],
        "properties": [
            "streams": [
                "type": "array",
                "description": "Streams: name, path, query, records_path, primary_key, cursor_field, cursor_param, cursor_filter, filter_param, pagination.",
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
