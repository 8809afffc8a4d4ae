import FerryJSON
import FerryPluginSDK

/// The sqlite connector's configuration; README.md lists the keys.
struct SQLiteConfig {
    /// The database file, created when missing.
    var path: String
    /// Prepended to every stream name to form the destination table's name.
    var tablePrefix = ""
    var journalMode = "wal"
    var synchronous = "full"
    /// Destination: the column SQLite fills itself (an `INTEGER PRIMARY KEY`), whose
    /// value each written record's id mapping reports.
    var assignedID: String?
    /// Source: the table to read (default: the requested stream's name).
    var table: String?
    /// Source: a SELECT to read instead of a table.
    var query: String?
    /// Source: the stream name of `query` (default "query").
    var stream: String?
    /// Source: the column ordering incremental reads.
    var cursorColumn: String?
    /// The mode a database file this connector creates gets (its WAL and journal files follow it).
    var fileMode = FileMode.ownerOnly
    /// SQLite's page cache for this connection, in MiB. Upserts with keys in random order
    /// touch pages all over the table's B-tree; SQLite's default 2 MiB cache then reads and
    /// writes the same pages again for nearly every record (docs/performance.md).
    var cacheSizeMiB = SQLiteConfig.defaultCacheSizeMiB

    static let defaultCacheSizeMiB = 32
    static let cacheSizeRange = 1...65_536

    static let journalModes: Set<String> = ["wal", "delete", "truncate", "persist", "memory", "off"]
    static let synchronousModes: Set<String> = ["off", "normal", "full", "extra"]

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: the connection's `config`.
    init(_ object: JSONObject) throws {
        var path: String?
        for (key, value) in object {
            if key == "file_mode" {
                fileMode = try FileMode(config: value)
                continue
            }
            if key == "cache_size_mib" {
                guard case .int(let size) = value, Self.cacheSizeRange.contains(Int(size)) else {
                    throw PluginError.invalid(
                        "config.cache_size_mib must be a whole number of MiB from \(Self.cacheSizeRange.lowerBound) to \(Self.cacheSizeRange.upperBound)"
                    )
                }
                cacheSizeMiB = Int(size)
                continue
            }
            guard let text = value.stringValue else { throw PluginError.invalid("config.\(key) must be a string") }
            switch key {
            case "path": path = text
            case "table_prefix": tablePrefix = text
            case "journal_mode":
                guard Self.journalModes.contains(text.lowercased()) else {
                    throw PluginError.invalid(
                        "config.journal_mode must be one of \(Self.journalModes.sorted().joined(separator: ", "))")
                }
                journalMode = text.lowercased()
            case "synchronous":
                guard Self.synchronousModes.contains(text.lowercased()) else {
                    throw PluginError.invalid("config.synchronous must be one of off, normal, full, extra")
                }
                synchronous = text.lowercased()
            case "table": table = text
            case "query": query = text
            case "stream": stream = text
            case "cursor_column": cursorColumn = text
            case "assigned_id": assignedID = text
            default: throw PluginError.invalid("config has unknown key '\(key)'")
            }
        }
        guard let path, !path.isEmpty else { throw PluginError.invalid("config.path is required") }
        self.path = path
        if table != nil && query != nil {
            throw PluginError.invalid("config.table and config.query exclude each other")
        }
        if tablePrefix.contains("\0") { throw PluginError.invalid("config.table_prefix must not contain NUL") }
        if assignedID.map({ $0.isEmpty || $0.contains("\0") }) == true {
            throw PluginError.invalid("config.assigned_id must name a column")
        }
    }
}
