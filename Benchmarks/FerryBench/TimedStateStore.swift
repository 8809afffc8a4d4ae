import FerryCore
import Foundation

/// Forwards to a real store and adds up the time spent committing, so the
/// benchmark can tell the durable commit (an fsync per batch) from the host's
/// CPU work per record.
/// `@unchecked Sendable`: the benchmark calls it from one thread; `base` is itself thread-safe.
final class TimedStateStore: StateStore, @unchecked Sendable {
    let base: any StateStore
    private(set) var commitSeconds = 0.0
    private(set) var commits = 0

    init(_ base: any StateStore) { self.base = base }

    func commit(_ batch: BatchCommit) throws {
        let started = Date()
        try base.commit(batch)
        commitSeconds += Date().timeIntervalSince(started)
        commits += 1
    }

    func beginRun(_ pipeline: PipelineID) throws -> RunID { try base.beginRun(pipeline) }
    func finishRun(_ run: RunID, outcome: RunOutcome) throws { try base.finishRun(run, outcome: outcome) }
    func recentRuns(of pipeline: PipelineID?, limit: Int) throws -> [RunRecord] {
        try base.recentRuns(of: pipeline, limit: limit)
    }
    func saveRunLog(_ run: RunID, lines: [String], keepingLatest: Int) throws {
        try base.saveRunLog(run, lines: lines, keepingLatest: keepingLatest)
    }
    func runLog(_ run: RunID) throws -> [String]? { try base.runLog(run) }
    func checkpoint(for pipeline: PipelineID, stream: String) throws -> String? {
        try base.checkpoint(for: pipeline, stream: stream)
    }
    func checkpointSequence(for pipeline: PipelineID, stream: String) throws -> Int64 {
        try base.checkpointSequence(for: pipeline, stream: stream)
    }
    func value(scope: String, key: String) throws -> String? { try base.value(scope: scope, key: key) }
    func setValue(_ value: String, scope: String, key: String) throws {
        try base.setValue(value, scope: scope, key: key)
    }
    func removeValue(scope: String, key: String) throws { try base.removeValue(scope: scope, key: key) }
    func updateValue<R>(scope: String, key: String, _ body: (String?) throws -> (String?, R)) throws -> R {
        try base.updateValue(scope: scope, key: key, body)
    }
    func destinationID(scope: String, sourceID: String) throws -> String? {
        try base.destinationID(scope: scope, sourceID: sourceID)
    }
    func setDestinationID(_ destinationID: String, scope: String, sourceID: String) throws {
        try base.setDestinationID(destinationID, scope: scope, sourceID: sourceID)
    }
    func recordHashes(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String: UInt64] {
        try base.recordHashes(for: pipeline, stream: stream, keys: keys)
    }
    func hasRecordHashes(for pipeline: PipelineID, stream: String) throws -> Bool {
        try base.hasRecordHashes(for: pipeline, stream: stream)
    }
    func allHashedKeys(for pipeline: PipelineID, stream: String) throws -> [String] {
        try base.allHashedKeys(for: pipeline, stream: stream)
    }
    func deadLetters(for pipeline: PipelineID?, includeReplayed: Bool, limit: Int) throws -> [DeadLetter] {
        try base.deadLetters(for: pipeline, includeReplayed: includeReplayed, limit: limit)
    }
    func markReplayed(_ ids: [Int64]) throws { try base.markReplayed(ids) }
    func discardDeadLetters(_ ids: [Int64]) throws -> Int { try base.discardDeadLetters(ids) }
    func parkedRecords(for pipeline: PipelineID, limit: Int) throws -> [ParkedRecord] {
        try base.parkedRecords(for: pipeline, limit: limit)
    }
    func parkedCount(for pipeline: PipelineID) throws -> Int { try base.parkedCount(for: pipeline) }
    func setDestinationIDs(_ pairs: [(sourceID: String, destinationID: String)], scope: String) throws {
        try base.setDestinationIDs(pairs, scope: scope)
    }
    func idMapScopes(prefix: String) throws -> [(scope: String, count: Int)] { try base.idMapScopes(prefix: prefix) }
    func idMappings(scope: String, limit: Int) throws -> [(sourceID: String, destinationID: String)] {
        try base.idMappings(scope: scope, limit: limit)
    }
    func reset(_ pipeline: PipelineID) throws { try base.reset(pipeline) }
    func syncedVersions(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String: SyncedVersion] {
        try base.syncedVersions(for: pipeline, stream: stream, keys: keys)
    }
    func conflicts(for pipeline: PipelineID?, includeClosed: Bool, limit: Int) throws -> [ConflictRecord] {
        try base.conflicts(for: pipeline, includeClosed: includeClosed, limit: limit)
    }
    func pendingConflicts(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [ConflictRecord] {
        try base.pendingConflicts(for: pipeline, stream: stream, keys: keys)
    }
    func resolveConflict(_ id: Int64, resolution: String) throws -> ConflictRecord {
        try base.resolveConflict(id, resolution: resolution)
    }
}
