import FerryJSON
import FerryPluginSDK

/// The influxdb connector's configuration; README.md lists the keys.
struct InfluxConfig {
    /// Which HTTP API the server speaks.
    enum API: String {
        /// InfluxDB 1.x: `/write?db=` and InfluxQL on `/query`.
        case v1
        /// InfluxDB 2.x: `/api/v2/write?org=&bucket=` and Flux on `/api/v2/query`.
        case v2
    }

    /// Timestamp precision of written points and of epoch-number times.
    enum Precision: String, CaseIterable {
        case ns, us, ms, s

        /// Nanoseconds per unit.
        var nanoseconds: Int64 {
            switch self {
            case .ns: return 1
            case .us: return 1_000
            case .ms: return 1_000_000
            case .s: return 1_000_000_000
            }
        }
    }

    /// The series whose newest time the `latest` stream reports.
    struct Series {
        /// The measurement (default: the connection's `measurement`).
        var measurement: String?
        /// The field whose `LAST()` gives the time (default: the first of `fields`).
        var field: String?
        /// Tag equalities selecting the series.
        var tags: [(key: String, value: String)] = []
    }

    var api: API
    /// v1: the database.
    var database: String?
    /// v1: the retention policy (`rp`), default the database's default.
    var retentionPolicy: String?
    /// v2: the organisation (name or id).
    var org: String?
    /// v2: the bucket (name or id).
    var bucket: String?
    var precision: Precision
    /// A constant measurement.
    var measurement: String?
    /// The record field holding each point's measurement.
    var measurementField: String?
    /// Record fields written as tags, in this order.
    var tags: [String] = []
    /// Record fields written as fields; nil means every other field.
    var fields: [String]?
    /// Field name → forced line-protocol type (`float`, `integer`, `string`, `boolean`).
    var fieldTypes: [String: String] = [:]
    /// The record field holding the time.
    var timeField: String
    /// Points per HTTP write.
    var batchPoints: Int
    /// The `latest` stream's series.
    var series: Series?

    /// The `series` key's sub-table.
    static let seriesKeys = ConfigTable([
        ConfigKey("measurement", .string, "The measurement (default: the connection's measurement)."),
        ConfigKey("field", .string, "The field whose LAST() gives the time (default: the first of fields)."),
        ConfigKey("tags", .map(of: .anyOf([.string, .integer])), "Tag equalities selecting the series: {tag: value}."),
    ])

    /// The keys, declared once: the spec's schema, the parsing below and the reference derive from them.
    static let keys = ConfigTable([
        ConfigKey(
            "api", .oneOf(["v1", "v2"]), default: "v1",
            "v1: POST /write?db= and InfluxQL; v2: POST /api/v2/write?org=&bucket= and Flux."),
        ConfigKey("database", .string, example: "metrics", "v1 (required): the database."),
        ConfigKey("retention_policy", .string, "v1: the retention policy (default: the database's default)."),
        ConfigKey("org", .string, "v2 (required): the organisation, by name or id."),
        ConfigKey("bucket", .string, "v2 (required): the bucket, by name or id."),
        ConfigKey(
            "precision", .oneOf(Precision.allCases.map(\.rawValue)), default: "s",
            "Precision of written times and of epoch-number times in records."),
        ConfigKey("measurement", .string, "A constant measurement (default: the stream's name)."),
        ConfigKey("measurement_field", .string, "The record field holding each point's measurement."),
        ConfigKey("tags", .anyOf([.string, .array(of: .string)]), "Record fields written as tags."),
        ConfigKey(
            "fields", .anyOf([.string, .array(of: .string)]),
            "Record fields written as fields (default: every field but the time, tags and measurement)."),
        ConfigKey(
            "field_types", .map(of: .oneOf(["float", "integer", "string", "boolean"])),
            "Field → float, integer, string or boolean: converts JSON integers to floats and the like."),
        ConfigKey(
            "time_field", .string, default: "time",
            "The record field holding the time: ISO 8601 with an offset, or an epoch number in 'precision'."),
        ConfigKey(
            "batch_points", .integer, default: 5000, minimum: 1, maximum: 1_000_000,
            "Points per HTTP write; larger batches are split."),
        ConfigKey(
            "series", .object(seriesKeys), "The 'latest' stream's series: measurement, field and tags: {tag: value}."),
    ])

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: The connection's `config`.
    init(_ object: JSONObject) throws {
        let config = try Self.keys.parse(object)
        // The table allows only the cases' names.
        api = API(rawValue: try config.string("api")) ?? .v1
        database = try config.optionalString("database")
        retentionPolicy = try config.optionalString("retention_policy")
        org = try config.optionalString("org")
        bucket = try config.optionalString("bucket")
        precision = Precision(rawValue: try config.string("precision")) ?? .s
        measurement = try config.optionalString("measurement")
        measurementField = try config.optionalString("measurement_field")
        tags = try Self.fieldNames(config, "tags") ?? []
        fields = try Self.fieldNames(config, "fields")
        for (field, type) in try config.value("field_types")?.objectValue ?? [:] {
            fieldTypes[field] = type.stringValue
        }
        timeField = try config.string("time_field")
        batchPoints = Int(try config.integer("batch_points"))
        if let values = try config.optionalTable("series") {
            series = Series(
                measurement: try values.optionalString("measurement"), field: try values.optionalString("field"),
                tags: (try values.value("tags")?.objectValue ?? [:]).map { tag, value in
                    (tag, value.stringValue ?? value.intValue.map { String($0) } ?? "")
                })
        }
        switch api {
        case .v1:
            guard let database, !database.isEmpty else {
                throw PluginError.invalid("config.database is required with api v1")
            }
            if org != nil || bucket != nil {
                throw PluginError.invalid("config.org and config.bucket are for api v2; api v1 uses config.database")
            }
        case .v2:
            guard let org, !org.isEmpty, let bucket, !bucket.isEmpty else {
                throw PluginError.invalid("config.org and config.bucket are required with api v2")
            }
            if database != nil || retentionPolicy != nil {
                throw PluginError.invalid(
                    "config.database and config.retention_policy are for api v1; api v2 uses config.bucket")
            }
        }
        if measurement != nil && measurementField != nil {
            throw PluginError.invalid("config.measurement and config.measurement_field exclude each other")
        }
        let claimed = [timeField] + tags + [measurementField].compactMap { $0 }
        if let fields, let overlap = fields.first(where: claimed.contains) {
            throw PluginError.invalid(
                "config.fields lists '\(overlap)', which is already the time, a tag or the measurement field")
        }
        if let overlap = tags.first(where: { $0 == timeField || $0 == measurementField }) {
            throw PluginError.invalid(
                "config.tags lists '\(overlap)', which is already the time or the measurement field")
        }
    }

    /// Where writes go: the path and query of the write endpoint.
    var writePath: String {
        switch api {
        case .v1:
            var query = [("db", database ?? ""), ("precision", precision.rawValue)]
            if let retentionPolicy { query.append(("rp", retentionPolicy)) }
            return HTTPRequest.path("write", query: query)
        case .v2:
            return HTTPRequest.path(
                "api/v2/write",
                query: [("org", org ?? ""), ("bucket", bucket ?? ""), ("precision", precision.rawValue)])
        }
    }

    /// "database 'x'" or "bucket 'y' of org 'z'", for messages.
    var target: String {
        switch api {
        case .v1: return "database '\(database ?? "")'" + (retentionPolicy.map { " (retention policy '\($0)')" } ?? "")
        case .v2: return "bucket '\(bucket ?? "")' of org '\(org ?? "")'"
        }
    }

    /// A list of field names, or one name alone.
    private static func fieldNames(_ config: ConfigValues, _ key: String) throws -> [String]? {
        guard let names = try config.optionalStringList(key) else { return nil }
        guard !names.contains("") else { throw PluginError.invalid("config.\(key) must be a list of field names") }
        return names
    }
}
