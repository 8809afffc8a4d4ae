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
    public static let configSchema: JSONValue = [
        "type": "object",
        "additionalProperties": false,
        "required": ["path"],
        "properties": [
            "path": ["type": "string", "description": "The database file; created when missing."],
            "table_prefix": [
                "type": "string", "description": "Destination: prepended to each stream name to name its table.",
            ],
            "journal_mode": [
                "type": "string", "enum": ["wal", "delete", "truncate", "persist", "memory", "off"], "default": "wal",
                "description": "SQLite journal mode set on open.",
            ],
            "synchronous": [
                "type": "string", "enum": ["off", "normal", "full", "extra"], "default": "full",
                "description": "SQLite synchronous level; full makes each acknowledged batch durable.",
            ],
            "cache_size_mib": [
                "type": "integer", "minimum": 1, "maximum": 65536, "default": 32,
                "description":
                    "SQLite's page cache for the connection, in MiB: upserts with keys in random order need the table's hot pages cached.",
            ],
            "table": [
                "type": "string", "description": "Source: the table to read (default: the requested stream's name).",
            ],
            "query": ["type": "string", "description": "Source: a SELECT to read instead of a table, as one stream."],
            "stream": ["type": "string", "description": "Source: the stream name of 'query' (default 'query')."],
            "cursor_column": [
                "type": "string",
                "description": "Source: column ordering incremental reads (WHERE cursor > checkpoint).",
            ],
            "assigned_id": [
                "type": "string",
                "description":
                    "Destination: the column SQLite fills itself (INTEGER PRIMARY KEY); each written record's value of it is reported as its destination id.",
            ],
        ],
    ]

    public static func open(config: JSONObject, host: HostServices) throws -> SQLiteConnector {
        try SQLiteConnector(config: SQLiteConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: SQLitePlugin.self)
}
