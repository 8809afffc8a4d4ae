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
        /// A stream's keys: a sub-table of the connector's `streams` key.
        static let keys = ConfigTable([
            ConfigKey("name", .string, required: true, example: "clients", "The stream name."),
            ConfigKey("table", .string, "The table or view (default: named after the stream like destination tables)."),
            ConfigKey(
                "primary_key", .anyOf([.string, .array(of: .string)]),
                "Key columns: order rows and break cursor ties."),
            ConfigKey("cursor_field", .string, "Column of incremental reads."),
            ConfigKey(
                "filters", .map(of: .string), example: ["status": "eq.active"], "Fixed filters, column: 'op.value'."),
            ConfigKey("select", .string, "PostgREST's select (id,name,client:clients(name)); default every column."),
        ])
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
        /// - Parameter config: The entry, checked against ``keys``.
        init(_ config: ConfigValues) throws {
            name = try config.string("name")
            guard !name.isEmpty else { throw PluginError.invalid("\(config.path).name is required") }
            table = try config.optionalString("table")
            primaryKey = try config.optionalStringList("primary_key") ?? []
            cursorField = try config.optionalString("cursor_field")
            select = try config.optionalString("select")
            for (column, value) in try config.value("filters")?.objectValue ?? JSONObject() {
                filters.append((column, value.stringValue ?? ""))
            }
        }
    }

    /// The keys, declared once: the spec's schema, the parsing below and the reference derive from them.
    static let keys = ConfigTable(
        [
            ConfigKey(
                "schema", .string,
                "Exposed schema to write to, sent as Content-Profile (writes) and Accept-Profile (reads); default: the server's first."
            ),
            ConfigKey("table_prefix", .string, example: "gazelle_", "Prepended to each stream name to name its table."),
            ConfigKey(
                "tables", .map(of: .string), "Stream name → table name, overriding table_prefix for the streams listed."
            ),
            ConfigKey(
                "on_conflict", .anyOf([.string, .array(of: .string)]),
                "Columns of the unique constraint upserts target (?on_conflict=); default: the stream's primary key."),
            ConfigKey(
                "resolution", .oneOf(["merge-duplicates", "ignore-duplicates"]), default: "merge-duplicates",
                "Upsert: update existing rows (merge) or keep them (ignore)."),
            ConfigKey(
                "batch_size", .integer, default: 500, minimum: 1, maximum: 10000,
                "Records per POST; larger batches are split."),
            ConfigKey(
                "missing_keys", .oneOf(["null", "group"]), default: "null",
                "Records with fewer keys: 'null' fills them with null; 'group' sends one request per key set so absent columns keep their stored values."
            ),
            ConfigKey(
                "assigned_id", .string,
                "The column the database fills itself (identity, Supabase default); writes ask for it back (return=representation, select=) and report it as each record's destination id."
            ),
            ConfigKey("streams", .array(of: .object(Stream.keys)), "Source streams."),
        ],
        unknownKeyAdvice: "(endpoint, apikey and bearer token go in the connection's http:)")

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
        let config = try Self.keys.parse(object)
        schema = try config.optionalString("schema")
        if schema?.isEmpty == true { throw PluginError.invalid("config.schema must not be empty") }
        tablePrefix = try config.optionalString("table_prefix") ?? ""
        for (stream, table) in try config.value("tables")?.objectValue ?? [:] { tables[stream] = table.stringValue }
        if case .string(let list)? = try config.value("on_conflict") {
            onConflict = list.split(separator: ",").map { String($0).trimmed }
        } else {
            onConflict = try config.optionalStrings("on_conflict") ?? []
        }
        // The table allows only the cases' names.
        resolution = Resolution(rawValue: try config.string("resolution")) ?? .mergeDuplicates
        batchSize = Int(try config.integer("batch_size"))
        missingKeys = MissingKeys(rawValue: try config.string("missing_keys")) ?? .null
        assignedID = try config.optionalString("assigned_id")
        if assignedID?.isEmpty == true { throw PluginError.invalid("config.assigned_id must name a column") }
        streams = try (config.optionalTables("streams") ?? []).map(Stream.init)
    }

    /// The table a stream is written to.
    /// - Parameter stream: The stream name.
    func table(for stream: String) -> String { tables[stream] ?? tablePrefix + stream }
}
