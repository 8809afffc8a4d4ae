import CSQLite
import CSQLiteBufferedWAL

/// One connection to a SQLite database, with a cache of prepared statements.
///
/// Shared by the host's state store and the `sqlite` connector, which is why it
/// lives in `PluginAPI/` and depends on nothing but SQLite. A connection is not
/// thread-safe: confine it to one thread or guard every call with a lock (as
/// `SQLiteStateStore` does). Every error is a `SQLiteError` that carries SQLite's
/// message and the purpose the caller gave.
public final class SQLiteDatabase {
    /// How a transaction takes its locks.
    public enum TransactionKind: String, Sendable {
        /// Takes the write lock at once (`BEGIN IMMEDIATE`): two writers never
        /// both read, then both try to write.
        case immediate = "IMMEDIATE"
        /// Takes locks when first needed (`BEGIN DEFERRED`): for consistent reads.
        case deferred = "DEFERRED"
    }

    /// The file the connection opened.
    public let path: String
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]
    private var savepointDepth = 0
    /// The handler `onWALCommit(_:)` registered with SQLite, kept alive while registered.
    var walCommitHandler: WALCommitHandler?

    /// Opens (and creates, unless `readOnly`) the database at `path`.
    ///
    /// - Parameters:
    ///   - busyTimeout: how long, in seconds, to wait for another connection's lock
    ///     before failing with `SQLITE_BUSY`.
    ///   - buffersWAL: write the WAL's appended frames, and a checkpoint's neighbouring pages,
    ///     a buffer at a time rather than a call or two a page (CSQLiteBufferedWAL). Only for a
    ///     connection whose commits sync the log (`synchronous` FULL or EXTRA), so that a
    ///     failed write fails its commit.
    ///   - keepsWALFile: with `buffersWAL`, keep the WAL's file when SQLite deletes it (completely
    ///     checkpointed, at the last connection's close), its header cleared, so that the next
    ///     process writes over the blocks the file system has already allocated instead of
    ///     allocating and freeing them again (`ferry_buffered_wal_keeping_vfs`). Only for a
    ///     database that stays in WAL mode: a WAL file present puts it back in WAL mode.
    public init(
        path: String, readOnly: Bool = false, busyTimeout: Double = 5, buffersWAL: Bool = false,
        keepsWALFile: Bool = false
    ) throws {
        self.path = path
        var database: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var vfs: UnsafePointer<CChar>?
        if buffersWAL && !readOnly { vfs = keepsWALFile ? ferry_buffered_wal_keeping_vfs() : ferry_buffered_wal_vfs() }
        let rc = sqlite3_open_v2(path, &database, flags | SQLITE_OPEN_NOMUTEX, vfs)
        guard rc == SQLITE_OK, let database else {
            let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(database)
            throw SQLiteError(code: rc, message: message, purpose: "open the database \(path)")
        }
        handle = database
        sqlite3_extended_result_codes(database, 1)
        sqlite3_busy_timeout(database, Int32(max(0, busyTimeout) * 1000))
    }

    deinit { close() }

    /// Finalizes the cached statements and closes the connection. Later calls throw.
    public func close() {
        for statement in statements.values { statement.finalize() }
        statements = [:]
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// True until `close()`.
    public var isOpen: Bool { handle != nil }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last inserted row.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// True while a transaction is open.
    public var isInTransaction: Bool { handle != nil && sqlite3_get_autocommit(handle) == 0 }

    /// The most columns a table, index or result may have (`SQLITE_LIMIT_COLUMN`).
    public var columnLimit: Int { Int(sqlite3_limit(handle, SQLITE_LIMIT_COLUMN, -1)) }

    /// The most parameters one statement may have (`SQLITE_LIMIT_VARIABLE_NUMBER`).
    public var variableLimit: Int { Int(sqlite3_limit(handle, SQLITE_LIMIT_VARIABLE_NUMBER, -1)) }

    /// `identifier` as a quoted SQL name (`"name"`, embedded quotes doubled).
    public static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacing("\"", with: "\"\"") + "\""
    }

    // MARK: Running SQL

    /// Runs SQL text of one or more statements without parameters (schema, pragmas).
    public func execute(_ sql: String, purpose: String) throws {
        let database = try connection(purpose)
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(database, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(database))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(database), message: text, purpose: purpose)
        }
    }

    /// Runs one statement with parameters and returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ bindings: any SQLiteBindable..., purpose: String) throws -> Int {
        try withStatement(sql, purpose: purpose) { statement in
            try statement.bind(bindings)
            try statement.run()
            return changes
        }
    }

    /// Runs a query with parameters and maps every result row with `row`.
    public func query<Row>(
        _ sql: String, _ bindings: any SQLiteBindable..., purpose: String,
        row: (SQLiteStatement) throws -> Row
    ) throws -> [Row] {
        try withStatement(sql, purpose: purpose) { statement in
            try statement.bind(bindings)
            var rows: [Row] = []
            while try statement.step() { rows.append(try row(statement)) }
            return rows
        }
    }

    /// Lends the cached prepared statement for `sql` to `body`, then resets it and
    /// clears its bindings. `sql` is compiled once per connection; SQL built at run
    /// time should have few distinct shapes, or pass `cached: false`.
    public func withStatement<T>(
        _ sql: String, purpose: String, cached: Bool = true,
        _ body: (SQLiteStatement) throws -> T
    ) throws -> T {
        let statement: SQLiteStatement
        if cached, let existing = statements[sql], !existing.isInUse {
            statement = existing
        } else {
            statement = try prepare(sql, purpose: purpose)
            if cached && statements[sql] == nil { statements[sql] = statement }
        }
        statement.isInUse = true
        defer {
            statement.reset()
            statement.clearBindings()
            statement.isInUse = false
        }
        return try body(statement)
    }

    /// Compiles one statement that the caller keeps (outside the cache), for a
    /// statement that outlives one call, such as a reader's query. It is finalized
    /// when released.
    public func prepare(_ sql: String, purpose: String) throws -> SQLiteStatement {
        let database = try connection(purpose)
        var handle: OpaquePointer?
        let rc = sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard rc == SQLITE_OK, let handle else {
            throw SQLiteError(
                code: sqlite3_extended_errcode(database), message: String(cString: sqlite3_errmsg(database)),
                purpose: purpose)
        }
        return SQLiteStatement(handle: handle, purpose: purpose)
    }

    // MARK: Transactions

    /// Runs `body` in a transaction: committed when it returns, rolled back when it
    /// throws. Inside another transaction it becomes a savepoint of that one.
    @discardableResult
    public func transaction<T>(_ purpose: String, kind: TransactionKind = .immediate, _ body: () throws -> T) throws
        -> T
    {
        let database = try connection(purpose)
        if sqlite3_get_autocommit(database) == 0 {
            savepointDepth += 1
            defer { savepointDepth -= 1 }
            let name = "nested\(savepointDepth)"
            try execute("SAVEPOINT \(name)", purpose: purpose)
            do {
                let result = try body()
                try execute("RELEASE \(name)", purpose: purpose)
                return result
            } catch {
                _ = sqlite3_exec(database, "ROLLBACK TO \(name); RELEASE \(name)", nil, nil, nil)
                throw error
            }
        }
        try execute("BEGIN \(kind.rawValue)", purpose: purpose)
        do {
            let result = try body()
            try execute("COMMIT", purpose: purpose)
            return result
        } catch {
            if sqlite3_get_autocommit(database) == 0 {
                _ = sqlite3_exec(database, "ROLLBACK", nil, nil, nil)
            }
            throw error
        }
    }

    // MARK: Pragmas

    /// Reads a pragma's first value as text (`PRAGMA name`).
    public func pragma(_ name: String) throws -> String? {
        try query("PRAGMA \(name)", purpose: "read PRAGMA \(name)") { $0.optionalString(at: 0) }.first ?? nil
    }

    /// The schema version the application keeps in `PRAGMA user_version`.
    public var userVersion: Int32 {
        get throws {
            Int32(
                truncatingIfNeeded: try query("PRAGMA user_version", purpose: "read the schema version") {
                    $0.int64(at: 0)
                }.first ?? 0)
        }
    }

    func connection(_ purpose: String) throws -> OpaquePointer {
        guard let handle else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "the connection is closed", purpose: purpose)
        }
        return handle
    }
}
