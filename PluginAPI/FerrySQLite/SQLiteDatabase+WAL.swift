import CSQLite
import CSQLiteBufferedWAL

extension SQLiteDatabase {
    /// What a checkpoint found: the frames in the WAL, and how many of them are now in the database file.
    public struct CheckpointOutcome: Sendable, Equatable {
        public var walFrames: Int
        public var checkpointedFrames: Int

        /// Every frame is in the database file, so the next write transaction can start the WAL over.
        public var isComplete: Bool { checkpointedFrames >= walFrames }
    }

    /// The writes a connection opened with `buffersWAL` handed to the default VFS so far: to
    /// its WAL file, and to its database file by its checkpoints. nil for other connections.
    public var bufferedWrites: (log: UInt64, database: UInt64)? {
        bufferedWALCounts.map { ($0.log, $0.database) }
    }

    /// The writeback a connection opened with `buffersWAL` started early so far (one hint a
    /// megabyte written, see CSQLiteBufferedWAL): on its WAL file, and on its database file by
    /// its checkpoints. nil for other connections.
    public var writebackHints: (log: UInt64, database: UInt64)? {
        bufferedWALCounts.map { ($0.logHints, $0.databaseHints) }
    }

    /// The buffering VFS's counts for this connection, or nil when it was not opened through it.
    private var bufferedWALCounts: ferry_buffered_wal_writes? {
        guard let database = try? connection("count the buffered writes") else { return nil }
        var counts = ferry_buffered_wal_writes()
        let rc = sqlite3_file_control(database, "main", FERRY_BUFFERED_WAL_FCNTL_WRITES, &counts)
        return rc == SQLITE_OK ? counts : nil
    }

    /// Copies the main database's committed WAL frames back into its file, as far as it can
    /// without waiting (SQLite's `PASSIVE` checkpoint: it blocks neither readers nor the writer).
    public func checkpointWAL() throws -> CheckpointOutcome {
        let database = try connection("checkpoint the WAL")
        var walFrames: Int32 = 0
        var checkpointedFrames: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(
            database, "main", SQLITE_CHECKPOINT_PASSIVE, &walFrames, &checkpointedFrames)
        guard rc == SQLITE_OK else {
            throw SQLiteError(
                code: rc, message: String(cString: sqlite3_errmsg(database)), purpose: "checkpoint the WAL")
        }
        return CheckpointOutcome(walFrames: Int(max(0, walFrames)), checkpointedFrames: Int(max(0, checkpointedFrames)))
    }

    /// Calls `handler` with the WAL's size in frames after each commit in WAL mode, in place of
    /// SQLite's automatic checkpoint (which a handler turns off: checkpoints are then the
    /// caller's). `nil` removes the handler and leaves automatic checkpoints off.
    public func onWALCommit(_ handler: ((Int) -> Void)?) throws {
        let database = try connection("watch the WAL's commits")
        guard let handler else {
            sqlite3_wal_hook(database, nil, nil)
            walCommitHandler = nil
            return
        }
        let box = WALCommitHandler(handler)
        sqlite3_wal_hook(
            database,
            { context, _, _, frames in
                Unmanaged<WALCommitHandler>.fromOpaque(context!).takeUnretainedValue().body(Int(frames))
                return SQLITE_OK
            }, Unmanaged.passUnretained(box).toOpaque())
        walCommitHandler = box
    }
}

/// A commit handler's closure, boxed for SQLite's context pointer (the database keeps it alive).
final class WALCommitHandler {
    let body: (Int) -> Void
    init(_ body: @escaping (Int) -> Void) { self.body = body }
}
