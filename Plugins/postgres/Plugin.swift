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
    public static let configSchema: JSONValue = [
        "type": "object",
        "additionalProperties": false,
        "required": ["dsn"],
        "properties": [
            "dsn": [
                "type": "string", "secret": true,
                "description":
                    "libpq connection string ('host=… dbname=… user=…') or URL ('postgresql://user:pass@host:5432/db').",
            ],
            "schema": ["type": "string", "default": "public", "description": "Schema of tables named without one."],
            "table_prefix": [
                "type": "string", "description": "Destination: prepended to each stream name to name its table.",
            ],
            "sslmode": [
                "type": "string", "enum": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
                "description": "libpq sslmode, overriding the DSN's.",
            ],
            "conflict_constraint": [
                "type": "string",
                "description":
                    "Destination: upsert with ON CONFLICT ON CONSTRAINT this unique constraint instead of the primary key.",
            ],
            "assigned_id": [
                "type": "string",
                "description":
                    "Destination: the column PostgreSQL fills itself (identity, serial or a default); each written record's value of it is reported as its destination id.",
            ],
            "references": [
                "type": "object",
                "description":
                    "Destination: per stream, a list of {column, table, match: {this_column: other_column}, select}: after each batch, the column of the rows written is set to the other table's select column of the row whose columns match (a child's link to its parent's generated uuid).",
            ],
            "rows_per_statement": [
                "type": "integer", "default": 500, "minimum": 1, "maximum": 5000,
                "description": "Destination: rows per multi-row INSERT (with copy: false, or assigned_id).",
            ],
            "copy": [
                "type": "boolean", "default": true,
                "description":
                    "Destination: load upserts and appends with COPY into a temporary staging table, merged into the table by one INSERT ... SELECT per run; false: multi-row INSERT statements. Not used with assigned_id.",
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
        ],
    ]

    public static func open(config: JSONObject, host: HostServices) throws -> PostgresConnector {
        try PostgresConnector(config: PostgresConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: PostgresPlugin.self)
}
