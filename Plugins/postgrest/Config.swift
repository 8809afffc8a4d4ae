import FerryJSON
import FerryPluginSDK

/// The postgrest connector's configuration; README.md lists the keys. The
/// endpoint and credentials are the connection's `http:` settings.
struct PostgRESTConfig {
    /// How an upsert treats a row whose conflict key already exists.
    enum Resolution: String {
        /// `ON CONFLICT DO UPDATE`: the new values win.
        case mergeDuplicates = "merge-duplicates"
        /// `ON CONFLICT DO NOTHING`: the stored row stays.
        case ignoreDuplicates = "ignore-duplicates"
    }

    /// What to do with keys some records of a batch lack (PostgREST needs uniform keys, PGRST102).
    enum MissingKeys: String {
        /// Fill them with null: one request per batch.
        case null
        /// One request per distinct key set, so absent columns keep their stored values on update.
        case group
    }

    static let keys = ["schema", "table_prefix", "tables", "on_conflict", "resolution", "batch_size", "missing_keys"]

    /// The exposed schema (`Content-Profile` / `Accept-Profile`); nil: the server's default.
    var schema: String?
    /// Prepended to stream names.
    var tablePrefix = ""
    /// Explicit stream → table names.
    var tables: [String: String] = [:]
    /// The conflict target; empty: the stream's primary key.
    var onConflict: [String] = []
    /// Upsert resolution.
    var resolution = Resolution.mergeDuplicates
    /// Records per request.
    var batchSize = 500
    /// Missing-key policy.
    var missingKeys = MissingKeys.null

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: The connection's `config`.
    init(_ object: JSONObject) throws {
        for (key, value) in object {
            switch key {
            case "schema": schema = try Self.text(value, key)
            case "table_prefix": tablePrefix = try Self.text(value, key)
            case "tables":
                guard let map = value.objectValue else { throw PluginError.invalid("config.tables must map stream names to table names") }
                for (stream, table) in map { tables[stream] = try Self.text(table, "tables.\(stream)") }
            case "on_conflict":
                if let list = value.arrayValue {
                    onConflict = try list.map { try Self.text($0, key) }
                } else {
                    onConflict = try Self.text(value, key).split(separator: ",").map { String($0).trimmed }
                }
            case "resolution":
                guard let parsed = Resolution(rawValue: try Self.text(value, key)) else {
                    throw PluginError.invalid("config.resolution must be merge-duplicates or ignore-duplicates")
                }
                resolution = parsed
            case "batch_size":
                guard let count = value.intValue, (1...10_000).contains(count) else {
                    throw PluginError.invalid("config.batch_size must be an integer from 1 to 10000")
                }
                batchSize = Int(count)
            case "missing_keys":
                guard let parsed = MissingKeys(rawValue: try Self.text(value, key)) else {
                    throw PluginError.invalid("config.missing_keys must be null or group")
                }
                missingKeys = parsed
            default:
                throw PluginError.invalid("config has unknown key '\(key)'; valid keys are \(Self.keys.joined(separator: ", ")) "
                                          + "(endpoint, apikey and bearer token go in the connection's http:)")
            }
        }
        if schema?.isEmpty == true { throw PluginError.invalid("config.schema must not be empty") }
    }

    /// The table a stream is written to.
    /// - Parameter stream: The stream name.
    func table(for stream: String) -> String { tables[stream] ?? tablePrefix + stream }

    private static func text(_ value: JSONValue, _ key: String) throws -> String {
        guard let text = value.stringValue else { throw PluginError.invalid("config.\(key) must be a string") }
        return text
    }
}

extension String {
    /// The string without leading and trailing spaces.
    var trimmed: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
