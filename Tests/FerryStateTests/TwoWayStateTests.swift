import FerryCore
import Foundation
import Testing

/// The two-way part of the `StateStore` contract (synced versions, conflicts), on every implementation.
@Suite struct TwoWayStateTests {
    let people = PipelineID(pipeline: "people")

    @Test(arguments: StoreKind.allCases)
    func versionsAndConflictsCommitWithTheBatchAndAResolutionForgetsTheHash(kind: StoreKind) throws {
        let fixture = try kind.makeStore()
        let store = fixture.store
        let run = try store.beginRun(people)
        var commit = BatchCommit(
            run: run, pipeline: people, stream: "p", checkpoint: nil, counts: BatchCounts(),
            hashes: [("1", 7), ("2", 8)])
        commit.syncedVersions = [
            SyncedVersion(key: "1", sourceRecord: #"{"id":1,"e":"s"}"#, writtenRecord: #"{"id":1,"e":"d"}"#)
        ]
        commit.conflicts = [
            ConflictRecord(
                pipeline: people, stream: "p", key: "1", field: "e", base: #""a""#, sourceValue: #""s""#,
                destinationValue: #""d""#, seenAt: 1)
        ]
        try store.commit(commit)
        #expect(
            try store.syncedVersions(for: people, stream: "p", keys: ["1", "2"]).map(\.value.writtenRecord) == [
                #"{"id":1,"e":"d"}"#
            ])
        let open = try store.pendingConflicts(for: people, stream: "p", keys: ["1"])
        #expect(open.map(\.field) == ["e"] && open.first?.status == .open && open.first?.base == #""a""#)

        // The same field found again supersedes the pending conflict.
        commit.syncedVersions = []
        commit.hashes = []
        try store.commit(commit)
        #expect(try store.conflicts(for: people, includeClosed: true, limit: 10).map(\.status) == [.superseded, .open])

        let id = try #require(try store.conflicts(for: people, includeClosed: false, limit: 10).first?.id)
        let resolved = try store.resolveConflict(id, resolution: #""s""#)
        #expect(resolved.status == .resolved && resolved.resolution == #""s""#)
        #expect(try store.recordHashes(for: people, stream: "p", keys: ["1", "2"]) == ["2": 8])
        #expect(throws: StateError.self) { try store.resolveConflict(id + 100, resolution: "null") }

        var apply = BatchCommit(
            run: run, pipeline: people, stream: "p", checkpoint: nil, counts: BatchCounts(), removedHashKeys: ["1"])
        apply.closedConflicts = [(id, .applied)]
        try store.commit(apply)
        #expect(try store.conflicts(for: people, includeClosed: false, limit: 10).isEmpty)
        #expect(try store.syncedVersions(for: people, stream: "p", keys: ["1"]).isEmpty)
    }
}
