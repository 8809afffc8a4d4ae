import Foundation

/// Where Ferry keeps everything a run must remember: runs, checkpoints, plugin
/// key-value state, ID mappings, record hashes and dead letters.
///
/// SQLite is the embedded default (`FerryState.SQLiteStateStore`); an
/// in-memory twin serves tests. Every method is one short transaction so that
/// a shared server store (PostgreSQL with row leases) can implement the same
/// protocol later. Implementations are thread-safe.
public protocol StateStore: AnyObject, Sendable {
    // MARK: Runs and the per-pipeline lease

    /// Starts a run, taking the pipeline's lease. Throws `StateError.pipelineBusy`
    /// when a live process already runs the same (site, pipeline).
    func beginRun(_ pipeline: PipelineID) throws -> RunID

    /// Ends a run, records its outcome and releases the lease.
    func finishRun(_ run: RunID, outcome: RunOutcome) throws

    /// The latest runs of a pipeline (or of every pipeline when `pipeline` is nil), newest first.
    func recentRuns(of pipeline: PipelineID?, limit: Int) throws -> [RunRecord]

    /// Keeps a run's log lines (already redacted), so `ferry logs` and `serve`'s API
    /// show them after the process that ran it has gone. Only the logs of the
    /// latest `keepingLatest` runs are kept; older ones are deleted here.
    func saveRunLog(_ run: RunID, lines: [String], keepingLatest: Int) throws

    /// A run's kept log lines, or nil when none are kept.
    func runLog(_ run: RunID) throws -> [String]?

    // MARK: Checkpoints and the atomic batch commit

    /// The checkpoint (opaque JSON text) last committed for a stream, or nil.
    func checkpoint(for pipeline: PipelineID, stream: String) throws -> String?

    /// How many checkpoints were ever committed for a stream (0 for none). It only
    /// grows, even across `reset`, so a destination holding a larger sequence (one
    /// that commits checkpoints with its rows) holds a later checkpoint.
    func checkpointSequence(for pipeline: PipelineID, stream: String) throws -> Int64

    /// Commits, in one transaction, everything one acknowledged batch produced:
    /// its checkpoint, per-run counts, ID mappings, dead letters and record hashes.
    func commit(_ batch: BatchCommit) throws

    // MARK: Plugin key-value state

    func value(scope: String, key: String) throws -> String?
    func setValue(_ value: String, scope: String, key: String) throws
    func removeValue(scope: String, key: String) throws

    // MARK: ID mappings

    func destinationID(scope: String, sourceID: String) throws -> String?
    func setDestinationID(_ destinationID: String, scope: String, sourceID: String) throws

    /// Stores many mappings of one scope in one transaction (an import).
    func setDestinationIDs(_ pairs: [(sourceID: String, destinationID: String)], scope: String) throws

    /// Every scope whose name starts with `prefix`, with how many mappings it holds.
    func idMapScopes(prefix: String) throws -> [(scope: String, count: Int)]

    /// The mappings of a scope, by source id.
    func idMappings(scope: String, limit: Int) throws -> [(sourceID: String, destinationID: String)]

    // MARK: Change detection

    /// The stored content hashes for the given keys of a stream (absent keys are omitted).
    func recordHashes(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String: UInt64]

    /// Whether any hash is stored for a stream: none means a first load, whose records no
    /// lookup can find unless the load itself sent them before.
    func hasRecordHashes(for pipeline: PipelineID, stream: String) throws -> Bool

    /// Every key with a stored hash for a stream (used by mirror mode to find deletions).
    func allHashedKeys(for pipeline: PipelineID, stream: String) throws -> [String]

    // MARK: Dead letters

    func deadLetters(for pipeline: PipelineID?, includeReplayed: Bool, limit: Int) throws -> [DeadLetter]

    /// Marks dead letters as replayed (they stay listed with `includeReplayed`).
    func markReplayed(_ ids: [Int64]) throws

    /// Deletes dead letters nobody will replay; returns how many were deleted.
    func discardDeadLetters(_ ids: [Int64]) throws -> Int

    // MARK: Parked records

    /// Records waiting for a parent's ID mapping (`lookup` with `on_missing: defer`), oldest first.
    func parkedRecords(for pipeline: PipelineID, limit: Int) throws -> [ParkedRecord]

    /// How many records of a pipeline wait.
    func parkedCount(for pipeline: PipelineID) throws -> Int

    // MARK: Two-way sync

    /// The last synced versions of the given keys of a stream (absent keys are omitted).
    func syncedVersions(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String: SyncedVersion]

    /// Conflicts of a pipeline (or of every pipeline), oldest first: open and resolved ones,
    /// or every one with `includeClosed`.
    func conflicts(for pipeline: PipelineID?, includeClosed: Bool, limit: Int) throws -> [ConflictRecord]

    /// The open and resolved conflicts of the given keys of a stream.
    func pendingConflicts(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [ConflictRecord]

    /// Records a person's decision (`resolution`, JSON text) on an open or resolved conflict
    /// and forgets its record's hash, in one transaction, so that the next run sends the
    /// record again and writes the decision. Throws `.notFound` for no such pending conflict.
    func resolveConflict(_ id: Int64, resolution: String) throws -> ConflictRecord

    // MARK: Maintenance

    /// Forgets checkpoints, hashes and dead letters of one pipeline (not ID mappings, not runs).
    func reset(_ pipeline: PipelineID) throws

    // MARK: Atomic updates

    /// Reads a value, lets `body` compute its replacement, and writes it back in one
    /// transaction, so processes sharing the store never interleave (rate budgets).
    /// `body` returns the new value (nil removes it) and a result.
    func updateValue<R>(scope: String, key: String, _ body: (String?) throws -> (String?, R)) throws -> R
}

/// A pipeline within a site. The default site is the empty string.
public struct PipelineID: Hashable, Sendable, CustomStringConvertible {
    public var site: String
    public var pipeline: String

    public init(site: String = "", pipeline: String) {
        self.site = site
        self.pipeline = pipeline
    }

    public var description: String { site.isEmpty ? pipeline : "\(site)/\(pipeline)" }
}

public typealias RunID = Int64

/// How a run ended.
public struct RunOutcome: Sendable, Equatable {
    public enum Status: String, Sendable {
        case running, succeeded, failed, deadLettered = "dead_lettered", cancelled
        /// Stopped early because an API's rate budget (e.g. a daily quota) is used up;
        /// the committed batches stand and the next run continues from them.
        case rateLimited = "rate_limited"
        /// Shown, never stored: a run still marked running whose process is gone
        /// (killed, crashed, power lost). The next run takes over its lease.
        case interrupted
    }
    public var status: Status
    public var message: String?

    public init(status: Status, message: String? = nil) {
        self.status = status
        self.message = message
    }
}

/// One row of the run log with totals over all its committed batches.
public struct RunRecord: Sendable, Equatable {
    public var id: RunID
    public var pipeline: PipelineID
    public var startedAt: Double // seconds since 1970
    public var finishedAt: Double?
    public var status: RunOutcome.Status
    public var message: String?
    public var counts: BatchCounts

    public init(
        id: RunID, pipeline: PipelineID, startedAt: Double, finishedAt: Double?, status: RunOutcome.Status,
        message: String?, counts: BatchCounts
    ) {
        self.id = id; self.pipeline = pipeline; self.startedAt = startedAt; self.finishedAt = finishedAt
        self.status = status; self.message = message; self.counts = counts
    }
}

/// Record counts of one batch or one run.
public struct BatchCounts: Sendable, Equatable {
    public var read = 0 // records the source produced
    public var written = 0 // records the destination accepted
    /// Of `written`, records written for the first time: keys change detection had no hash for
    /// (new to Ferry), and every appended record. The rest of `written` updated a record.
    public var created = 0
    public var unchanged = 0 // records skipped because their hash had not changed
    public var deleted = 0 // records deleted by mirror mode
    public var rejected = 0 // records sent to dead letters
    public var parked = 0 // records waiting for a parent's mapping (not stored with the run)

    public init(
        read: Int = 0, written: Int = 0, unchanged: Int = 0, deleted: Int = 0, rejected: Int = 0, created: Int = 0
    ) {
        self.read = read; self.written = written; self.unchanged = unchanged; self.deleted = deleted;
        self.rejected = rejected; self.created = created
    }

    public static func += (lhs: inout BatchCounts, rhs: BatchCounts) {
        lhs.read += rhs.read; lhs.written += rhs.written; lhs.created += rhs.created; lhs.unchanged += rhs.unchanged
        lhs.deleted += rhs.deleted; lhs.rejected += rhs.rejected; lhs.parked += rhs.parked
    }
}

/// A record that a transform or destination rejected, kept for inspection and replay.
public struct DeadLetter: Sendable, Equatable {
    public var id: Int64 // assigned by the store; 0 before it is stored
    public var pipeline: PipelineID
    public var stream: String
    public var stage: String // "transform", "destination", or a transform plugin's connection name
    public var error: String
    /// The record's bytes as they entered the failing stage, kept exactly (even bytes
    /// that are not UTF-8), so a replay sends what the destination refused.
    public var recordBytes: [UInt8]
    public var createdAt: Double
    public var replayedAt: Double?

    /// The record as text, for people (bytes that are not UTF-8 show as U+FFFD).
    public var record: String { String(decoding: recordBytes, as: UTF8.self) }

    public init(
        id: Int64 = 0, pipeline: PipelineID, stream: String, stage: String, error: String, recordBytes: [UInt8],
        createdAt: Double, replayedAt: Double? = nil
    ) {
        self.id = id; self.pipeline = pipeline; self.stream = stream; self.stage = stage
        self.error = error; self.recordBytes = recordBytes; self.createdAt = createdAt; self.replayedAt = replayedAt
    }

    public init(
        id: Int64 = 0, pipeline: PipelineID, stream: String, stage: String, error: String, record: String,
        createdAt: Double, replayedAt: Double? = nil
    ) {
        self.init(
            id: id, pipeline: pipeline, stream: stream, stage: stage, error: error, recordBytes: Array(record.utf8),
            createdAt: createdAt, replayedAt: replayedAt)
    }
}

/// A record that waits for a parent's ID mapping before it can be written.
public struct ParkedRecord: Sendable, Equatable {
    public var id: Int64 // assigned by the store; 0 before it is stored
    public var pipeline: PipelineID
    public var stream: String
    /// Why it waits ("no 'yuman/sites' mapping for field 'site' value \"S9\"").
    public var reason: String
    /// The record's bytes as the source sent them.
    public var recordBytes: [UInt8]
    /// Runs that tried it so far.
    public var attempts: Int
    public var parkedAt: Double

    public init(
        id: Int64 = 0, pipeline: PipelineID, stream: String, reason: String, recordBytes: [UInt8], attempts: Int,
        parkedAt: Double
    ) {
        self.id = id; self.pipeline = pipeline; self.stream = stream; self.reason = reason
        self.recordBytes = recordBytes; self.attempts = attempts; self.parkedAt = parkedAt
    }
}

/// Everything one acknowledged batch changes in state, committed atomically.
public struct BatchCommit: Sendable {
    public var run: RunID
    public var pipeline: PipelineID
    public var stream: String
    /// The new checkpoint; nil keeps the previous one.
    public var checkpoint: String?
    /// The checkpoint's sequence number (see `StateStore.checkpointSequence`); nil
    /// stores the previous one plus one.
    public var checkpointSequence: Int64?
    public var counts: BatchCounts
    public var idMappings: [(scope: String, sourceID: String, destinationID: String)]
    public var deadLetters: [DeadLetter]
    /// Hashes of records written in this batch, by primary-key string.
    public var hashes: [(key: String, hash: UInt64)]
    /// Keys whose hashes must be forgotten (records deleted in mirror mode).
    public var removedHashKeys: [String]
    /// Dead letters this batch replayed: marked replayed in the same transaction.
    public var replayedDeadLetters: [Int64]
    /// Records this batch parked to wait for a mapping.
    public var parked: [ParkedRecord]
    /// Parked records this batch took up again (removed; those that still wait are in `parked` anew).
    public var unparked: [Int64]
    /// ID mappings to forget: the destination deleted their objects (mirror), so a record that
    /// comes back must be created anew, not updated under a dead id.
    public var removedIDMappings: [(scope: String, sourceID: String)] = []
    /// Two-way sync: the versions of the records this batch wrote.
    public var syncedVersions: [SyncedVersion] = []
    /// Two-way sync: conflicts found (each supersedes a pending one of its key and field).
    public var conflicts: [ConflictRecord] = []
    /// Two-way sync: pending conflicts this batch closed, with their new status.
    public var closedConflicts: [(id: Int64, status: ConflictRecord.Status)] = []

    public init(
        run: RunID, pipeline: PipelineID, stream: String, checkpoint: String?, checkpointSequence: Int64? = nil,
        counts: BatchCounts, idMappings: [(scope: String, sourceID: String, destinationID: String)] = [],
        deadLetters: [DeadLetter] = [], hashes: [(key: String, hash: UInt64)] = [], removedHashKeys: [String] = [],
        replayedDeadLetters: [Int64] = [], parked: [ParkedRecord] = [], unparked: [Int64] = []
    ) {
        self.run = run; self.pipeline = pipeline; self.stream = stream; self.checkpoint = checkpoint
        self.checkpointSequence = checkpointSequence
        self.counts = counts; self.idMappings = idMappings; self.deadLetters = deadLetters
        self.hashes = hashes; self.removedHashKeys = removedHashKeys; self.replayedDeadLetters = replayedDeadLetters
        self.parked = parked; self.unparked = unparked
    }
}

/// Errors a state store reports.
public struct StateError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable { case pipelineBusy, storage, notFound }
    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    public static func pipelineBusy(_ pipeline: PipelineID, holder: String) -> StateError {
        StateError(
            .pipelineBusy,
            "Pipeline '\(pipeline)' is already running (\(holder)); wait for it to finish or stop it first.")
    }
}

/// The process that holds (or asks for) a pipeline's lease: a pid on a host.
///
/// Stores record the holder with every lease so that a lease left behind by a
/// crashed process (`kill -9`, power loss) can be taken over, while a live one
/// makes `beginRun` throw `StateError.pipelineBusy`.
public struct LeaseHolder: Sendable, Equatable, CustomStringConvertible {
    /// The holder's process id.
    public var pid: Int32
    /// The host the process runs on; a holder elsewhere can't be checked, so it is never taken over.
    public var hostname: String
    /// When the process started (clock ticks since boot, from `/proc/<pid>/stat`),
    /// so that a pid reused by an unrelated process is not mistaken for the holder.
    /// Nil where it cannot be read.
    public var startTime: Int64?

    /// A holder as recorded with a lease.
    public init(pid: Int32, hostname: String, startTime: Int64? = nil) {
        self.pid = pid
        self.hostname = hostname
        self.startTime = startTime
    }

    /// This process.
    public static var current: LeaseHolder {
        let pid = getpid()
        return LeaseHolder(pid: pid, hostname: currentHostname, startTime: processStatus(of: pid)?.startTime)
    }

    /// The name of this host, as `gethostname(2)` reports it.
    public static var currentHostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when the holder provably no longer runs: it is on this host and its pid
    /// is gone, a zombie, or now belongs to a process that started at another time.
    /// A holder on another host can't be checked and is never considered ended.
    public var hasEnded: Bool {
        guard hostname == LeaseHolder.currentHostname else { return false }
        guard pid > 0 else { return true }
        if kill(pid, 0) != 0 && errno != EPERM { return true }
        guard let status = LeaseHolder.processStatus(of: pid) else { return false }
        if status.state == "Z" || status.state == "X" { return true }
        if let startTime, startTime != status.startTime { return true }
        return false
    }

    public var description: String { "pid \(pid) on \(hostname)" }

    /// State letter and start time of a process from `/proc/<pid>/stat` (Linux only).
    private static func processStatus(of pid: Int32) -> (state: Character, startTime: Int64)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)" come the fields from 3 (state) on; starttime is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = Int64(fields[19]) else { return nil }
        return (state, start)
    }
}

/// ID-mapping scopes are per site: the same connection serves several sites
/// (tenants, shops), and their ids must never meet.
public enum IDMapScope {
    /// The scope as stored: the site's name before it, when there is a site.
    public static func qualified(_ scope: String, site: String) -> String {
        site.isEmpty ? scope : "\(site)::\(scope)"
    }
}
