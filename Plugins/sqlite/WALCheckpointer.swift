import FerrySQLite
import Glibc

/// Copies the destination's committed WAL frames back into the database file on a thread of
/// its own, so that a commit returns once its frames are durable in the WAL and the copy
/// overlaps the next commit group's work (SQLite's automatic checkpoint makes it part of
/// the commit that crosses 1,000 frames).
///
/// SQLite starts the WAL over only at a write transaction that begins with every frame
/// copied, and the writer opens the next group's transaction right after a commit, while
/// the copy still runs: left alone the WAL would grow for the whole run. So a write
/// transaction that would begin with more than `limitFrames` in the WAL first waits for the
/// copy in flight, and begins on a WAL it can start over.
///
/// Nothing here decides durability: a frame is durable once its commit returns, copied or
/// not. A copy that fails leaves the frames in the WAL, where readers and the next copy find them.
final class WALCheckpointer: @unchecked Sendable {
    /// A connection of the checkpointer's own, used by its thread only (SQLite connections are not shared).
    private let connection: SQLiteDatabase
    private let limitFrames: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = pthread_t()
    private var running = false
    // Guarded by `mutex`:
    private var commits = 0
    private var copiedCommits = 0
    private var walFrames = 0
    private var stopping = false
    private var failure: SQLiteError?

    /// Opens a second connection to `path` and starts the thread; nil when either fails
    /// (the writer then checkpoints in its commits, as SQLite does by default).
    ///
    /// - Parameters:
    ///   - synchronous: the writer's level, which the copy's fsyncs follow.
    ///   - buffersWAL: through the buffering VFS, so that a copy's neighbouring pages are one write.
    ///   - keepsWALFile: as the writer's connection (this one may be the last to close).
    init?(path: String, synchronous: String, buffersWAL: Bool, keepsWALFile: Bool, limitFrames: Int) {
        guard let connection = try? SQLiteDatabase(path: path, buffersWAL: buffersWAL, keepsWALFile: keepsWALFile),
            (try? connection.execute("PRAGMA synchronous=\(synchronous)", purpose: "match the writer's sync level"))
                != nil
        else { return nil }
        self.connection = connection
        self.limitFrames = limitFrames
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        let retained = Unmanaged.passRetained(self).toOpaque()
        running =
            pthread_create(
                &thread, nil,
                { argument in
                    Unmanaged<WALCheckpointer>.fromOpaque(argument!).takeRetainedValue().copyCommits()
                    return nil
                }, retained) == 0
        if !running {
            Unmanaged<WALCheckpointer>.fromOpaque(retained).release()
            return nil
        }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// A commit left `frames` in the WAL (SQLite's WAL hook, on the writer's thread): copy them.
    func committed(walFrames frames: Int) {
        locked {
            commits += 1
            walFrames = frames
            pthread_cond_broadcast(condition)
        }
    }

    /// Before the writer begins a transaction: with the WAL past its limit, waits for the copy
    /// in flight, so the transaction starts the WAL over. Returns a copy's failure once, to log.
    func beforeTransaction() -> SQLiteError? {
        locked {
            if walFrames > limitFrames {
                while copiedCommits < commits { pthread_cond_wait(condition, mutex) }
            }
            defer { failure = nil }
            return failure
        }
    }

    /// Copies what is still to copy, then ends the thread. Call before the writer's connection closes.
    func stop() {
        guard running else { return }
        locked {
            stopping = true
            pthread_cond_broadcast(condition)
        }
        pthread_join(thread, nil)
        running = false
        connection.close()
    }

    /// The thread: one passive checkpoint for however many commits arrived since the last.
    private func copyCommits() {
        pthread_mutex_lock(mutex)
        while true {
            while copiedCommits == commits && !stopping { pthread_cond_wait(condition, mutex) }
            if copiedCommits == commits { break }
            let target = commits
            pthread_mutex_unlock(mutex)
            var problem: SQLiteError?
            do {
                // A connection finds the WAL when it first reads (SQLite before 3.42 does not look for it in a checkpoint).
                try connection.execute("SELECT count(*) FROM sqlite_schema", purpose: "open the WAL")
                _ = try connection.checkpointWAL()
            } catch let error as SQLiteError where !error.isBusy {
                // Busy: another connection is copying the same frames.
                problem = error
            } catch {}
            pthread_mutex_lock(mutex)
            copiedCommits = target
            if let problem { failure = problem }
            pthread_cond_broadcast(condition)
        }
        pthread_mutex_unlock(mutex)
    }
}
