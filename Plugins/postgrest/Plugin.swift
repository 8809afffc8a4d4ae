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
    public static let configSchema: JSONValue = [
        "type": "object",
        "additionalProperties": false,
        "properties": [
            "schema": [
                "type": "string",
                "description":
                    "Exposed schema to write to, sent as Content-Profile (writes) and Accept-Profile (reads); default: the server's first.",
            ],
            "table_prefix": [
                "type": "string", "description": "Prepended to each stream name to name its table ('gazelle_').",
            ],
            "tables": [
                "type": "object",
                "description": "Stream name → table name, overriding table_prefix for the streams listed.",
            ],
            "on_conflict": [
                "type": ["string", "array"],
                "description":
                    "Columns of the unique constraint upserts target (?on_conflict=); default: the stream's primary key.",
            ],
            "resolution": [
                "type": "string", "enum": ["merge-duplicates", "ignore-duplicates"], "default": "merge-duplicates",
                "description": "Upsert: update existing rows (merge) or keep them (ignore).",
            ],
            "batch_size": [
                "type": "integer", "default": 500, "minimum": 1, "maximum": 10000,
                "description": "Records per POST; larger batches are split.",
            ],
            "missing_keys": [
                "type": "string", "enum": ["null", "group"], "default": "null",
                "description":
                    "Records with fewer keys: 'null' fills them with null; 'group' sends one request per key set so absent columns keep their stored values.",
            ],
            "assigned_id": [
                "type": "string",
                "description":
                    "The column the database fills itself (identity, Supabase default); writes ask for it back (return=representation, select=) and report it as each record's destination id.",
            ],
            "streams": [
                "type": "array", "items": ["type": "object"],
                "description":
                    "Source streams: name, table, primary_key, cursor_field, filters (column: 'op.value'), select.",
            ],
        ],
    ]

    public static func open(config: JSONObject, host: HostServices) throws -> PostgRESTConnector {
        PostgRESTConnector(config: try PostgRESTConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: PostgRESTPlugin.self)
}
