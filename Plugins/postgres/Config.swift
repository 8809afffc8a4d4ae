import FerryJSON
import FerryPluginSDK

/// The postgres connector's configuration; README.md lists the keys.
struct PostgresConfig {
    /// A libpq connection string or `postgresql://` URL. Secret: never logged.
    var dsn: String
    /// The schema of unqualified tables (default `public`).
    var schema = "public"
    /// Destination: prepended to every stream name to form the table's name.
    var tablePrefix = ""
    /// libpq's `sslmode`, overriding the DSN's.
    var sslMode: String?
    /// Destination: the unique constraint upserts target instead of the primary key.
    var conflictConstraint: String?
    /// Destination: the column the server fills itself (identity, serial, a default),
    /// whose value each written record's id mapping reports.
    var assignedID: String?
    /// Destination: rows per multi-row statement.
    var rowsPerStatement = 500
    /// Destination: load upserts and appends through COPY into a staging table and one
    /// merge per run, rather than multi-row INSERT statements.
    var copy = true
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

    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: the connection's `config`.
    init(_ object: JSONObject) throws {
        var dsn: String?
        for (key, value) in object {
            if key == "references" {
                references = try Reference.parse(value)
                continue
            }
            if key == "rows_per_statement" {
                guard let count = value.intValue, (1...5_000).contains(count) else {
                    throw PluginError.invalid("config.rows_per_statement must be an integer from 1 to 5000")
                }
                rowsPerStatement = Int(count)
                continue
            }
            if key == "copy" {
                guard let flag = value.boolValue else { throw PluginError.invalid("config.copy must be true or false") }
                copy = flag
                continue
            }
            guard let text = value.stringValue else { throw PluginError.invalid("config.\(key) must be a string") }
            switch key {
            case "dsn": dsn = text
            case "schema": schema = text
            case "table_prefix": tablePrefix = text
            case "sslmode":
                guard Self.sslModes.contains(text) else {
                    throw PluginError.invalid(
                        "config.sslmode must be one of \(Self.sslModes.sorted().joined(separator: ", "))")
                }
                sslMode = text
            case "conflict_constraint": conflictConstraint = text
            case "assigned_id": assignedID = text
            case "table": table = text
            case "query": query = text
            case "stream": stream = text
            case "cursor_column": cursorColumn = text
            default: throw PluginError.invalid("config has unknown key '\(key)'")
            }
        }
        guard let dsn, !dsn.isEmpty else {
            throw PluginError.invalid("config.dsn is required (a libpq connection string or postgresql:// URL)")
        }
        self.dsn = dsn
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
