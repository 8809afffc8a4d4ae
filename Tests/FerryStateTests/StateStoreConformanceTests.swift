import FerryCore
import Foundation
import Testing

/// One body of tests for the `StateStore` contract, run against every implementation.
@Suite("StateStore conformance")
struct StateStoreConformanceTests {
    let orders = PipelineID(pipeline: "orders")
    let otherSite = PipelineID(site: "plant-7", pipeline: "orders")

    private func batch(
        _ run: RunID, _ pipeline: PipelineID, stream: String = "items", checkpoint: String? = nil,
        counts: BatchCounts = BatchCounts(),
        idMappings: [(scope: String, sourceID: String, destinationID: String)] = [],
        deadLetters: [DeadLetter] = [], hashes: [(key: String, hash: UInt64)] = [],
        removedHashKeys: [String] = []
    ) -> BatchCommit {
        BatchCommit(
            run: run, pipeline: pipeline, stream: stream, checkpoint: checkpoint, counts: counts,
            idMappings: idMappings,
            deadLetters: deadLetters, hashes: hashes, removedHashKeys: removedHashKeys)
    }

    private func letter(_ pipeline: PipelineID, _ error: String, stream: String = "items") -> DeadLetter {
        DeadLetter(
            pipeline: pipeline, stream: stream, stage: "destination", error: error,
            record: #"{"id":1,"name":"é \"q\""}"#,
            createdAt: 1_700_000_000.5)
    }

    // MARK: Runs

    @Test(arguments: StoreKind.allCases)
    func runLogsRoundTripExactlyAndOnlyTheLatestAreKept(kind: StoreKind) throws {
        let fixture = try kind.makeStore()
        let store = fixture.store
        var runs: [RunID] = []
        for _ in 0..<4 {
            let run = try store.beginRun(orders)
            try store.finishRun(run, outcome: RunOutcome(status: .succeeded, message: nil))
            runs.append(run)
        }
        let lines = ["first line", "a message\nspanning two lines", "é \"quoted\" \\ and tabs\t", ""]
        for run in runs { try store.saveRunLog(run, lines: lines + ["run \(run)"], keepingLatest: 3) }
        #expect(try store.runLog(runs[0]) == nil) // beyond the latest three
        for run in runs.dropFirst() { #expect(try store.runLog(run) == lines + ["run \(run)"]) }
        try store.saveRunLog(runs[3], lines: ["replaced"], keepingLatest: 3)
        #expect(try store.runLog(runs[3]) == ["replaced"])
        #expect(try store.runLog(9999) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func runLifecycleAddsUpCountsAndListsNewestFirst(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        let before = Date().timeIntervalSince1970
        let first = try store.beginRun(orders)
        try store.commit(
            batch(first, orders, counts: BatchCounts(read: 10, written: 7, unchanged: 2, deleted: 0, rejected: 1)))
        try store.commit(batch(first, orders, stream: "other", counts: BatchCounts(read: 5, written: 5, deleted: 3)))
        try store.finishRun(first, outcome: RunOutcome(status: .succeeded, message: "ok"))

        let second = try store.beginRun(orders)
        #expect(second > first)
        let elsewhere = try store.beginRun(otherSite)

        let runs = try store.recentRuns(of: orders, limit: 10)
        #expect(runs.map(\.id) == [second, first])
        #expect(runs[0].status == .running && runs[0].finishedAt == nil && runs[0].counts == BatchCounts())
        #expect(runs[1].status == .succeeded && runs[1].message == "ok")
        #expect(runs[1].counts == BatchCounts(read: 15, written: 12, unchanged: 2, deleted: 3, rejected: 1))
        #expect(runs[1].pipeline == orders)
        #expect(runs[1].startedAt >= before - 1 && (runs[1].finishedAt ?? 0) >= runs[1].startedAt)

        #expect(try store.recentRuns(of: nil, limit: 10).map(\.id) == [elsewhere, second, first])
        #expect(try store.recentRuns(of: nil, limit: 2).map(\.id) == [elsewhere, second])
        #expect(try store.recentRuns(of: otherSite, limit: 10).map(\.pipeline) == [otherSite])
        #expect(try store.recentRuns(of: orders, limit: 0).isEmpty)
        #expect(try store.recentRuns(of: PipelineID(pipeline: "never"), limit: 5).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func finishRunRejectsUnknownFinishedAndStillRunningOutcomes(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        let run = try store.beginRun(orders)
        #expect(throws: StateError.self) { try store.finishRun(run, outcome: RunOutcome(status: .running)) }
        try store.finishRun(run, outcome: RunOutcome(status: .failed, message: "boom"))
        let again = #expect(throws: StateError.self) {
            try store.finishRun(run, outcome: RunOutcome(status: .succeeded))
        }
        #expect(again?.kind == .storage)
        let unknown = #expect(throws: StateError.self) {
            try store.finishRun(9_999, outcome: RunOutcome(status: .succeeded))
        }
        #expect(unknown?.kind == .notFound)
        #expect(try store.recentRuns(of: orders, limit: 1).first?.status == .failed)
        #expect(try store.recentRuns(of: orders, limit: 1).first?.message == "boom")
    }

    // MARK: Leases

    @Test(arguments: StoreKind.allCases)
    func aLiveHolderMakesTheSecondRunBusyUntilItFinishes(kind: StoreKind) throws {
        let fixture = try kind.makeStore()
        let store = fixture.store
        let other = try fixture.secondStore()
        let run = try store.beginRun(orders)

        for contender in [store, other] {
            let error = #expect(throws: StateError.self) { _ = try contender.beginRun(orders) }
            #expect(error?.kind == .pipelineBusy)
            #expect(error?.description.contains("pid \(getpid()) on \(LeaseHolder.currentHostname)") == true)
        }
        // Other pipelines and sites are not affected.
        let elsewhere = try other.beginRun(otherSite)
        try other.finishRun(elsewhere, outcome: RunOutcome(status: .succeeded))

        try store.finishRun(run, outcome: RunOutcome(status: .succeeded))
        let next = try other.beginRun(orders)
        try other.finishRun(next, outcome: RunOutcome(status: .cancelled))
    }

    @Test(arguments: StoreKind.allCases)
    func aLeaseOfADeadProcessIsTakenOverAndItsRunMarkedFailed(kind: StoreKind) throws {
        let deadHolder = LeaseHolder(pid: try deadProcessID(), hostname: LeaseHolder.currentHostname)
        #expect(deadHolder.hasEnded)
        let fixture = try kind.makeStore(holder: deadHolder)
        let crashed = try fixture.store.beginRun(orders)
        try fixture.store.commit(batch(crashed, orders, checkpoint: "c1", counts: BatchCounts(read: 1, written: 1)))

        let survivor = try fixture.secondStore()
        let run = try survivor.beginRun(orders)
        #expect(run != crashed)
        let runs = try survivor.recentRuns(of: orders, limit: 5)
        #expect(runs.map(\.status) == [.running, .failed])
        #expect(runs[1].message?.contains("pid \(deadHolder.pid)") == true)
        #expect(runs[1].finishedAt != nil)
        #expect(runs[1].counts == BatchCounts(read: 1, written: 1))
        #expect(try survivor.checkpoint(for: orders, stream: "items") == "c1")

        // The interrupted run can no longer commit or finish; the new one holds the lease.
        #expect(throws: StateError.self) { try fixture.store.commit(batch(crashed, orders, checkpoint: "late")) }
        #expect(throws: StateError.self) {
            try fixture.store.finishRun(crashed, outcome: RunOutcome(status: .succeeded))
        }
        #expect(try survivor.checkpoint(for: orders, stream: "items") == "c1")
        let busy = #expect(throws: StateError.self) { _ = try fixture.secondStore().beginRun(orders) }
        #expect(busy?.kind == .pipelineBusy)
    }

    @Test(arguments: StoreKind.allCases)
    func aReusedPidWithAnotherStartTimeCountsAsEnded(kind: StoreKind) throws {
        let me = LeaseHolder.current
        try #require(me.startTime != nil, "needs /proc")
        #expect(!me.hasEnded)
        let impostor = LeaseHolder(pid: me.pid, hostname: me.hostname, startTime: me.startTime! - 1)
        #expect(impostor.hasEnded)
        let fixture = try kind.makeStore(holder: impostor)
        _ = try fixture.store.beginRun(orders)
        _ = try fixture.secondStore().beginRun(orders)
    }

    @Test(arguments: StoreKind.allCases)
    func aHolderOnAnotherHostIsNeverTakenOver(kind: StoreKind) throws {
        let remote = LeaseHolder(pid: try deadProcessID(), hostname: "some-other-host.example")
        #expect(!remote.hasEnded)
        let fixture = try kind.makeStore(holder: remote)
        _ = try fixture.store.beginRun(orders)
        let error = #expect(throws: StateError.self) { _ = try fixture.secondStore().beginRun(orders) }
        #expect(error?.description.contains("some-other-host.example") == true)
    }

    @Test(arguments: StoreKind.allCases)
    func racingStoresNeverBothWinTheLease(kind: StoreKind) throws {
        let fixture = try kind.makeStore()
        let contenders = try (0..<6).map { _ in try fixture.secondStore() }
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: contenders.count) { index in
            do {
                _ = try contenders[index].beginRun(orders)
                results.add("won")
            } catch let error as StateError where error.kind == .pipelineBusy {
                results.add("busy")
            } catch {
                results.add("error: \(error)")
            }
        }
        #expect(results.values.sorted() == ["busy", "busy", "busy", "busy", "busy", "won"])
    }

    // MARK: Checkpoints

    @Test(arguments: StoreKind.allCases)
    func checkpointsArePerStreamAndANilCheckpointKeepsThePrevious(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        #expect(try store.checkpoint(for: orders, stream: "items") == nil)
        let run = try store.beginRun(orders)
        try store.commit(batch(run, orders, checkpoint: #"{"cursor":"2024-01-01"}"#))
        try store.commit(batch(run, orders, stream: "lines", checkpoint: "L1"))
        try store.commit(batch(run, orders, checkpoint: nil))
        #expect(try store.checkpoint(for: orders, stream: "items") == #"{"cursor":"2024-01-01"}"#)
        try store.commit(batch(run, orders, checkpoint: #"{"cursor":"2024-02-01"}"#))
        #expect(try store.checkpoint(for: orders, stream: "items") == #"{"cursor":"2024-02-01"}"#)
        #expect(try store.checkpoint(for: orders, stream: "lines") == "L1")
        #expect(try store.checkpoint(for: otherSite, stream: "items") == nil)
    }

    // MARK: Key-value state and ID mappings

    @Test(arguments: StoreKind.allCases)
    func valuesAreSetReplacedAndRemovedPerScope(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        #expect(try store.value(scope: "yuman", key: "refresh_token") == nil)
        try store.setValue("t1", scope: "yuman", key: "refresh_token")
        try store.setValue("other", scope: "vcom", key: "refresh_token")
        try store.setValue("t2 ✓ with 'quotes'", scope: "yuman", key: "refresh_token")
        #expect(try store.value(scope: "yuman", key: "refresh_token") == "t2 ✓ with 'quotes'")
        #expect(try store.value(scope: "vcom", key: "refresh_token") == "other")
        try store.setValue("", scope: "yuman", key: "empty")
        #expect(try store.value(scope: "yuman", key: "empty") == "")
        try store.removeValue(scope: "yuman", key: "refresh_token")
        try store.removeValue(scope: "yuman", key: "never-set")
        #expect(try store.value(scope: "yuman", key: "refresh_token") == nil)
        #expect(try store.value(scope: "vcom", key: "refresh_token") == "other")
    }

    @Test(arguments: StoreKind.allCases)
    func updatesFromTwoConnectionsNeverInterleave(kind: StoreKind) throws {
        let fixture = try kind.makeStore()
        let stores = [fixture.store, try fixture.secondStore()]
        let rounds = 200
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            for _ in 0..<rounds {
                _ = try? stores[index].updateValue(scope: "http.budget", key: "count") { current -> (String?, Int) in
                    let next = (Int(current ?? "0") ?? 0) + 1
                    return (String(next), next)
                }
            }
        }
        #expect(try fixture.store.value(scope: "http.budget", key: "count") == String(rounds * stores.count))
        // Returning nil removes the value.
        let removed = try fixture.store.updateValue(scope: "http.budget", key: "count") { _ -> (String?, Bool) in
            (nil, true)
        }
        #expect(removed)
        #expect(try fixture.store.value(scope: "http.budget", key: "count") == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func idMappingsComeFromCommitsAndDirectSets(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        #expect(try store.destinationID(scope: "yuman.sites", sourceID: "VC-1") == nil)
        try store.setDestinationID("42", scope: "yuman.sites", sourceID: "VC-1")
        let run = try store.beginRun(orders)
        try store.commit(
            batch(
                run, orders,
                idMappings: [
                    ("yuman.sites", "VC-2", "43"), ("yuman.sites", "VC-1", "44"),
                    ("other", "VC-1", "x"),
                ]))
        #expect(try store.destinationID(scope: "yuman.sites", sourceID: "VC-1") == "44")
        #expect(try store.destinationID(scope: "yuman.sites", sourceID: "VC-2") == "43")
        #expect(try store.destinationID(scope: "other", sourceID: "VC-1") == "x")
        try store.setDestinationID("45", scope: "yuman.sites", sourceID: "VC-2")
        #expect(try store.destinationID(scope: "yuman.sites", sourceID: "VC-2") == "45")
    }

    // MARK: Record hashes

    @Test(arguments: StoreKind.allCases)
    func hashesRoundTripTheFullRangeAndAreLookedUpInBulk(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        let run = try store.beginRun(orders)
        let keys = (0..<2_345).map { "key-\($0)" }
        var hashes = keys.enumerated().map { (key: $0.element, hash: UInt64($0.offset) &* 0x9E37_79B9_7F4A_7C15) }
        hashes += [
            (key: "max", hash: UInt64.max), (key: "high-bit", hash: 1 << 63), (key: "zero", hash: 0),
            (key: "quote ' and \"", hash: 7), (key: "ünïcode 🚢", hash: 8), (key: "", hash: 9),
        ]
        try store.commit(batch(run, orders, hashes: hashes))
        try store.commit(batch(run, orders, stream: "other", hashes: [(key: "key-1", hash: 1)]))

        var asked =
            keys + ["missing-1", "max", "high-bit", "zero", "quote ' and \"", "ünïcode 🚢", "", "key-5", "missing-2"]
        asked.shuffle()
        let found = try store.recordHashes(for: orders, stream: "items", keys: asked)
        #expect(found.count == hashes.count)
        #expect(found == Dictionary(uniqueKeysWithValues: hashes.map { ($0.key, $0.hash) }))
        #expect(try store.recordHashes(for: orders, stream: "items", keys: []).isEmpty)
        #expect(try store.recordHashes(for: orders, stream: "items", keys: ["max"]) == ["max": UInt64.max])
        #expect(try store.recordHashes(for: orders, stream: "other", keys: ["key-1", "key-2"]) == ["key-1": 1])
        #expect(try store.recordHashes(for: otherSite, stream: "items", keys: keys).isEmpty)
        #expect(try store.recordHashes(for: orders, stream: "never", keys: keys).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func hashesAreReplacedAndRemovedAndAllKeysListedInByteOrder(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        let run = try store.beginRun(orders)
        #expect(try store.allHashedKeys(for: orders, stream: "items").isEmpty)
        try store.commit(batch(run, orders, hashes: [("b", 1), ("a", 2), ("é", 3), ("Z", 4), ("c", 5)]))
        try store.commit(batch(run, orders, hashes: [("a", 20)], removedHashKeys: ["c", "never-hashed"]))
        #expect(try store.allHashedKeys(for: orders, stream: "items") == ["Z", "a", "b", "é"])
        #expect(try store.recordHashes(for: orders, stream: "items", keys: ["a", "b", "c"]) == ["a": 20, "b": 1])
        try store.commit(batch(run, orders, stream: "unhashed", removedHashKeys: ["x"]))
        #expect(try store.allHashedKeys(for: orders, stream: "unhashed").isEmpty)
    }

    // MARK: Dead letters

    @Test(arguments: StoreKind.allCases)
    func deadLettersAreListedOldestFirstAndMarkedReplayed(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        let run = try store.beginRun(orders)
        let elsewhere = try store.beginRun(otherSite)
        try store.commit(
            batch(
                run, orders, counts: BatchCounts(rejected: 2),
                deadLetters: [letter(orders, "e1"), letter(orders, "e2")]))
        try store.commit(batch(elsewhere, otherSite, deadLetters: [letter(otherSite, "e3")]))
        try store.commit(batch(run, orders, stream: "lines", deadLetters: [letter(orders, "e4", stream: "lines")]))

        let all = try store.deadLetters(for: nil, includeReplayed: false, limit: 100)
        #expect(all.map(\.error) == ["e1", "e2", "e3", "e4"])
        #expect(
            all.map(\.id) == all.map(\.id).sorted() && Set(all.map(\.id)).count == 4 && all.allSatisfy { $0.id > 0 })
        let first = all[0]
        #expect(first.pipeline == orders && first.stream == "items" && first.stage == "destination")
        #expect(
            first.record == #"{"id":1,"name":"é \"q\""}"# && first.createdAt == 1_700_000_000.5
                && first.replayedAt == nil)

        #expect(
            try store.deadLetters(for: orders, includeReplayed: false, limit: 100).map(\.error) == ["e1", "e2", "e4"])
        #expect(try store.deadLetters(for: orders, includeReplayed: false, limit: 2).map(\.error) == ["e1", "e2"])
        #expect(try store.deadLetters(for: otherSite, includeReplayed: true, limit: 100).map(\.error) == ["e3"])
        #expect(try store.deadLetters(for: nil, includeReplayed: true, limit: 0).isEmpty)

        try store.markReplayed([all[0].id, all[3].id, 123_456])
        let pending = try store.deadLetters(for: orders, includeReplayed: false, limit: 100)
        #expect(pending.map(\.error) == ["e2"])
        let everything = try store.deadLetters(for: orders, includeReplayed: true, limit: 100)
        #expect(everything.map(\.error) == ["e1", "e2", "e4"])
        let replayedAt = try #require(everything[0].replayedAt)
        #expect(replayedAt > 1_700_000_000)
        try store.markReplayed([])
        try store.markReplayed([all[0].id])
        #expect(try store.deadLetters(for: orders, includeReplayed: true, limit: 1).first?.replayedAt == replayedAt)
    }

    // MARK: Reset

    @Test(arguments: StoreKind.allCases)
    func resetForgetsCheckpointsHashesAndDeadLettersOfOnePipelineOnly(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        let run = try store.beginRun(orders)
        let elsewhere = try store.beginRun(otherSite)
        for (id, pipeline) in [(run, orders), (elsewhere, otherSite)] {
            try store.commit(
                batch(
                    id, pipeline, checkpoint: "c", counts: BatchCounts(read: 1),
                    idMappings: [("s\(pipeline)", "a", "b")],
                    deadLetters: [letter(pipeline, "e")], hashes: [("k", 1)]))
        }
        try store.reset(orders)

        #expect(try store.checkpoint(for: orders, stream: "items") == nil)
        #expect(try store.recordHashes(for: orders, stream: "items", keys: ["k"]).isEmpty)
        #expect(try store.allHashedKeys(for: orders, stream: "items").isEmpty)
        #expect(try store.deadLetters(for: orders, includeReplayed: true, limit: 10).isEmpty)
        #expect(try store.destinationID(scope: "s\(orders)", sourceID: "a") == "b")
        #expect(try store.recentRuns(of: orders, limit: 1).first?.counts.read == 1)

        #expect(try store.checkpoint(for: otherSite, stream: "items") == "c")
        #expect(try store.recordHashes(for: otherSite, stream: "items", keys: ["k"]) == ["k": 1])
        #expect(try store.deadLetters(for: otherSite, includeReplayed: true, limit: 10).count == 1)

        // Hashes can be stored again after a reset.
        try store.commit(batch(run, orders, hashes: [("k", 2)]))
        #expect(try store.recordHashes(for: orders, stream: "items", keys: ["k"]) == ["k": 2])
    }

    // MARK: Atomicity

    @Test(arguments: StoreKind.allCases)
    func aBatchForAFinishedOrForeignRunLeavesNothingBehind(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        let run = try store.beginRun(orders)
        try store.commit(batch(run, orders, checkpoint: "before", hashes: [("k", 1)]))
        let elsewhere = try store.beginRun(otherSite)
        try store.finishRun(run, outcome: RunOutcome(status: .succeeded))

        let everything = { (target: RunID, pipeline: PipelineID) in
            self.batch(
                target, pipeline, checkpoint: "after", counts: BatchCounts(read: 5), idMappings: [("s", "a", "b")],
                deadLetters: [self.letter(pipeline, "e")], hashes: [("k", 2), ("n", 3)], removedHashKeys: ["k"])
        }
        let finished = #expect(throws: StateError.self) { try store.commit(everything(run, orders)) }
        #expect(finished?.kind == .storage)
        let foreign = #expect(throws: StateError.self) { try store.commit(everything(elsewhere, orders)) }
        #expect(foreign?.kind == .storage)
        let unknown = #expect(throws: StateError.self) { try store.commit(everything(77_777, orders)) }
        #expect(unknown?.kind == .notFound)

        #expect(try store.checkpoint(for: orders, stream: "items") == "before")
        #expect(try store.recordHashes(for: orders, stream: "items", keys: ["k", "n"]) == ["k": 1])
        #expect(try store.destinationID(scope: "s", sourceID: "a") == nil)
        #expect(try store.deadLetters(for: nil, includeReplayed: true, limit: 10).isEmpty)
        #expect(try store.recentRuns(of: nil, limit: 10).allSatisfy { $0.counts == BatchCounts() })
    }

    @Test(arguments: StoreKind.allCases)
    func aFailureAtAnyStepOfACommitLeavesNothingBehind(kind: StoreKind) throws {
        let fixture = try kind.makeStore()
        let store = fixture.store
        let run = try store.beginRun(orders)
        try store.commit(
            batch(
                run, orders, checkpoint: "c1", counts: BatchCounts(read: 1), idMappings: [("s", "a", "1")],
                deadLetters: [letter(orders, "old")], hashes: [("k", 1), ("gone", 9)]))
        let steps = ["checkpoint", "counts", "idMappings", "deadLetters", "hashes", "removedHashKeys"]
        for step in steps {
            fixture.failCommit(after: step)
            #expect(throws: InjectedFailure(step: step)) {
                try store.commit(
                    batch(
                        run, orders, checkpoint: "c2", counts: BatchCounts(read: 100),
                        idMappings: [("s", "a", "2"), ("s", "b", "3")],
                        deadLetters: [letter(orders, "new")], hashes: [("k", 2), ("n", 3)], removedHashKeys: ["gone"]))
            }
            #expect(try store.checkpoint(for: orders, stream: "items") == "c1", "after failing at \(step)")
            #expect(
                try store.recentRuns(of: orders, limit: 1).first?.counts == BatchCounts(read: 1),
                "after failing at \(step)")
            #expect(try store.destinationID(scope: "s", sourceID: "a") == "1", "after failing at \(step)")
            #expect(try store.destinationID(scope: "s", sourceID: "b") == nil, "after failing at \(step)")
            #expect(
                try store.deadLetters(for: orders, includeReplayed: true, limit: 10).map(\.error) == ["old"],
                "after failing at \(step)")
            #expect(
                try store.recordHashes(for: orders, stream: "items", keys: ["k", "n", "gone"]) == ["k": 1, "gone": 9],
                "after failing at \(step)")
        }
        fixture.failCommit(after: nil)
        try store.commit(
            batch(
                run, orders, checkpoint: "c2", counts: BatchCounts(read: 100), deadLetters: [letter(orders, "new")],
                hashes: [("k", 2)], removedHashKeys: ["gone"]))
        #expect(try store.checkpoint(for: orders, stream: "items") == "c2")
        #expect(try store.recentRuns(of: orders, limit: 1).first?.counts.read == 101)
        #expect(try store.deadLetters(for: orders, includeReplayed: true, limit: 10).map(\.error) == ["old", "new"])
        #expect(try store.recordHashes(for: orders, stream: "items", keys: ["k", "gone"]) == ["k": 2])
    }

    // MARK: Thread safety

    @Test(arguments: StoreKind.allCases)
    func concurrentCommitsFromManyThreadsAreAllKept(kind: StoreKind) throws {
        let fixture = try kind.makeStore() // keeps the SQLite file's folder while the test runs
        let store = fixture.store
        let pipelines = (0..<4).map { PipelineID(site: "s\($0)", pipeline: "p") }
        let runs = try pipelines.map { try store.beginRun($0) }
        let failures = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            for round in 0..<25 {
                do {
                    try store.commit(
                        batch(
                            runs[index], pipelines[index], checkpoint: "\(round)", counts: BatchCounts(read: 1),
                            hashes: [(key: "k\(round)", hash: UInt64(round))]))
                    try store.setValue("\(round)", scope: "t\(index)", key: "round")
                    _ = try store.recordHashes(for: pipelines[index], stream: "items", keys: ["k\(round)"])
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(failures.values.isEmpty)
        for (index, pipeline) in pipelines.enumerated() {
            #expect(try store.checkpoint(for: pipeline, stream: "items") == "24")
            #expect(try store.recentRuns(of: pipeline, limit: 1).first?.counts.read == 25)
            #expect(try store.allHashedKeys(for: pipeline, stream: "items").count == 25)
            #expect(try store.value(scope: "t\(index)", key: "round") == "24")
        }
    }
}

/// Strings collected from several threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    func add(_ value: String) {
        lock.lock()
        collected.append(value)
        lock.unlock()
    }

    var values: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }
}
