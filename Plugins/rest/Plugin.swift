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
    public static let configSchema: JSONValue = [
        "type": "object",
        "additionalProperties": false,
        "properties": [
            "streams": [
                "type": "array",
                "description": .string(
                    "Streams: name, path, query, records_path, primary_key, cursor_field, cursor_param, cursor_filter, filter_param, field_filter, "
                        + "until_param, until_filter, method, body, cursor_default, pagination (type none|page|offset|cursor|link|4d|keyset; "
                        + "page_size, size_param, page_param, start_page, offset_param, limit_param, cursor_param, next_path, has_more_path, key_param, "
                        + "total_path, total_pages_path, stop short_page|empty_page), requests (lists of extra query parameters, "
                        + "de-duplicated by primary_key), detail (path with {field}, query, records_path, mode merge|replace, into, "
                        + "concurrency, reject_statuses, also: further requests merged into the record under their into), children (name, path with {field}, query, records_path, primary_key, "
                        + "parent_key, parent_field, pagination, concurrency, reject_statuses). See Plugins/rest/README.md."
                ),
                "items": ["type": "object"],
            ],
            "writes": [
                "type": "array",
                "description": .string(
                    "Destination streams: name, path (POST creates here), id_map_scope (default: the host's scope for the pipeline, '<connection>/<stream>'), "
                        + "item_path (default '<path>/{id}'), update_method (PATCH|PUT), id_path (default 'id'), body (template with {field}, {key}), "
                        + "delete (bool), lookup (path, query with {key}, records_path, id_path, match_field) to resolve an unanswered create. "
                        + "See Plugins/rest/README.md."),
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
