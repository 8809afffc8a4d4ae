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

    /// A stream the source offers: a table (or view) with its key, cursor and fixed filters.
    struct Stream {
        static let keys = ["name", "table", "primary_key", "cursor_field", "filters", "select"]
        /// The stream name.
        var name: String
        /// The table; nil: named after the stream like destination tables.
        var table: String?
        /// Key columns: order rows and break cursor ties (one column).
        var primaryKey: [String] = []
        /// Column of incremental reads.
        var cursorField: String?
        /// Fixed filters, `column → op.value` (`status: eq.active`).
        var filters: [(String, String)] = []
        /// PostgREST's `select` (`id,name,client:clients(name)`); nil: every column.
        var select: String?

        /// A stream read from the table of the same name, in no particular order and in full.
        /// - Parameter name: The stream (and table) name.
        init(name: String) { self.name = name }

        /// Reads one entry of `config.streams`.
        /// - Parameters:
        ///   - object: The entry.
        ///   - path: Where it is, for messages.
        init(_ object: JSONObject, at path: String) throws {
            for key in object.keys where !Self.keys.contains(key) {
                throw PluginError.invalid(
                    "\(path) has unknown key '\(key)'; valid keys are \(Self.keys.joined(separator: ", "))")
            }
            guard let name = object["name"]?.stringValue, !name.isEmpty else {
                throw PluginError.invalid("\(path).name is required")
            }
            self.name = name
            table = object["table"]?.stringValue
            if let key = object["primary_key"] {
                primaryKey = key.stringValue.map { [$0] } ?? (key.arrayValue ?? []).compactMap(\.stringValue)
            }
            cursorField = object["cursor_field"]?.stringValue
            select = object["select"]?.stringValue
            for (column, value) in object["filters"]?.objectValue ?? JSONObject() {
                guard let text = value.stringValue else {
                    throw PluginError.invalid("\(path).filters.\(column) must be a string like 'eq.active'")
                }
                filters.append((column, text))
            }
        }
    }

    static let keys = [
        "schema", "table_prefix", "tables", "on_conflict", "resolution", "batch_size", "missing_keys", "streams",
        "assigned_id",
    ]

    /// Source streams.
    var streams: [Stream] = []

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
    /// The column the database fills itself (an identity, a Supabase default), whose
    /// value each written record's id mapping reports.
    var assignedID: String?

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: The connection's `config`.
    init(_ object: JSONObject) throws {
        for (key, value) in object {
            switch key {
            case "schema": schema = try Self.text(value, key)
            case "table_prefix": tablePrefix = try Self.text(value, key)
            case "tables":
                guard let map = value.objectValue else {
                    throw PluginError.invalid("config.tables must map stream names to table names")
                }
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
            case "assigned_id":
                let column = try Self.text(value, key)
                guard !column.isEmpty else { throw PluginError.invalid("config.assigned_id must name a column") }
                assignedID = column
            case "streams":
                guard let list = value.arrayValue else { throw PluginError.invalid("config.streams must be a list") }
                streams = try list.enumerated().map { index, item in
                    guard let object = item.objectValue else {
                        throw PluginError.invalid("config.streams[\(index)] must be an object")
                    }
                    return try Stream(object, at: "config.streams[\(index)]")
                }
            default:
                throw PluginError.invalid(
                    "config has unknown key '\(key)'; valid keys are \(Self.keys.joined(separator: ", ")) "
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
