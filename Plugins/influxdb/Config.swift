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

    var api = API.v1
    /// v1: the database.
    var database: String?
    /// v1: the retention policy (`rp`), default the database's default.
    var retentionPolicy: String?
    /// v2: the organisation (name or id).
    var org: String?
    /// v2: the bucket (name or id).
    var bucket: String?
    var precision = Precision.s
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
    var timeField = "time"
    /// Points per HTTP write.
    var batchPoints = 5000
    /// The `latest` stream's series.
    var series: Series?

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: The connection's `config`.
    init(_ object: JSONObject) throws {
        for (key, value) in object {
            switch key {
            case "api":
                let text = try Self.string(value, key)
                guard let api = API(rawValue: text.lowercased()) else {
                    throw PluginError.invalid("config.api must be v1 or v2, got '\(text)'")
                }
                self.api = api
            case "database": database = try Self.string(value, key)
            case "retention_policy": retentionPolicy = try Self.string(value, key)
            case "org": org = try Self.string(value, key)
            case "bucket": bucket = try Self.string(value, key)
            case "precision":
                let text = try Self.string(value, key)
                guard let precision = Precision(rawValue: text.lowercased()) else {
                    throw PluginError.invalid("config.precision must be one of ns, us, ms, s, got '\(text)'")
                }
                self.precision = precision
            case "measurement": measurement = try Self.string(value, key)
            case "measurement_field": measurementField = try Self.string(value, key)
            case "tags": tags = try Self.strings(value, key)
            case "fields": fields = try Self.strings(value, key)
            case "field_types":
                guard let types = value.objectValue else {
                    throw PluginError.invalid("config.field_types must be a mapping of field to type")
                }
                for (field, type) in types {
                    guard let name = type.stringValue, ["float", "integer", "string", "boolean"].contains(name) else {
                        throw PluginError.invalid(
                            "config.field_types.\(field) must be float, integer, string or boolean")
                    }
                    fieldTypes[field] = name
                }
            case "time_field": timeField = try Self.string(value, key)
            case "batch_points":
                guard let count = value.intValue, count > 0, count <= 1_000_000 else {
                    throw PluginError.invalid("config.batch_points must be an integer from 1 to 1000000")
                }
                batchPoints = Int(count)
            case "series": series = try Self.series(value)
            default: throw PluginError.invalid("config has unknown key '\(key)'")
            }
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

    private static func string(_ value: JSONValue, _ key: String) throws -> String {
        guard let text = value.stringValue else { throw PluginError.invalid("config.\(key) must be a string") }
        return text
    }

    private static func strings(_ value: JSONValue, _ key: String) throws -> [String] {
        if let single = value.stringValue { return [single] }
        guard let list = value.arrayValue else {
            throw PluginError.invalid("config.\(key) must be a list of field names")
        }
        return try list.map {
            guard let name = $0.stringValue, !name.isEmpty else {
                throw PluginError.invalid("config.\(key) must be a list of field names")
            }
            return name
        }
    }

    private static func series(_ value: JSONValue) throws -> Series {
        guard let object = value.objectValue else {
            throw PluginError.invalid("config.series must be a mapping: { measurement, field, tags: { tag: value } }")
        }
        var series = Series()
        for (key, member) in object {
            switch key {
            case "measurement": series.measurement = try string(member, "series.measurement")
            case "field": series.field = try string(member, "series.field")
            case "tags":
                guard let tags = member.objectValue else {
                    throw PluginError.invalid("config.series.tags must be a mapping of tag to value")
                }
                series.tags = try tags.map { tag, value in
                    if let text = value.stringValue { return (tag, text) }
                    if let number = value.intValue { return (tag, String(number)) }
                    throw PluginError.invalid("config.series.tags.\(tag) must be a string")
                }
            default: throw PluginError.invalid("config.series has unknown key '\(key)'")
            }
        }
        return series
    }
}
