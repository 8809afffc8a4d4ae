import FerrySQLite

/// One step of a database's schema history, applied once, in order, and recorded
/// in `PRAGMA user_version`.
public struct SQLiteMigration: Sendable {
    /// The schema version this step produces: 1 for the first step, then 2, 3, …
    public var version: Int32
    /// What the step does, for error messages.
    public var purpose: String
    /// The SQL of the step (several statements allowed).
    public var sql: String

    public init(version: Int32, purpose: String, sql: String) {
        self.version = version
        self.purpose = purpose
        self.sql = sql
    }
}

extension SQLiteDatabase {
    /// Applies the steps of `migrations` newer than the database's `user_version`,
    /// all in one transaction, and returns the resulting version.
    ///
    /// Throws when the database is newer than the last step (written by a newer
    /// program), naming `what` in the message.
    @discardableResult
    public func migrate(_ migrations: [SQLiteMigration], what: String) throws -> Int32 {
        let latest = migrations.last?.version ?? 0
        precondition(
            migrations.enumerated().allSatisfy { $0.element.version == Int32($0.offset + 1) },
            "migrations must be numbered 1, 2, 3, …")
        if try userVersion == latest { return latest } // the usual case: no write lock needed
        return try transaction("upgrade the schema of \(what)") {
            let current = try userVersion
            guard current <= latest else {
                throw SQLiteError(
                    code: 0,
                    message:
                        "\(what) at \(path) has schema version \(current), newer than the \(latest) this program knows; use a newer version of the program (or another file)",
                    purpose: "open \(what)")
            }
            for migration in migrations where migration.version > current {
                try execute(
                    migration.sql, purpose: "\(migration.purpose) (schema version \(migration.version) of \(what))")
                try execute(
                    "PRAGMA user_version = \(migration.version)",
                    purpose: "record schema version \(migration.version) of \(what)")
            }
            return latest
        }
    }
}
