import FerryJSON
import FerryPluginSDK
import FerrySQLite

/// `_ferry_checkpoints`: the host's checkpoint per scope, written in the same
/// transaction as the batch's rows, so after a crash between this database's
/// commit and the host's the host can take the checkpoint from here (ABI 1.1
/// `checkpoint_get`) instead of re-reading a batch that may come back different.
enum CheckpointTable {
    static let name = "_ferry_checkpoints"

    /// Stores `checkpoint` for its scope, replacing the earlier one. Call inside the batch's transaction.
    static func store(_ checkpoint: DurableCheckpoint, in database: SQLiteDatabase) throws {
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS \(name) (scope TEXT PRIMARY KEY, sequence INTEGER NOT NULL, value TEXT NOT NULL,
            updated_at INTEGER NOT NULL)
            """, purpose: "create the checkpoint table")
        let statement = try database.prepare(
            """
            INSERT INTO \(name) (scope, sequence, value, updated_at) VALUES (?, ?, ?, CAST(strftime('%s', 'now') AS INTEGER))
            ON CONFLICT (scope) DO UPDATE SET sequence = excluded.sequence, value = excluded.value, updated_at = excluded.updated_at
            """, purpose: "store the checkpoint")
        try statement.bind(checkpoint.scope, at: 1)
        try statement.bind(checkpoint.sequence, at: 2)
        try statement.bind(JSONWriter().encodeString(checkpoint.value), at: 3)
        try statement.step()
    }

    /// The checkpoint stored for `scope`, or nil (also when no write ever carried one).
    static func load(scope: String, from database: SQLiteDatabase) throws -> DurableCheckpoint? {
        guard try TableSchema.load(name, from: database) != nil else { return nil }
        let statement = try database.prepare(
            "SELECT sequence, value FROM \(name) WHERE scope = ?", purpose: "read the checkpoint")
        try statement.bind(scope, at: 1)
        guard try statement.step() else { return nil }
        let value = try JSONParser().parse(Array(statement.string(at: 1).utf8))
        return DurableCheckpoint(scope: scope, sequence: statement.int64(at: 0), value: value)
    }
}
