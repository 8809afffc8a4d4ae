import FerryJSON
import FerryPluginSDK

/// The sqlite connector's configuration; README.md lists the keys.
struct SQLiteConfig {
    /// The database file, created when missing.
    var path: String
    /// Prepended to every stream name to form the destination table's name.
    var tablePrefix: String
    var journalMode: String
    var synchronous: String
    /// Whether each commit syncs the WAL (`full`, `extra`): a failed write then fails its
    /// commit, which is what writing the WAL a buffer at a time relies on (CSQLiteBufferedWAL).
    var commitsSyncTheWAL: Bool { ["full", "extra"].contains(synchronous) }
    /// Whether the database stays in WAL mode, so that its WAL's file may be kept between
    /// processes (`SQLiteDatabase.init`'s `keepsWALFile`).
    var keepsWALFile: Bool { journalMode == "wal" }
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
    /// writes the same pages again for nearly every record. A commit group's upserts merged in
    /// key order (`MergeStage`) need little more than the B-tree's path: 4 MiB took the time 16
    /// did at 1M and 5M records, and with the stage off too (docs/performance.md, *Page caches
    /// of 4 MiB*), which is why the default is 4.
    var cacheSizeMiB: Int

    /// Destination: how much a commit group's upserts may gather in the merge stage before
    /// they are merged into their table in key order (`MergeStage`), in MiB; 0 writes each
    /// record straight into its table.
    var mergeStageMiB: Int
    /// Destination: how much of the merge stage stays in memory, in MiB; past it the stage
    /// spills sorted runs to a scratch file and merges them back in key order.
    var mergeMemoryMiB: Int
    /// Destination: where the merge stage's scratch file is made (nil: `$TMPDIR`, else `/tmp`).
    var scratchDirectory: String?
    /// Destination, WAL mode: how large the WAL may grow, in MiB, while its frames are copied
    /// into the database file on a thread of its own (`WALCheckpointer`); 0 leaves the copy
    /// to SQLite's automatic checkpoint inside each commit.
    var walLimitMiB: Int
    /// The page size, in bytes, of a database file this connector creates (nil: SQLite's,
    /// 4096); an existing file keeps its own. Smaller pages write less for updates scattered
    /// over a table of narrow rows: a 1% incremental run writes one page per changed record.
    var pageSize: Int?

    static let defaultCacheSizeMiB = 4
    static let defaultMergeStageMiB = 32
    static let defaultMergeMemoryMiB = 32
    static let defaultWALLimitMiB = 64
    static let cacheSizeRange = 1...65_536
    static let pageSizeRange = 512...65_536

    /// The keys, declared once: the spec's schema, the parsing below and the reference derive from them.
    static let keys = ConfigTable([
        ConfigKey(
            "path", .string, required: true, example: "out/orders.db", "The database file; created when missing."),
        ConfigKey("table_prefix", .string, "Destination: prepended to each stream name to name its table."),
        ConfigKey(
            "journal_mode", .oneOf(["wal", "delete", "truncate", "persist", "memory", "off"]), default: "wal",
            "SQLite journal mode set on open."),
        ConfigKey(
            "synchronous", .oneOf(["off", "normal", "full", "extra"]), default: "full",
            "SQLite synchronous level; full makes each acknowledged batch durable."),
        ConfigKey(
            "cache_size_mib", .integer, default: .int(Int64(defaultCacheSizeMiB)),
            minimum: Double(cacheSizeRange.lowerBound), maximum: Double(cacheSizeRange.upperBound),
            "SQLite's page cache for the connection, in MiB: upserts merged in key order need little more than the B-tree's path; writes all over large secondary indexes may want more."
        ),
        ConfigKey(
            "merge_stage_mib", .integer, default: .int(Int64(defaultMergeStageMiB)), minimum: 0, maximum: 65_536,
            "Destination: MiB of a commit group's upserts gathered in memory and merged into their table in key order (0: each record written straight)."
        ),
        ConfigKey(
            "merge_memory_mib", .integer, default: .int(Int64(defaultMergeMemoryMiB)), minimum: 1, maximum: 65_536,
            "Destination: MiB of the merge stage kept in memory; past it sorted runs are spilled to a scratch file in TMPDIR and merged back in key order."
        ),
        ConfigKey(
            "scratch_directory", .string,
            "Destination: the directory of the merge stage's scratch file (default: $TMPDIR, else /tmp)."),
        ConfigKey(
            "wal_limit_mib", .integer, default: .int(Int64(defaultWALLimitMiB)), minimum: 0, maximum: 65_536,
            "Destination, WAL mode: MiB the WAL may hold while a background thread copies committed frames into the database file; past it a write transaction waits for the copy and starts the WAL over (0: SQLite checkpoints inside each commit)."
        ),
        ConfigKey(
            "page_size", .integer,
            minimum: Double(pageSizeRange.lowerBound), maximum: Double(pageSizeRange.upperBound),
            "The page size in bytes (a power of two) of a database file this connector creates; SQLite's default is 4096. Smaller pages write less when updates scatter over narrow rows; an existing file keeps its own."
        ),
        ConfigKey("table", .string, "Source: the table to read (default: the requested stream's name)."),
        ConfigKey("query", .string, "Source: a SELECT to read instead of a table, as one stream."),
        ConfigKey("stream", .string, "Source: the stream name of 'query' (default 'query')."),
        ConfigKey("cursor_column", .string, "Source: column ordering incremental reads (WHERE cursor > checkpoint)."),
        ConfigKey(
            "assigned_id", .string,
            "Destination: the column SQLite fills itself (INTEGER PRIMARY KEY); each written record's value of it is reported as its destination id."
        ),
        ConfigKey(
            "file_mode", .anyOf([.string, .integer]), default: "0600",
            "Octal mode of a database file the connector creates, such as \"0640\" (quote it)."),
    ])

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: the connection's `config`.
    init(_ object: JSONObject) throws {
        let config = try Self.keys.parse(object)
        path = try config.string("path")
        guard !path.isEmpty else { throw PluginError.invalid("config.path is required") }
        tablePrefix = try config.optionalString("table_prefix") ?? ""
        journalMode = try config.string("journal_mode")
        synchronous = try config.string("synchronous")
        cacheSizeMiB = Int(try config.integer("cache_size_mib"))
        mergeStageMiB = Int(try config.integer("merge_stage_mib"))
        mergeMemoryMiB = Int(try config.integer("merge_memory_mib"))
        scratchDirectory = try config.optionalString("scratch_directory")
        walLimitMiB = Int(try config.integer("wal_limit_mib"))
        if let size = try config.optionalInteger("page_size") {
            guard size > 0, size & (size - 1) == 0 else {
                throw PluginError.invalid("config.page_size must be a power of two from 512 to 65536, got \(size)")
            }
            pageSize = Int(size)
        }
        table = try config.optionalString("table")
        query = try config.optionalString("query")
        stream = try config.optionalString("stream")
        cursorColumn = try config.optionalString("cursor_column")
        assignedID = try config.optionalString("assigned_id")
        if let mode = try config.value("file_mode") { fileMode = try FileMode(config: mode) }
        if table != nil && query != nil {
            throw PluginError.invalid("config.table and config.query exclude each other")
        }
        if tablePrefix.contains("\0") { throw PluginError.invalid("config.table_prefix must not contain NUL") }
        if assignedID.map({ $0.isEmpty || $0.contains("\0") }) == true {
            throw PluginError.invalid("config.assigned_id must name a column")
        }
    }
}
