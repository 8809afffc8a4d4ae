import CSQLite

/// A prepared SQLite statement: bind parameters, step through rows, read columns.
///
/// Statements belong to their `SQLiteDatabase` and share its thread confinement.
/// Obtain them with `SQLiteDatabase.withStatement(_:purpose:_:)`, which caches,
/// resets and clears them for reuse.
public final class SQLiteStatement {
    /// What the statement is for, used in error messages.
    public let purpose: String
    private(set) var handle: OpaquePointer?
    var isInUse = false

    init(handle: OpaquePointer, purpose: String) {
        self.handle = handle
        self.purpose = purpose
    }

    deinit { finalize() }

    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    /// The number of `?` parameters.
    public var parameterCount: Int32 { sqlite3_bind_parameter_count(handle) }

    // MARK: Binding

    /// Binds values to the parameters 1, 2, … in order.
    public func bind(_ values: [any SQLiteBindable]) throws {
        for (offset, value) in values.enumerated() {
            try value.bind(to: self, at: Int32(offset + 1))
        }
    }

    /// Binds one value to the 1-based parameter `index`.
    public func bind(_ value: some SQLiteBindable, at index: Int32) throws {
        try value.bind(to: self, at: index)
    }

    /// Binds UTF-8 text (SQLite copies it).
    public func bind(text: String, at index: Int32) throws {
        var text = text
        let rc = text.withUTF8 { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_text(handle, index, "", 0, nil)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(handle, index, $0, Int32(bytes.count), sqliteTransient)
            }
        }
        try check(rc, "bind text parameter \(index)")
    }

    /// Binds bytes as TEXT exactly as they are, even where they are not valid UTF-8
    /// (SQLite stores text bytes without checking them), so they read back unchanged.
    public func bind(textBytes bytes: [UInt8], at index: Int32) throws {
        let rc = bytes.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress, !raw.isEmpty else { return sqlite3_bind_text(handle, index, "", 0, nil) }
            return sqlite3_bind_text(
                handle, index, base.assumingMemoryBound(to: CChar.self), Int32(raw.count), sqliteTransient)
        }
        try check(rc, "bind text parameter \(index)")
    }

    /// Binds UTF-8 bytes as TEXT without copying them (`SQLITE_STATIC`), for a hot
    /// write path: the bytes must stay valid until the statement is stepped and reset.
    public func bind(borrowedText bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let pointer = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
        try check(sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), nil), "bind text parameter \(index)")
    }

    /// Binds a 64-bit integer.
    public func bind(integer: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, integer), "bind integer parameter \(index)")
    }

    /// Binds a double.
    public func bind(real: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, real), "bind real parameter \(index)")
    }

    /// Binds bytes as a BLOB (SQLite copies them).
    public func bind(blob: [UInt8], at index: Int32) throws {
        let rc = blob.withUnsafeBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
            return sqlite3_bind_blob(handle, index, base, Int32(bytes.count), sqliteTransient)
        }
        try check(rc, "bind blob parameter \(index)")
    }

    /// Binds SQL NULL.
    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index), "bind NULL parameter \(index)")
    }

    // MARK: Executing

    /// Advances to the next row: true when a row is available, false when done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error(rc, purpose)
        }
    }

    /// Runs a statement that returns no rows to its end.
    public func run() throws {
        while try step() {}
    }

    /// Rewinds the statement so it can run again; bindings are kept.
    public func reset() {
        sqlite3_reset(handle)
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: Reading columns of the current row

    /// The number of columns in a result row.
    public var columnCount: Int32 { sqlite3_column_count(handle) }

    /// The name of result column `index` (0-based).
    public func columnName(at index: Int32) -> String {
        String(cString: sqlite3_column_name(handle, index))
    }

    /// The type result column `index` was declared with in its table, nil for an expression.
    public func declaredType(at index: Int32) -> String? {
        sqlite3_column_decltype(handle, index).map { String(cString: $0) }
    }

    /// The storage class of column `index` in the current row: `SQLITE_INTEGER`,
    /// `SQLITE_FLOAT`, `SQLITE_TEXT`, `SQLITE_BLOB` or `SQLITE_NULL`.
    public func storageClass(at index: Int32) -> Int32 {
        sqlite3_column_type(handle, index)
    }

    /// True when column `index` (0-based) is NULL.
    public func isNull(at index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    /// Column `index` as a 64-bit integer (0 for NULL).
    public func int64(at index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// Column `index` as an `Int` (0 for NULL).
    public func int(at index: Int32) -> Int {
        Int(sqlite3_column_int64(handle, index))
    }

    /// Column `index` as a double (0 for NULL).
    public func double(at index: Int32) -> Double {
        sqlite3_column_double(handle, index)
    }

    /// Column `index` as text (empty for NULL).
    public func string(at index: Int32) -> String {
        guard let text = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Column `index` as bytes (empty for NULL).
    public func blob(at index: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, index) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, index))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Column `index` as a 64-bit integer, or nil for NULL.
    public func optionalInt64(at index: Int32) -> Int64? {
        isNull(at: index) ? nil : int64(at: index)
    }

    /// Column `index` as a double, or nil for NULL.
    public func optionalDouble(at index: Int32) -> Double? {
        isNull(at: index) ? nil : double(at: index)
    }

    /// Column `index`'s bytes exactly as stored (text or blob).
    public func bytes(at index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let base = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Column `index` as text, or nil for NULL.
    public func optionalString(at index: Int32) -> String? {
        isNull(at: index) ? nil : string(at: index)
    }

    // MARK: Errors

    // `what` is an autoclosure: a bind runs millions of times, and its message is only built on failure.
    private func check(_ rc: Int32, _ what: @autoclosure () -> String) throws {
        if rc != SQLITE_OK { throw error(rc, "\(what()) to \(purpose)") }
    }

    private func error(_ rc: Int32, _ purpose: String) -> SQLiteError {
        let database = sqlite3_db_handle(handle)
        let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return SQLiteError(
            code: database.map { sqlite3_extended_errcode($0) } ?? rc, message: message, purpose: purpose)
    }
}

/// SQLITE_TRANSIENT: SQLite copies bound text and blobs before the call returns.
let sqliteTransient = unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)
