import Foundation

/// A `StateStore` kept in memory, with the same semantics as the SQLite store:
/// for tests and dry runs.
///
/// Every method runs under one lock, and `commit(_:)` applies a batch to a copy
/// of the state that replaces the original only when every step succeeded, so a
/// failing batch leaves nothing behind. Several stores can share one state
/// (`init(sharingStateWith:holder:)`), like several connections to one database
/// file, each with its own lease holder.
/// `@unchecked Sendable`: its state lives in `Storage`, behind a lock; the hook is set before use, by tests.
public final class InMemoryStateStore: StateStore, @unchecked Sendable {
    /// The process this store takes leases for.
    public let holder: LeaseHolder
    private let storage: Storage

    /// Called after each step of `commit(_:)` with the step's name; a throw aborts
    /// the commit. Tests use it to check that a failure leaves nothing behind.
    var commitFaultHook: ((String) throws -> Void)? {
        get { storage.withLock { _ in hook } }
        set { storage.withLock { _ in hook = newValue } }
    }
    private var hook: ((String) throws -> Void)?

    /// Creates an empty store.
    public init(holder: LeaseHolder = .current) {
        self.holder = holder
        self.storage = Storage()
    }

    /// Creates a store that shares the state of `other` but takes leases as `holder`.
    public init(sharingStateWith other: InMemoryStateStore, holder: LeaseHolder = .current) {
        self.holder = holder
        self.storage = other.storage
    }

    // MARK: Runs and the per-pipeline lease

    public func beginRun(_ pipeline: PipelineID) throws -> RunID {
        try storage.withLock { state in
            let now = Date().timeIntervalSince1970
            if let lease = state.leases[pipeline] {
                guard lease.holder.hasEnded else {
                    throw StateError.pipelineBusy(pipeline, holder: lease.holder.description)
                }
                if var run = state.runs[lease.run], run.status == .running {
                    run.status = .failed
                    run.finishedAt = now
                    run.message = "Interrupted: \(lease.holder) ended without finishing the run."
                    state.runs[lease.run] = run
                }
            }
            let id = state.nextRunID
            state.nextRunID += 1
            state.runs[id] = RunRecord(
                id: id, pipeline: pipeline, startedAt: now, finishedAt: nil,
                status: .running, message: nil, counts: BatchCounts())
            state.leases[pipeline] = Lease(run: id, holder: holder)
            return id
        }
    }

    public func finishRun(_ run: RunID, outcome: RunOutcome) throws {
        try storage.withLock { state in
            guard outcome.status != .running else {
                throw StateError(.storage, "Run \(run) cannot finish with status 'running'.")
            }
            guard var record = state.runs[run] else { throw StateError(.notFound, "Run \(run) does not exist.") }
            guard record.status == .running else {
                throw StateError(.storage, "Run \(run) has already finished (\(record.status.rawValue)).")
            }
            record.status = outcome.status
            record.message = outcome.message
            record.finishedAt = Date().timeIntervalSince1970
            state.runs[run] = record
            if state.leases[record.pipeline]?.run == run {
                state.leases[record.pipeline] = nil
            }
        }
    }

    public func recentRuns(of pipeline: PipelineID?, limit: Int) throws -> [RunRecord] {
        guard limit > 0 else { return [] }
        return storage.withLock { state in
            state.runs.values
                .filter { pipeline == nil || $0.pipeline == pipeline }
                .sorted { $0.id > $1.id }
                .prefix(limit)
                .map { $0 }
        }
    }

    public func saveRunLog(_ run: RunID, lines: [String], keepingLatest: Int) throws {
        storage.withLock { state in
            state.runLogs[run] = lines
            for old in state.runLogs.keys.sorted().dropLast(max(keepingLatest, 0)) { state.runLogs[old] = nil }
        }
    }

    public func runLog(_ run: RunID) throws -> [String]? { storage.withLock { $0.runLogs[run] } }

    // MARK: Checkpoints and the atomic batch commit

    public func checkpoint(for pipeline: PipelineID, stream: String) throws -> String? {
        storage.withLock { $0.checkpoints[StreamKey(pipeline, stream)] }
    }

    public func checkpointSequence(for pipeline: PipelineID, stream: String) throws -> Int64 {
        storage.withLock { $0.checkpointSequences[StreamKey(pipeline, stream)] ?? 0 }
    }

    public func commit(_ batch: BatchCommit) throws {
        try storage.withLock { state in
            var next = state
            let stream = StreamKey(batch.pipeline, batch.stream)
            if let checkpoint = batch.checkpoint {
                next.checkpoints[stream] = checkpoint
                next.checkpointSequences[stream] =
                    batch.checkpointSequence ?? (next.checkpointSequences[stream] ?? 0) + 1
            }
            try hook?("checkpoint")

            guard var run = next.runs[batch.run] else {
                throw StateError(.notFound, "Run \(batch.run) does not exist.")
            }
            guard run.pipeline == batch.pipeline else {
                throw StateError(
                    .storage, "Run \(batch.run) belongs to pipeline '\(run.pipeline)', not '\(batch.pipeline)'.")
            }
            guard run.status == .running else {
                throw StateError(
                    .storage,
                    "Run \(batch.run) has already finished (\(run.status.rawValue)); its batch is not committed.")
            }
            run.counts += batch.counts
            next.runs[batch.run] = run
            try hook?("counts")

            for mapping in batch.idMappings {
                next.idMap[ScopedKey(mapping.scope, mapping.sourceID)] = mapping.destinationID
            }
            try hook?("idMappings")

            for letter in batch.deadLetters {
                var stored = letter
                stored.id = next.nextDeadLetterID
                next.nextDeadLetterID += 1
                next.deadLetters.append(stored)
            }
            try hook?("deadLetters")

            if !batch.hashes.isEmpty {
                for (key, hash) in batch.hashes {
                    next.hashes[stream, default: [:]][key] = hash
                }
            }
            try hook?("hashes")

            if !batch.removedHashKeys.isEmpty {
                for key in batch.removedHashKeys {
                    next.hashes[stream]?[key] = nil
                }
            }
            try hook?("removedHashKeys")

            let replayed = Set(batch.replayedDeadLetters)
            let now = Date().timeIntervalSince1970
            for index in next.deadLetters.indices
            where replayed.contains(next.deadLetters[index].id) && next.deadLetters[index].replayedAt == nil {
                next.deadLetters[index].replayedAt = now
            }
            try hook?("replayedDeadLetters")

            for mapping in batch.removedIDMappings { next.idMap[ScopedKey(mapping.scope, mapping.sourceID)] = nil }
            let unparked = Set(batch.unparked)
            next.parked.removeAll { unparked.contains($0.id) }
            for record in batch.parked {
                var stored = record
                stored.id = next.nextParkedID
                next.nextParkedID += 1
                next.parked.append(stored)
            }
            try hook?("parked")

            for closed in batch.closedConflicts {
                if let index = next.conflicts.firstIndex(where: { $0.id == closed.id }) {
                    next.conflicts[index].status = closed.status
                }
            }
            for conflict in batch.conflicts {
                for index in next.conflicts.indices
                where next.conflicts[index].pipeline == batch.pipeline
                    && next.conflicts[index].stream == batch.stream && next.conflicts[index].key == conflict.key
                    && next.conflicts[index].field == conflict.field && Self.isPending(next.conflicts[index])
                {
                    next.conflicts[index].status = .superseded
                }
                var stored = conflict
                stored.id = next.nextConflictID
                stored.status = .open
                next.nextConflictID += 1
                next.conflicts.append(stored)
            }
            for version in batch.syncedVersions { next.synced[stream, default: [:]][version.key] = version }
            for key in batch.removedHashKeys { next.synced[stream]?[key] = nil }
            try hook?("twoWay")

            state = next
        }
    }

    // MARK: Plugin key-value state

    public func value(scope: String, key: String) throws -> String? {
        storage.withLock { $0.values[ScopedKey(scope, key)] }
    }

    public func setValue(_ value: String, scope: String, key: String) throws {
        storage.withLock { $0.values[ScopedKey(scope, key)] = value }
    }

    public func removeValue(scope: String, key: String) throws {
        storage.withLock { $0.values[ScopedKey(scope, key)] = nil }
    }

    public func updateValue<R>(scope: String, key: String, _ body: (String?) throws -> (String?, R)) throws -> R {
        try storage.withLock { storage in
            let (replacement, result) = try body(storage.values[ScopedKey(scope, key)])
            storage.values[ScopedKey(scope, key)] = replacement
            return result
        }
    }

    // MARK: ID mappings

    public func destinationID(scope: String, sourceID: String) throws -> String? {
        storage.withLock { $0.idMap[ScopedKey(scope, sourceID)] }
    }

    public func setDestinationID(_ destinationID: String, scope: String, sourceID: String) throws {
        storage.withLock { $0.idMap[ScopedKey(scope, sourceID)] = destinationID }
    }

    public func setDestinationIDs(_ pairs: [(sourceID: String, destinationID: String)], scope: String) throws {
        storage.withLock { state in
            for pair in pairs { state.idMap[ScopedKey(scope, pair.sourceID)] = pair.destinationID }
        }
    }

    public func idMapScopes(prefix: String) throws -> [(scope: String, count: Int)] {
        storage.withLock { state in
            Dictionary(grouping: state.idMap.keys.filter { $0.scope.hasPrefix(prefix) }, by: \.scope)
                .map { (scope: $0.key, count: $0.value.count) }
                .sorted { $0.scope.utf8.lexicographicallyPrecedes($1.scope.utf8) }
        }
    }

    public func idMappings(scope: String, limit: Int) throws -> [(sourceID: String, destinationID: String)] {
        storage.withLock { state in
            Array(
                state.idMap.filter { $0.key.scope == scope }
                    .map { (sourceID: $0.key.key, destinationID: $0.value) }
                    .sorted { $0.sourceID.utf8.lexicographicallyPrecedes($1.sourceID.utf8) }
                    .prefix(limit))
        }
    }

    // MARK: Change detection

    public func recordHashes(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String: UInt64] {
        storage.withLock { state in
            guard let stored = state.hashes[StreamKey(pipeline, stream)] else { return [:] }
            var found: [String: UInt64] = [:]
            for key in keys {
                if let hash = stored[key] { found[key] = hash }
            }
            return found
        }
    }

    public func hasRecordHashes(for pipeline: PipelineID, stream: String) throws -> Bool {
        storage.withLock { state in !(state.hashes[StreamKey(pipeline, stream)]?.isEmpty ?? true) }
    }

    public func allHashedKeys(for pipeline: PipelineID, stream: String) throws -> [String] {
        storage.withLock { state in
            (state.hashes[StreamKey(pipeline, stream)]?.keys).map {
                $0.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            } ?? []
        }
    }

    // MARK: Dead letters

    public func deadLetters(for pipeline: PipelineID?, includeReplayed: Bool, limit: Int) throws -> [DeadLetter] {
        guard limit > 0 else { return [] }
        return storage.withLock { state in
            state.deadLetters
                .filter { (pipeline == nil || $0.pipeline == pipeline) && (includeReplayed || $0.replayedAt == nil) }
                .prefix(limit)
                .map { $0 }
        }
    }

    public func markReplayed(_ ids: [Int64]) throws {
        let wanted = Set(ids)
        storage.withLock { state in
            let now = Date().timeIntervalSince1970
            for index in state.deadLetters.indices
            where wanted.contains(state.deadLetters[index].id) && state.deadLetters[index].replayedAt == nil {
                state.deadLetters[index].replayedAt = now
            }
        }
    }

    public func parkedRecords(for pipeline: PipelineID, limit: Int) throws -> [ParkedRecord] {
        storage.withLock { state in Array(state.parked.filter { $0.pipeline == pipeline }.prefix(limit)) }
    }

    public func parkedCount(for pipeline: PipelineID) throws -> Int {
        storage.withLock { state in state.parked.filter { $0.pipeline == pipeline }.count }
    }

    public func discardDeadLetters(_ ids: [Int64]) throws -> Int {
        let wanted = Set(ids)
        return storage.withLock { state in
            let before = state.deadLetters.count
            state.deadLetters.removeAll { wanted.contains($0.id) }
            return before - state.deadLetters.count
        }
    }

    // MARK: Maintenance

    // MARK: Two-way sync

    private static func isPending(_ conflict: ConflictRecord) -> Bool {
        conflict.status == .open || conflict.status == .resolved
    }

    public func syncedVersions(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String:
        SyncedVersion]
    {
        storage.withLock { state in
            guard let versions = state.synced[StreamKey(pipeline, stream)] else { return [:] }
            var found: [String: SyncedVersion] = [:]
            for key in keys { found[key] = versions[key] }
            return found
        }
    }

    public func conflicts(for pipeline: PipelineID?, includeClosed: Bool, limit: Int) throws -> [ConflictRecord] {
        storage.withLock { state in
            Array(
                state.conflicts.filter {
                    (pipeline == nil || $0.pipeline == pipeline) && (includeClosed || Self.isPending($0))
                }
                .prefix(max(limit, 0)))
        }
    }

    public func pendingConflicts(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [ConflictRecord] {
        let wanted = Set(keys)
        return storage.withLock { state in
            state.conflicts.filter {
                $0.pipeline == pipeline && $0.stream == stream && wanted.contains($0.key) && Self.isPending($0)
            }
        }
    }

    public func resolveConflict(_ id: Int64, resolution: String) throws -> ConflictRecord {
        try storage.withLock { state in
            guard let index = state.conflicts.firstIndex(where: { $0.id == id && Self.isPending($0) }) else {
                throw StateError(.notFound, "No open conflict with id \(id).")
            }
            state.conflicts[index].status = .resolved
            state.conflicts[index].resolution = resolution
            state.conflicts[index].resolvedAt = Date().timeIntervalSince1970
            let conflict = state.conflicts[index]
            state.hashes[StreamKey(conflict.pipeline, conflict.stream)]?[conflict.key] = nil
            return conflict
        }
    }

    public func reset(_ pipeline: PipelineID) throws {
        storage.withLock { state in
            state.checkpoints = state.checkpoints.filter { $0.key.pipeline != pipeline }
            state.hashes = state.hashes.filter { $0.key.pipeline != pipeline }
            state.deadLetters.removeAll { $0.pipeline == pipeline }
            state.parked.removeAll { $0.pipeline == pipeline }
        }
    }
}

// MARK: - Storage

extension InMemoryStateStore {
    private struct StreamKey: Hashable {
        var pipeline: PipelineID
        var stream: String
        init(_ pipeline: PipelineID, _ stream: String) { self.pipeline = pipeline; self.stream = stream }
    }

    private struct ScopedKey: Hashable {
        var scope: String
        var key: String
        init(_ scope: String, _ key: String) { self.scope = scope; self.key = key }
    }

    private struct Lease {
        var run: RunID
        var holder: LeaseHolder
    }

    private struct State {
        var nextRunID: RunID = 1
        var runs: [RunID: RunRecord] = [:]
        var runLogs: [RunID: [String]] = [:]
        var leases: [PipelineID: Lease] = [:]
        var checkpoints: [StreamKey: String] = [:]
        var checkpointSequences: [StreamKey: Int64] = [:] // never reset
        var nextParkedID: Int64 = 1
        var parked: [ParkedRecord] = [] // in id order
        var values: [ScopedKey: String] = [:]
        var idMap: [ScopedKey: String] = [:]
        var hashes: [StreamKey: [String: UInt64]] = [:]
        var nextDeadLetterID: Int64 = 1
        var deadLetters: [DeadLetter] = [] // in id order
        var synced: [StreamKey: [String: SyncedVersion]] = [:]
        var nextConflictID: Int64 = 1
        var conflicts: [ConflictRecord] = [] // in id order
    }

    /// The state that stores sharing it see, behind one lock.
    /// `@unchecked Sendable`: `state` is only read or written inside `withLock`.
    private final class Storage: @unchecked Sendable {
        private let lock = NSLock()
        private var state = State()

        func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T {
            lock.lock()
            defer { lock.unlock() }
            return try body(&state)
        }
    }
}
