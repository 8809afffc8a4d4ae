import FerryJSON
import FerryPluginSDK

/// The postgres connector's configuration; README.md lists the keys.
struct PostgresConfig {
    /// A libpq connection string or `postgresql://` URL. Secret: never logged.
    var dsn: String
    /// The schema of unqualified tables (default `public`).
    var schema: String
    /// Destination: prepended to every stream name to form the table's name.
    var tablePrefix: String
    /// libpq's `sslmode`, overriding the DSN's.
    var sslMode: String?
    /// Destination: the unique constraint upserts target instead of the primary key.
    var conflictConstraint: String?
    /// Destination: the column the server fills itself (identity, serial, a default),
    /// whose value each written record's id mapping reports.
    var assignedID: String?
    /// Destination: rows per multi-row statement.
    var rowsPerStatement: Int
    /// Destination: load upserts and appends through COPY into a staging table and one
    /// merge per run, rather than multi-row INSERT statements.
    var copy: Bool
    /// Destination: per stream, columns filled from other tables after each batch.
    var references: [String: [Reference]] = [:]

    /// Source: the table to read (default: the requested stream's name).
    var table: String?
    /// Source: a SELECT to read instead of a table.
    var query: String?
    /// Source: the stream name of `query` (default "query").
    var stream: String?
    /// Source: the column ordering incremental reads.
    var cursorColumn: String?

    /// One entry of `references.<stream>`: Reference parses it further (names, not empty).
    static let referenceKeys = ConfigTable([
        ConfigKey("column", .string, required: true, "The column of the rows written to fill."),
        ConfigKey("table", .string, required: true, "The other table."),
        ConfigKey(
            "match", .map(of: .string), required: true,
            "This table's columns mapped to the other's, e.g. { shop_id: shop_id }."),
        ConfigKey("select", .string, required: true, "The other table's column whose value is copied."),
    ])

    /// The keys, declared once: the spec's schema, the parsing below and the reference derive from them.
    static let keys = ConfigTable([
        ConfigKey(
            "dsn", .string, required: true, secret: true, example: "host=localhost dbname=ferry user=ferry",
            "libpq connection string ('host=… dbname=… user=…') or URL ('postgresql://user:pass@host:5432/db')."),
        ConfigKey("schema", .string, default: "public", "Schema of tables named without one."),
        ConfigKey("table_prefix", .string, "Destination: prepended to each stream name to name its table."),
        ConfigKey(
            "sslmode", .oneOf(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
            "libpq sslmode, overriding the DSN's."),
        ConfigKey(
            "conflict_constraint", .string,
            "Destination: upsert with ON CONFLICT ON CONSTRAINT this unique constraint instead of the primary key."),
        ConfigKey(
            "assigned_id", .string,
            "Destination: the column PostgreSQL fills itself (identity, serial or a default); each written record's value of it is reported as its destination id."
        ),
        ConfigKey(
            "references", .map(of: .array(of: .object(referenceKeys))),
            "Destination: per stream, a list of {column, table, match: {this_column: other_column}, select}: after each batch, the column of the rows written is set to the other table's select column of the row whose columns match (a child's link to its parent's generated uuid)."
        ),
        ConfigKey(
            "rows_per_statement", .integer, default: 500, minimum: 1, maximum: 5000,
            "Destination: rows per multi-row INSERT (with copy: false, or assigned_id)."),
        ConfigKey(
            "copy", .boolean, default: true,
            "Destination: load upserts and appends with COPY into a temporary staging table, merged into the table by one INSERT ... SELECT per run; false: multi-row INSERT statements. Not used with assigned_id."
        ),
        ConfigKey("table", .string, "Source: the table to read (default: the requested stream's name)."),
        ConfigKey("query", .string, "Source: a SELECT to read instead of a table, as one stream."),
        ConfigKey("stream", .string, "Source: the stream name of 'query' (default 'query')."),
        ConfigKey("cursor_column", .string, "Source: column ordering incremental reads (WHERE cursor > checkpoint)."),
    ])

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: the connection's `config`.
    init(_ object: JSONObject) throws {
        let config = try Self.keys.parse(object)
        dsn = try config.string("dsn")
        guard !dsn.isEmpty else {
            throw PluginError.invalid("config.dsn is required (a libpq connection string or postgresql:// URL)")
        }
        schema = try config.string("schema")
        tablePrefix = try config.optionalString("table_prefix") ?? ""
        sslMode = try config.optionalString("sslmode")
        conflictConstraint = try config.optionalString("conflict_constraint")
        assignedID = try config.optionalString("assigned_id")
        rowsPerStatement = Int(try config.integer("rows_per_statement"))
        copy = try config.bool("copy")
        if let value = try config.value("references") { references = try Reference.parse(value) }
        table = try config.optionalString("table")
        query = try config.optionalString("query")
        stream = try config.optionalString("stream")
        cursorColumn = try config.optionalString("cursor_column")
        if table != nil && query != nil {
            throw PluginError.invalid("config.table and config.query exclude each other")
        }
        for (key, name) in [("schema", schema), ("table_prefix", tablePrefix)] where name.utf8.contains(0) {
            throw PluginError.invalid("config.\(key) must not contain NUL")
        }
        if schema.isEmpty { throw PluginError.invalid("config.schema must not be empty") }
        if assignedID.map({ $0.isEmpty || $0.utf8.contains(0) }) == true {
            throw PluginError.invalid("config.assigned_id must name a column")
        }
    }
}
