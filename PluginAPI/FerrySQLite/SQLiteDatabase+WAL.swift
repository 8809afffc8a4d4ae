import CSQLite

extension SQLiteDatabase {
    /// How far a checkpoint may wait for other connections (`sqlite3_wal_checkpoint_v2`'s modes).
    public enum CheckpointMode: Sendable {
        /// Copies what it can without waiting for readers or writers, and blocks none of them.
        case passive
        /// Waits for the writer, then copies every frame.
        case full
        /// Like `full`, then waits for readers so the next writer starts the WAL over.
        case restart
        /// Like `restart`, and empties the WAL file.
        case truncate

        var code: Int32 {
            switch self {
            case .passive: SQLITE_CHECKPOINT_PASSIVE
            case .full: SQLITE_CHECKPOINT_FULL
            case .restart: SQLITE_CHECKPOINT_RESTART
            case .truncate: SQLITE_CHECKPOINT_TRUNCATE
            }
        }
    }

    /// What a checkpoint found: the frames in the WAL, and how many of them are now in the database file.
    public struct CheckpointOutcome: Sendable, Equatable {
        public var walFrames: Int
        public var checkpointedFrames: Int

        /// Every frame is in the database file, so the next write transaction can start the WAL over.
        public var isComplete: Bool { checkpointedFrames >= walFrames }
    }

    /// Copies the main database's committed WAL frames back into its file.
    public func checkpointWAL(_ mode: CheckpointMode) throws -> CheckpointOutcome {
        let database = try connection("checkpoint the WAL")
        var walFrames: Int32 = 0
        var checkpointedFrames: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(database, "main", mode.code, &walFrames, &checkpointedFrames)
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
