import CFerryPlugin
import FerryBuild
import FerryJSON
import FerryPluginSDK

/// Writes records to InfluxDB as line protocol (v1 `/write`, v2 `/api/v2/write`)
/// through the host's HTTP service, and reads the newest time of a series as a cursor.
public enum InfluxDBPlugin: FerryPlugin {
    public typealias Instance = InfluxConnector
    public static let name = "influxdb"
    public static let version = FerryVersion.current
    public static let summary =
        "InfluxDB 1.x/2.x: line-protocol destination and the latest time of a series as a cursor."
    public static let configSchema: JSONValue = [
        "type": "object",
        "additionalProperties": false,
        "properties": [
            "api": [
                "type": "string", "enum": ["v1", "v2"], "default": "v1",
                "description": "v1: POST /write?db= and InfluxQL; v2: POST /api/v2/write?org=&bucket= and Flux.",
            ],
            "database": ["type": "string", "description": "v1 (required): the database."],
            "retention_policy": [
                "type": "string", "description": "v1: the retention policy (default: the database's default).",
            ],
            "org": ["type": "string", "description": "v2 (required): the organisation, by name or id."],
            "bucket": ["type": "string", "description": "v2 (required): the bucket, by name or id."],
            "precision": [
                "type": "string", "enum": ["ns", "us", "ms", "s"], "default": "s",
                "description": "Precision of written times and of epoch-number times in records.",
            ],
            "measurement": ["type": "string", "description": "A constant measurement (default: the stream's name)."],
            "measurement_field": [
                "type": "string", "description": "The record field holding each point's measurement.",
            ],
            "tags": ["type": "array", "items": ["type": "string"], "description": "Record fields written as tags."],
            "fields": [
                "type": "array", "items": ["type": "string"],
                "description":
                    "Record fields written as fields (default: every field but the time, tags and measurement).",
            ],
            "field_types": [
                "type": "object",
                "description":
                    "Field → float, integer, string or boolean: converts JSON integers to floats and the like.",
            ],
            "time_field": [
                "type": "string", "default": "time",
                "description":
                    "The record field holding the time: ISO 8601 with an offset, or an epoch number in 'precision'.",
            ],
            "batch_points": [
                "type": "integer", "default": 5000, "description": "Points per HTTP write; larger batches are split.",
            ],
            "series": [
                "type": "object",
                "description": "The 'latest' stream's series: measurement, field and tags: {tag: value}.",
            ],
        ],
    ]

    public static func open(config: JSONObject, host: HostServices) throws -> InfluxConnector {
        InfluxConnector(config: try InfluxConfig(config), host: host)
    }
}

/// The exported entry point: the only symbol the host looks up.
@c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
    PluginExport.descriptor(for: InfluxDBPlugin.self)
}
