import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// Reads and appends JSON Lines and CSV files: a source streaming a file of
/// any size with resumable offsets, and an idempotent, fsync'd appender.
public enum FilePlugin: FerryPlugin {
    public typealias Instance = FileConnector
    public static let name = "file"
    public static let version = FerryVersion.current
    public static let summary =
        "JSON Lines and CSV files: streaming source with resumable offsets, durable appending destination."
    public static let configSchema: JSONValue = [
        "type": "object",
        "additionalProperties": false,
        "required": ["path"],
        "properties": [
            "path": [
                "type": "string",
                "description": "The file; absolute, or relative to the ferry process's current directory.",
            ],
            "format": [
                "type": "string", "enum": ["jsonl", "csv"],
                "description": "Record format; default from the extension (.csv/.tsv: csv, otherwise jsonl).",
            ],
            "stream": [
                "type": "string", "description": "The stream name; default the file's base name without extension.",
            ],
            "delimiter": [
                "type": "string",
                "description": "CSV field separator, one ASCII character or 'tab'; default ',' (tab for .tsv).",
            ],
            "infer_types": [
                "type": "boolean", "default": true,
                "description":
                    "CSV: unquoted integers, decimals, true/false become typed values and empty fields null.",
            ],
            "primary_key": [
                "type": ["string", "array"], "items": ["type": "string"],
                "description": "Source: the stream's primary key field(s), declared in discover.",
            ],
            "cursor_field": [
                "type": "string",
                "description":
                    "Source: field whose value (number or ISO 8601 time) orders records for incremental reads.",
            ],
        ],
    ]

    public static func open(config: JSONObject, host: HostServices) throws -> FileConnector {
        FileConnector(config: try FileConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: FilePlugin.self)
}
