import CSQLite
import FerryPluginSDK

/// A failed SQLite call: the result code and `sqlite3_errmsg`.
struct SQLiteError: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    var description: String { message }

    /// True for constraint, type and size errors that belong to one record, not the batch.
    var isRecordError: Bool {
        let primary = code & 0xFF
        return primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_TOOBIG || primary == SQLITE_RANGE
    }

    /// The error as the host should see it: locks are retryable, the rest is not.
    var pluginError: PluginError {
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL, SQLITE_PROTOCOL:
            return .retryable("sqlite: \(message)")
        case SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH:
            return .invalid("sqlite: \(message)")
        default:
            return PluginError(status: -8, message: "sqlite: \(message)")
        }
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A minimal wrapper of one sqlite3 connection.
final class SQLiteDatabase {
    let handle: OpaquePointer

    /// Opens (creating when missing, with `fileMode`) the database at `path`.
    ///
    /// SQLite would create the file 0644 (less the umask); the file is created
    /// first with the configured mode instead, and SQLite gives its WAL and
    /// journal files the mode of the database file. A file that is not a SQLite
    /// database is refused here, as a configuration error naming the path.
    init(path: String, fileMode: FileMode = .ownerOnly) throws {
        var handle: OpaquePointer?
        try FileSystem.createParentFolders(of: path)
        try fileMode.createFileIfMissing(atPath: path)
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            throw SQLiteError(code: code, message: "cannot open '\(path)': \(message)")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, 5_000)
        // sqlite3_open_v2 reads nothing yet: the first read says whether this is a database at all.
        let probe = sqlite3_exec(handle, "SELECT count(*) FROM sqlite_schema", nil, nil, nil)
        if probe & 0xFF == SQLITE_NOTADB {
            throw PluginError.invalid("config.path '\(path)' is not a SQLite database; point it at a database file or a new file name")
        }
    }

    deinit { sqlite3_close_v2(handle) }

    /// The connection's last error message.
    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Throws the connection's last error when `code` is not OK.
    func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw SQLiteError(code: code, message: errorMessage) }
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(message)
            throw SQLiteError(code: code, message: text)
        }
    }

    /// Compiles one statement.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw SQLiteError(code: code, message: errorMessage) }
        return SQLiteStatement(statement, database: self)
    }

    /// True when the connection is outside any transaction.
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// `"name"` with embedded quotes doubled.
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacing("\"", with: "\"\"") + "\""
    }
}

/// One prepared statement; finalized on deinit.
final class SQLiteStatement {
    let handle: OpaquePointer
    private unowned let database: SQLiteDatabase

    init(_ handle: OpaquePointer, database: SQLiteDatabase) {
        self.handle = handle
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ value: Int64, at index: Int32) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ value: Double, at index: Int32) { sqlite3_bind_double(handle, index, value) }
    func bindNull(at index: Int32) { sqlite3_bind_null(handle, index) }

    /// Binds UTF-8 bytes as text without copying them (`SQLITE_STATIC`): the bytes must
    /// stay valid until the statement is stepped and reset.
    func bind(borrowedUTF8 bytes: UnsafeRawBufferPointer, at index: Int32) {
        let pointer = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
        _ = sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), nil)
    }

    /// Binds text; SQLite copies it.
    func bind(_ value: String, at index: Int32) {
        var text = value
        text.withUTF8 { utf8 in
            let pointer = UnsafeRawPointer(utf8.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
            _ = sqlite3_bind_text(handle, index, pointer, Int32(utf8.count), sqliteTransient)
        }
    }

    /// Steps once: true when a row is ready, false when done.
    @discardableResult
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw SQLiteError(code: code, message: database.errorMessage)
    }

    /// Resets for the next execution; bindings are kept.
    func reset() { sqlite3_reset(handle) }

    var columnCount: Int32 { sqlite3_column_count(handle) }
    func columnName(_ index: Int32) -> String { String(cString: sqlite3_column_name(handle, index)) }
    func columnDeclaredType(_ index: Int32) -> String? { sqlite3_column_decltype(handle, index).map { String(cString: $0) } }
    func columnType(_ index: Int32) -> Int32 { sqlite3_column_type(handle, index) }
    func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }
    func double(_ index: Int32) -> Double { sqlite3_column_double(handle, index) }

    func text(_ index: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func blob(_ index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
