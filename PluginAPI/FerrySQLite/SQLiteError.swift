import CSQLite

/// A failed SQLite call: SQLite's result code and message, and what Ferry was doing.
public struct SQLiteError: Error, CustomStringConvertible, Equatable, Sendable {
    /// SQLite's (extended) result code, such as `SQLITE_CONSTRAINT_UNIQUE`.
    public var code: Int32
    /// SQLite's own message (`sqlite3_errmsg`).
    public var message: String
    /// What the failing statement was for, in words ("read the checkpoint of x/y").
    public var purpose: String

    public init(code: Int32, message: String, purpose: String) {
        self.code = code
        self.message = message
        self.purpose = purpose
    }

    /// True when the database stayed locked by another connection past the busy timeout.
    public var isBusy: Bool {
        let primary = code & 0xFF
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED
    }

    public var description: String {
        "Could not \(purpose): \(message) (SQLite error \(code))"
    }
}
