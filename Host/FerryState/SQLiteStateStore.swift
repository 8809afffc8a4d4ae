import CSQLite
import FerryCore
import FerrySQLite
import Foundation

/// The embedded `StateStore`: one SQLite database file.
///
/// The file is created with mode 0600 (SQLite gives its `-wal` and `-shm` files
/// the same mode), runs in WAL mode with `synchronous=FULL`, so that a committed
/// batch survives power loss, and with foreign keys on. Its schema is upgraded on
/// open; a file written by a newer Ferry is refused. Each method is one short
/// transaction on one connection guarded by a lock; write transactions start with
/// `BEGIN IMMEDIATE`, so two processes on the same file are serialised.
/// `@unchecked Sendable`: the one connection and the hook are only touched under `lock`.
public final class SQLiteStateStore: StateStore, @unchecked Sendable {
    /// The schema version this build writes.
    public static var schemaVersion: Int32 { StateSchema.migrations.last?.version ?? 0 }

    /// The database file.
    public let path: String
    /// The process this store takes leases for.
    public let holder: LeaseHolder

    private let lock = NSLock()
    private var database: SQLiteDatabase?
    private var hook: ((String) throws -> Void)?
    /// Device and inode of the file as opened.
    private var identity: (device: UInt64, inode: UInt64)?

    /// Called inside the commit transaction after each step of `commit(_:)` with the
    /// step's name; a throw rolls the batch back. Tests use it to check atomicity.
    var commitFaultHook: ((String) throws -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return hook }
        set { lock.lock(); defer { lock.unlock() }; hook = newValue }
    }

    /// Opens the state database at `path`, creating it (mode 0600) and its schema
    /// when needed. Leases are taken as `holder`, normally this process; `cacheMiB` bounds
    /// the page cache (config `state_cache_mib`).
    public init(path: String, holder: LeaseHolder = .current, cacheMiB: Int = FerryConfig.defaultStateCacheMiB) throws {
        self.path = path
        self.holder = holder
        do {
            try Self.createPrivateFile(at: path)
            database = try Self.openConfigured(path: path, cacheMiB: cacheMiB)
            identity = Self.fileIdentity(of: path)
        } catch let error as SQLiteError {
            throw StateError(.storage, "State database \(path): \(error)")
        }
    }

    /// Opens the file in WAL mode with the schema up to date. Two processes opening a new
    /// file at once race to switch it to WAL; the loser tries again (`retryingWhileBusy`).
    private static func openConfigured(path: String, cacheMiB: Int) throws -> SQLiteDatabase {
        try SQLiteDatabase.retryingWhileBusy {
            // synchronous=FULL below: each commit syncs the log, so its frames can be written a buffer at a
            // time. The state stays in WAL mode, so its WAL's file is kept between processes.
            let database = try SQLiteDatabase(path: path, busyTimeout: 5, buffersWAL: true, keepsWALFile: true)
            do {
                let mode = try database.pragma("journal_mode = WAL")
                guard mode?.lowercased() == "wal" else {
                    throw SQLiteError(
                        code: 0, message: "journal mode is \(mode ?? "unknown"), not WAL", purpose: "enable WAL mode")
                }
                // The page cache grows only as used. Hash lookups come in key order and a commit group
                // writes many at once, so the B-tree's inner pages and the current leaves are what
                // must stay cached: 4 MiB by default holds them for millions of records (1M and 5M
                // measured in docs/performance.md, *Page caches of 4 MiB*), and keeps peak memory flat.
                try database.execute(
                    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -\(cacheMiB * 1024);",
                    purpose: "configure the state database")
                try database.migrate(StateSchema.migrations, what: "the state database")
                return database
            } catch {
                database.close()
                throw error
            }
        }
    }

    /// The file's device and inode, to notice the database being deleted or replaced under a run.
    private static func fileIdentity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Throws when the file at `path` is no longer the one this store opened: a run that
    /// went on committing into a deleted file would lose every checkpoint without a word.
    private func checkFileIsStillThere() throws {
        let current = Self.fileIdentity(of: path)
        guard let identity, let current, current == identity else {
            throw StateError(
                .storage,
                "The state database \(path) was deleted or replaced while Ferry was running; "
                    + "nothing more is committed. Restore it (or let the next run start anew) and run again.")
        }
    }

    /// Opens the state database at `path` for this process (see `init(path:holder:)`).
    public static func open(path: String) throws -> SQLiteStateStore {
        try SQLiteStateStore(path: path)
    }

    /// Closes the database. Later calls throw `StateError` of kind `.storage`.
    /// Leases this store holds stay until their runs finish or this process ends.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        database?.close()
        database = nil
    }

    deinit { database?.close() }

    /// Creates `path` with mode 0600 unless it exists (an existing file keeps its mode),
    /// and its directory with mode 0700 unless that exists.
    private static func createPrivateFile(at path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
        let descriptor = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw StateError(.storage, "Could not create the state database \(path): \(reason)")
        }
        Foundation.close(descriptor)
    }

    // MARK: Access

    /// Runs `body` on the connection under the lock; SQLite errors become `StateError`s.
    @discardableResult
    func withDatabase<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let database else { throw StateError(.storage, "The state database \(path) is closed.") }
        do {
            return try body(database)
        } catch let error as SQLiteError {
            throw StateError(.storage, "State database \(path): \(error)")
        }
    }

    /// Lends the connection, under the lock, to tests.
    func withConnectionForTesting<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try withDatabase(body)
    }

    static var now: Double { Date().timeIntervalSince1970 }

    // MARK: Runs and the per-pipeline lease

    public func beginRun(_ pipeline: PipelineID) throws -> RunID {
        try withDatabase { db in
            try db.transaction("start a run of \(pipeline)") {
                let now = Self.now
                let lease = try db.query(
                    """
                    SELECT run_id, holder_pid, hostname, holder_started FROM leases WHERE site = ? AND pipeline = ?
                    """, pipeline.site, pipeline.pipeline, purpose: "read the lease of \(pipeline)"
                ) { row in
                    (
                        run: row.int64(at: 0),
                        holder: LeaseHolder(
                            pid: Int32(truncatingIfNeeded: row.int64(at: 1)), hostname: row.string(at: 2),
                            startTime: row.optionalInt64(at: 3))
                    )
                }.first
                if let lease {
                    guard lease.holder.hasEnded else {
                        throw StateError.pipelineBusy(pipeline, holder: lease.holder.description)
                    }
                    try db.run(
                        """
                        UPDATE runs SET status = 'failed', finished_at = ?, message = ? WHERE id = ? AND status = 'running'
                        """, now, "Interrupted: \(lease.holder) ended without finishing the run.", lease.run,
                        purpose: "mark the interrupted run \(lease.run) of \(pipeline) as failed")
                    try db.run(
                        "DELETE FROM leases WHERE site = ? AND pipeline = ?", pipeline.site, pipeline.pipeline,
                        purpose: "take over the lease of \(pipeline)")
                }
                try db.run(
                    "INSERT INTO runs (site, pipeline, started_at, status) VALUES (?, ?, ?, 'running')",
                    pipeline.site, pipeline.pipeline, now, purpose: "record a new run of \(pipeline)")
                let run = db.lastInsertRowID
                try db.run(
                    """
                    INSERT INTO leases (site, pipeline, run_id, holder_pid, hostname, holder_started, acquired_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, pipeline.site, pipeline.pipeline, run, holder.pid, holder.hostname, holder.startTime, now,
                    purpose: "take the lease of \(pipeline)")
                return run
            }
        }
    }

    public func finishRun(_ run: RunID, outcome: RunOutcome) throws {
        guard outcome.status != .running else {
            throw StateError(.storage, "Run \(run) cannot finish with status 'running'.")
        }
        try withDatabase { db in
            try db.transaction("finish run \(run)") {
                guard
                    let current = try db.query(
                        "SELECT status FROM runs WHERE id = ?", run,
                        purpose: "read run \(run)", row: { $0.string(at: 0) }
                    ).first
                else {
                    throw StateError(.notFound, "Run \(run) does not exist.")
                }
                guard current == RunOutcome.Status.running.rawValue else {
                    throw StateError(.storage, "Run \(run) has already finished (\(current)).")
                }
                try db.run(
                    "UPDATE runs SET status = ?, message = ?, finished_at = ? WHERE id = ?",
                    outcome.status.rawValue, outcome.message, Self.now, run, purpose: "record the end of run \(run)")
                try db.run("DELETE FROM leases WHERE run_id = ?", run, purpose: "release the lease of run \(run)")
            }
        }
    }

    public func recentRuns(of pipeline: PipelineID?, limit: Int) throws -> [RunRecord] {
        guard limit > 0 else { return [] }
        let columns = """
            SELECT id, runs.site, runs.pipeline, started_at, finished_at, status, message,
                   read_count, written_count, unchanged_count, deleted_count, rejected_count,
                   leases.holder_pid, leases.hostname, leases.holder_started, created_count
            FROM runs LEFT JOIN leases ON leases.run_id = runs.id
            """
        return try withDatabase { db in
            let decode: (SQLiteStatement) throws -> RunRecord = { row in
                var status = RunOutcome.Status(rawValue: row.string(at: 5)) ?? .failed
                var message = row.optionalString(at: 6)
                if status == .running {
                    // A run whose lease is gone, or whose holder no longer runs, was killed mid-way.
                    let holder = row.optionalInt64(at: 12).map {
                        LeaseHolder(
                            pid: Int32(truncatingIfNeeded: $0), hostname: row.string(at: 13),
                            startTime: row.optionalInt64(at: 14))
                    }
                    if holder?.hasEnded ?? true {
                        status = .interrupted
                        message =
                            "interrupted: \(holder?.description ?? "its process") ended without finishing the run; "
                            + "committed batches stand and the next run continues from them"
                    }
                }
                return RunRecord(
                    id: row.int64(at: 0), pipeline: PipelineID(site: row.string(at: 1), pipeline: row.string(at: 2)),
                    startedAt: row.double(at: 3), finishedAt: row.optionalDouble(at: 4),
                    status: status, message: message,
                    counts: BatchCounts(
                        read: row.int(at: 7), written: row.int(at: 8), unchanged: row.int(at: 9),
                        deleted: row.int(at: 10), rejected: row.int(at: 11), created: row.int(at: 15)))
            }
            if let pipeline {
                return try db.query(
                    "\(columns) WHERE runs.site = ? AND runs.pipeline = ? ORDER BY id DESC LIMIT ?",
                    pipeline.site, pipeline.pipeline, limit, purpose: "list the runs of \(pipeline)", row: decode)
            }
            return try db.query(
                "\(columns) ORDER BY id DESC LIMIT ?", limit, purpose: "list the latest runs", row: decode)
        }
    }

    public func saveRunLog(_ run: RunID, lines: [String], keepingLatest: Int) throws {
        // A JSON array: log lines may hold newlines of their own.
        let text = String(decoding: try JSONEncoder().encode(lines), as: UTF8.self)
        try withDatabase { db in
            try db.transaction("keep the log of run \(run)") {
                try db.run(
                    "INSERT OR REPLACE INTO run_logs (run_id, lines) VALUES (?, ?)", run, text,
                    purpose: "keep the log of run \(run)")
                try db.run(
                    """
                    DELETE FROM run_logs WHERE run_id NOT IN (SELECT run_id FROM run_logs ORDER BY run_id DESC LIMIT ?)
                    """, max(keepingLatest, 0), purpose: "forget the logs of older runs")
            }
        }
    }

    public func runLog(_ run: RunID) throws -> [String]? {
        let text = try withDatabase { db in
            try db.query(
                "SELECT lines FROM run_logs WHERE run_id = ?", run, purpose: "read the log of run \(run)",
                row: { $0.string(at: 0) }
            ).first
        }
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode([String].self, from: Data(text.utf8))
        } catch {
            throw StateError(.storage, "the kept log of run \(run) is not a JSON array of lines: \(error)")
        }
    }

    // MARK: Checkpoints and the atomic batch commit

    public func checkpoint(for pipeline: PipelineID, stream: String) throws -> String? {
        try withDatabase { db in
            try db.query(
                "SELECT checkpoint FROM checkpoints WHERE site = ? AND pipeline = ? AND stream = ?",
                pipeline.site, pipeline.pipeline, stream,
                purpose: "read the checkpoint of \(pipeline) stream \(stream)"
            ) { $0.string(at: 0) }.first
        }
    }

    public func checkpointSequence(for pipeline: PipelineID, stream: String) throws -> Int64 {
        try withDatabase { db in
            try db.query(
                "SELECT sequence FROM checkpoint_sequences WHERE site = ? AND pipeline = ? AND stream = ?",
                pipeline.site, pipeline.pipeline, stream,
                purpose: "read the checkpoint sequence of \(pipeline) stream \(stream)"
            ) { $0.int64(at: 0) }.first ?? 0
        }
    }

    public func commit(_ batch: BatchCommit) throws {
        try checkFileIsStillThere()
        let pipeline = batch.pipeline
        try withDatabase { db in
            try db.transaction("commit a batch of \(pipeline) stream \(batch.stream)") {
                let now = Self.now
                if let checkpoint = batch.checkpoint {
                    try db.run(
                        """
                        INSERT INTO checkpoints (site, pipeline, stream, checkpoint, updated_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (site, pipeline, stream) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at
                        """, pipeline.site, pipeline.pipeline, batch.stream, checkpoint, now,
                        purpose: "store the checkpoint of \(pipeline) stream \(batch.stream)")
                    try db.run(
                        """
                        INSERT INTO checkpoint_sequences (site, pipeline, stream, sequence) VALUES (?1, ?2, ?3, COALESCE(?4, 1))
                        ON CONFLICT (site, pipeline, stream) DO UPDATE SET sequence = COALESCE(?4, sequence + 1)
                        """, pipeline.site, pipeline.pipeline, batch.stream, batch.checkpointSequence,
                        purpose: "number the checkpoint of \(pipeline) stream \(batch.stream)")
                }
                try hook?("checkpoint")

                let counts = batch.counts
                let updated = try db.run(
                    """
                    UPDATE runs SET read_count = read_count + ?, written_count = written_count + ?,
                        unchanged_count = unchanged_count + ?, deleted_count = deleted_count + ?, rejected_count = rejected_count + ?,
                        created_count = created_count + ?
                    WHERE id = ? AND site = ? AND pipeline = ? AND status = 'running'
                    """, counts.read, counts.written, counts.unchanged, counts.deleted, counts.rejected, counts.created,
                    batch.run, pipeline.site, pipeline.pipeline, purpose: "add the batch's counts to run \(batch.run)")
                if updated == 0 { try explainUncommittableRun(batch.run, pipeline: pipeline, in: db) }
                try hook?("counts")

                if !batch.idMappings.isEmpty {
                    try db.withStatement(
                        """
                        INSERT INTO id_map (scope, source_id, destination_id, updated_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT (scope, source_id) DO UPDATE SET destination_id = excluded.destination_id, updated_at = excluded.updated_at
                        """, purpose: "store the batch's ID mappings"
                    ) { statement in
                        try statement.bind(real: now, at: 4)
                        for mapping in batch.idMappings {
                            try statement.bind(text: mapping.scope, at: 1)
                            try statement.bind(text: mapping.sourceID, at: 2)
                            try statement.bind(text: mapping.destinationID, at: 3)
                            try statement.run()
                            statement.reset()
                        }
                    }
                }
                try hook?("idMappings")

                if !batch.deadLetters.isEmpty {
                    try db.withStatement(
                        """
                        INSERT INTO dead_letters (run_id, site, pipeline, stream, stage, error, record, created_at, replayed_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, purpose: "store the batch's dead letters"
                    ) { statement in
                        for letter in batch.deadLetters {
                            try statement.bind([
                                batch.run, letter.pipeline.site, letter.pipeline.pipeline, letter.stream,
                                letter.stage, letter.error, "", letter.createdAt, letter.replayedAt,
                            ])
                            try statement.bind(textBytes: letter.recordBytes, at: 7)
                            try statement.run()
                            statement.reset()
                        }
                    }
                }
                try hook?("deadLetters")

                if !batch.hashes.isEmpty {
                    let streamID = try hashStreamID(pipeline, batch.stream, creating: true, in: db)!
                    try storeHashes(batch.hashes, streamID: streamID, in: db)
                }
                try hook?("hashes")

                if !batch.removedHashKeys.isEmpty,
                    let streamID = try hashStreamID(pipeline, batch.stream, creating: false, in: db)
                {
                    try removeHashes(batch.removedHashKeys, streamID: streamID, in: db)
                }
                try hook?("removedHashKeys")

                if !batch.replayedDeadLetters.isEmpty {
                    try markReplayed(batch.replayedDeadLetters, in: db)
                }
                try hook?("replayedDeadLetters")

                for mapping in batch.removedIDMappings {
                    try db.run(
                        "DELETE FROM id_map WHERE scope = ? AND source_id = ?", mapping.scope, mapping.sourceID,
                        purpose: "forget the ID mapping of deleted \(mapping.sourceID) in \(mapping.scope)")
                }
                for id in batch.unparked {
                    try db.run("DELETE FROM parked_records WHERE id = ?", id, purpose: "take up parked record \(id)")
                }
                if !batch.parked.isEmpty {
                    try db.withStatement(
                        """
                        INSERT INTO parked_records (site, pipeline, stream, reason, record, attempts, parked_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, purpose: "park the batch's waiting records"
                    ) { statement in
                        for record in batch.parked {
                            try statement.bind([
                                record.pipeline.site, record.pipeline.pipeline, record.stream, record.reason, "",
                                record.attempts, record.parkedAt,
                            ])
                            try statement.bind(textBytes: record.recordBytes, at: 5)
                            try statement.run()
                            statement.reset()
                        }
                    }
                }
                try hook?("parked")

                try commitTwoWay(batch, at: now, in: db)
                try hook?("twoWay")
            }
        }
    }

    /// Throws the reason why a batch can't be committed to `run`.
    private func explainUncommittableRun(_ run: RunID, pipeline: PipelineID, in db: SQLiteDatabase) throws {
        guard
            let found = try db.query(
                "SELECT site, pipeline, status FROM runs WHERE id = ?", run, purpose: "read run \(run)",
                row: {
                    (pipeline: PipelineID(site: $0.string(at: 0), pipeline: $0.string(at: 1)), status: $0.string(at: 2))
                }
            ).first
        else {
            throw StateError(.notFound, "Run \(run) does not exist.")
        }
        if found.pipeline != pipeline {
            throw StateError(.storage, "Run \(run) belongs to pipeline '\(found.pipeline)', not '\(pipeline)'.")
        }
        throw StateError(.storage, "Run \(run) has already finished (\(found.status)); its batch is not committed.")
    }

    /// The id under which the hashes of a stream are kept, created when asked to.
    func hashStreamID(_ pipeline: PipelineID, _ stream: String, creating: Bool, in db: SQLiteDatabase) throws -> Int64?
    {
        if creating {
            try db.run(
                "INSERT INTO hash_streams (site, pipeline, stream) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                pipeline.site, pipeline.pipeline, stream, purpose: "register stream \(stream) of \(pipeline) for hashes"
            )
        }
        return try db.query(
            "SELECT id FROM hash_streams WHERE site = ? AND pipeline = ? AND stream = ?",
            pipeline.site, pipeline.pipeline, stream,
            purpose: "find the hashes of \(pipeline) stream \(stream)"
        ) { $0.int64(at: 0) }.first
    }

    // MARK: Plugin key-value state

    public func value(scope: String, key: String) throws -> String? {
        try withDatabase { db in
            try db.query(
                "SELECT value FROM kv WHERE scope = ? AND key = ?", scope, key,
                purpose: "read the value \(key) of \(scope)"
            ) { $0.string(at: 0) }.first
        }
    }

    public func setValue(_ value: String, scope: String, key: String) throws {
        try withDatabase { db in
            try db.run(
                "INSERT INTO kv (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
                scope, key, value, purpose: "store the value \(key) of \(scope)")
        }
    }

    public func updateValue<R>(scope: String, key: String, _ body: (String?) throws -> (String?, R)) throws -> R {
        try withDatabase { db in
            try db.transaction("update the value \(key) of \(scope)") {
                let current = try db.query(
                    "SELECT value FROM kv WHERE scope = ? AND key = ?", scope, key,
                    purpose: "read the value \(key) of \(scope)"
                ) { $0.string(at: 0) }.first
                let (replacement, result) = try body(current)
                if replacement != current {
                    if let replacement {
                        try db.run(
                            "INSERT INTO kv (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
                            scope, key, replacement, purpose: "store the value \(key) of \(scope)")
                    } else {
                        try db.run(
                            "DELETE FROM kv WHERE scope = ? AND key = ?", scope, key,
                            purpose: "remove the value \(key) of \(scope)")
                    }
                }
                return result
            }
        }
    }

    public func removeValue(scope: String, key: String) throws {
        try withDatabase { db in
            try db.run(
                "DELETE FROM kv WHERE scope = ? AND key = ?", scope, key, purpose: "remove the value \(key) of \(scope)"
            )
        }
    }

    // MARK: ID mappings

    public func destinationID(scope: String, sourceID: String) throws -> String? {
        try withDatabase { db in
            try db.query(
                "SELECT destination_id FROM id_map WHERE scope = ? AND source_id = ?", scope, sourceID,
                purpose: "look up the destination ID of \(sourceID) in \(scope)"
            ) { $0.string(at: 0) }.first
        }
    }

    public func setDestinationID(_ destinationID: String, scope: String, sourceID: String) throws {
        try withDatabase { db in
            try db.run(
                """
                INSERT INTO id_map (scope, source_id, destination_id, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (scope, source_id) DO UPDATE SET destination_id = excluded.destination_id, updated_at = excluded.updated_at
                """, scope, sourceID, destinationID, Self.now,
                purpose: "store the destination ID of \(sourceID) in \(scope)")
        }
    }

    public func setDestinationIDs(_ pairs: [(sourceID: String, destinationID: String)], scope: String) throws {
        guard !pairs.isEmpty else { return }
        try withDatabase { db in
            try db.transaction("import ID mappings into \(scope)") {
                try db.withStatement(
                    """
                    INSERT INTO id_map (scope, source_id, destination_id, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (scope, source_id) DO UPDATE SET destination_id = excluded.destination_id, updated_at = excluded.updated_at
                    """, purpose: "import ID mappings into \(scope)"
                ) { statement in
                    try statement.bind(text: scope, at: 1)
                    try statement.bind(real: Self.now, at: 4)
                    for pair in pairs {
                        try statement.bind(text: pair.sourceID, at: 2)
                        try statement.bind(text: pair.destinationID, at: 3)
                        try statement.run()
                        statement.reset()
                    }
                }
            }
        }
    }

    public func idMapScopes(prefix: String) throws -> [(scope: String, count: Int)] {
        try withDatabase { db in
            try db.query(
                "SELECT scope, COUNT(*) FROM id_map WHERE substr(scope, 1, length(?1)) = ?1 GROUP BY scope ORDER BY scope",
                prefix, purpose: "list the ID-map scopes"
            ) { (scope: $0.string(at: 0), count: $0.int(at: 1)) }
        }
    }

    public func idMappings(scope: String, limit: Int) throws -> [(sourceID: String, destinationID: String)] {
        try withDatabase { db in
            try db.query(
                "SELECT source_id, destination_id FROM id_map WHERE scope = ? ORDER BY source_id LIMIT ?", scope, limit,
                purpose: "list the ID mappings of \(scope)"
            ) { (sourceID: $0.string(at: 0), destinationID: $0.string(at: 1)) }
        }
    }

    // MARK: Dead letters

    public func deadLetters(for pipeline: PipelineID?, includeReplayed: Bool, limit: Int) throws -> [DeadLetter] {
        guard limit > 0 else { return [] }
        var sql =
            "SELECT id, site, pipeline, stream, stage, error, record, created_at, replayed_at FROM dead_letters WHERE 1"
        var bindings: [any SQLiteBindable] = []
        if let pipeline {
            sql += " AND site = ? AND pipeline = ?"
            bindings += [pipeline.site, pipeline.pipeline]
        }
        if !includeReplayed { sql += " AND replayed_at IS NULL" }
        sql += " ORDER BY id LIMIT ?"
        bindings.append(limit)
        return try withDatabase { db in
            try db.withStatement(sql, purpose: "list dead letters") { statement in
                try statement.bind(bindings)
                var letters: [DeadLetter] = []
                while try statement.step() {
                    letters.append(
                        DeadLetter(
                            id: statement.int64(at: 0),
                            pipeline: PipelineID(site: statement.string(at: 1), pipeline: statement.string(at: 2)),
                            stream: statement.string(at: 3), stage: statement.string(at: 4),
                            error: statement.string(at: 5),
                            recordBytes: statement.bytes(at: 6), createdAt: statement.double(at: 7),
                            replayedAt: statement.optionalDouble(at: 8)))
                }
                return letters
            }
        }
    }

    public func markReplayed(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try withDatabase { db in
            try db.transaction("mark dead letters as replayed") { try markReplayed(ids, in: db) }
        }
    }

    private func markReplayed(_ ids: [Int64], in db: SQLiteDatabase) throws {
        try db.withStatement(
            "UPDATE dead_letters SET replayed_at = ? WHERE id = ? AND replayed_at IS NULL",
            purpose: "mark dead letters as replayed"
        ) { statement in
            try statement.bind(real: Self.now, at: 1)
            for id in ids {
                try statement.bind(integer: id, at: 2)
                try statement.run()
                statement.reset()
            }
        }
    }

    public func parkedRecords(for pipeline: PipelineID, limit: Int) throws -> [ParkedRecord] {
        try withDatabase { db in
            try db.query(
                """
                SELECT id, stream, reason, record, attempts, parked_at FROM parked_records
                WHERE site = ? AND pipeline = ? ORDER BY id LIMIT ?
                """, pipeline.site, pipeline.pipeline, limit, purpose: "list the parked records of \(pipeline)"
            ) { row in
                ParkedRecord(
                    id: row.int64(at: 0), pipeline: pipeline, stream: row.string(at: 1), reason: row.string(at: 2),
                    recordBytes: row.bytes(at: 3), attempts: row.int(at: 4), parkedAt: row.double(at: 5))
            }
        }
    }

    public func parkedCount(for pipeline: PipelineID) throws -> Int {
        try withDatabase { db in
            try db.query(
                "SELECT COUNT(*) FROM parked_records WHERE site = ? AND pipeline = ?", pipeline.site, pipeline.pipeline,
                purpose: "count the parked records of \(pipeline)"
            ) { $0.int(at: 0) }.first ?? 0
        }
    }

    public func discardDeadLetters(_ ids: [Int64]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try withDatabase { db in
            try db.transaction("discard dead letters") {
                try ids.reduce(0) { deleted, id in
                    deleted
                        + (try db.run("DELETE FROM dead_letters WHERE id = ?", id, purpose: "discard dead letter \(id)"))
                }
            }
        }
    }

    // MARK: Maintenance

    public func reset(_ pipeline: PipelineID) throws {
        try withDatabase { db in
            try db.transaction("reset \(pipeline)") {
                let site = pipeline.site, name = pipeline.pipeline
                try db.run(
                    "DELETE FROM checkpoints WHERE site = ? AND pipeline = ?", site, name,
                    purpose: "forget the checkpoints of \(pipeline)")
                try removeHashes(of: pipeline, in: db)
                try db.run(
                    "DELETE FROM hash_streams WHERE site = ? AND pipeline = ?", site, name,
                    purpose: "forget the hashed streams of \(pipeline)")
                try db.run(
                    "DELETE FROM dead_letters WHERE site = ? AND pipeline = ?", site, name,
                    purpose: "forget the dead letters of \(pipeline)")
                try db.run(
                    "DELETE FROM parked_records WHERE site = ? AND pipeline = ?", site, name,
                    purpose: "forget the parked records of \(pipeline)")
            }
        }
    }
}
