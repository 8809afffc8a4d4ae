import FerryCore
import Foundation
import Synchronization
import Testing

@testable import FerryStatePostgres

/// The work queue of `serve --worker` on the PostgreSQL store: claims, leases, heartbeats,
/// releases and `after:`, with several stores standing in for workers on other machines.
@Suite(.enabled(if: !PostgresTestServer.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct PostgresWorkUnitTests {
    static func unit(_ site: String, _ pipeline: String = "readings", position: Int = 0, after: [String] = [])
        -> WorkUnitDeclaration
    {
        WorkUnitDeclaration(
            pipeline: PipelineID(site: site, pipeline: pipeline), position: position, after: after,
            schedule: "CRON_TZ=UTC 0 * * * *", firstDue: 1_000)
    }

    @Test func workersClaimingAtOnceNeverGetTheSameUnit() throws {
        let schema = try PostgresTestServer.freshSchema()
        let units = (1...40).map { Self.unit("site-\($0)") }
        let stores = try (0..<4).map { _ in try PostgresStateStore(url: schema.url) }
        try stores[0].declareUnits(units)
        let claims = Mutex<[String: [PipelineID]]>([:])
        DispatchQueue.concurrentPerform(iterations: stores.count) { index in
            var mine: [PipelineID] = []
            while let batch = try? stores[index].claimUnits(
                worker: "w\(index)", among: units.map(\.pipeline), now: 2_000, limit: 3), !batch.isEmpty
            {
                mine += batch.map(\.pipeline)
            }
            claims.withLock { $0["w\(index)"] = mine }
        }
        let all = claims.withLock { $0.values.flatMap { $0 } }
        #expect(all.count == 40 && Set(all).count == 40, "\(claims.withLock { $0 })")
        let holders = try stores[0].workUnits().compactMap(\.holder)
        #expect(holders.count == 40)
    }

    @Test func anExpiredLeaseIsClaimedByAnotherWorkerAndTheOldHolderLearnsIt() throws {
        let schema = try PostgresTestServer.freshSchema(leaseSeconds: 1)
        let first = try PostgresStateStore(url: schema.url)
        let second = try PostgresStateStore(url: schema.url)
        let site = PipelineID(site: "plant-1", pipeline: "readings")
        try first.declareUnits([Self.unit("plant-1")])
        #expect(try first.claimUnits(worker: "a", among: [site], now: 2_000, limit: 5).map(\.pipeline) == [site])
        // Held and renewed: nobody else gets it.
        #expect(try second.claimUnits(worker: "b", among: [site], now: 2_000, limit: 5).isEmpty)
        #expect(try first.heartbeat(worker: "a", units: [site]).isEmpty)
        Thread.sleep(forTimeInterval: 1.3)
        #expect(try first.workUnits().first?.leaseExpired == true)
        let taken = try second.claimUnits(worker: "b", among: [site], now: 2_000, limit: 5)
        #expect(taken.map(\.pipeline) == [site] && taken.first?.due == 1_000)
        // The old holder's heartbeat and release change nothing now.
        #expect(try first.heartbeat(worker: "a", units: [site]) == [site])
        #expect(try !first.releaseUnit(site, worker: "a", nextDue: 9_000, notBefore: nil, status: "succeeded"))
        #expect(try second.releaseUnit(site, worker: "b", nextDue: 5_600, notBefore: nil, status: "succeeded"))
        let record = try #require(try first.workUnits().first)
        #expect(record.holder == nil && record.due == 5_600 && record.lastStatus == "succeeded")
        // Not due again before its next time.
        #expect(try first.claimUnits(worker: "a", among: [site], now: 5_599, limit: 5).isEmpty)
        #expect(try first.claimUnits(worker: "a", among: [site], now: 5_600, limit: 5).count == 1)
    }

    @Test func aBusyUnitWaitsForItsRetryTimeAndKeepsItsDueTime() throws {
        let schema = try PostgresTestServer.freshSchema()
        let store = try PostgresStateStore(url: schema.url)
        let site = PipelineID(site: "plant-1", pipeline: "readings")
        try store.declareUnits([Self.unit("plant-1")])
        _ = try store.claimUnits(worker: "a", among: [site], now: 2_000, limit: 1)
        try store.releaseUnit(site, worker: "a", nextDue: 1_000, notBefore: 2_001, status: nil)
        #expect(try store.claimUnits(worker: "a", among: [site], now: 2_000.5, limit: 1).isEmpty)
        #expect(try store.claimUnits(worker: "a", among: [site], now: 2_001, limit: 1).first?.due == 1_000)
    }

    @Test func aDependentWaitsForItsParentAndIsBlockedWhenTheParentFailed() throws {
        let schema = try PostgresTestServer.freshSchema()
        let store = try PostgresStateStore(url: schema.url)
        let parent = PipelineID(site: "s", pipeline: "parent")
        let child = PipelineID(site: "s", pipeline: "child")
        try store.declareUnits([
            Self.unit("s", "parent", position: 0), Self.unit("s", "child", position: 1, after: ["parent"]),
        ])
        // Both due: only the parent can be claimed, and while it runs the child waits.
        #expect(
            try store.claimUnits(worker: "a", among: [parent, child], now: 2_000, limit: 5).map(\.pipeline) == [parent])
        #expect(try store.claimUnits(worker: "b", among: [parent, child], now: 2_000, limit: 5).isEmpty)
        try store.releaseUnit(parent, worker: "a", nextDue: 5_600, notBefore: nil, status: "failed")
        let blocked = try store.claimUnits(worker: "b", among: [parent, child], now: 2_000, limit: 5)
        #expect(blocked == [ClaimedUnit(pipeline: child, due: 1_000, blockedBy: "parent")])
        try store.releaseUnit(child, worker: "b", nextDue: 5_600, notBefore: nil, status: "skipped")
        // Next round the parent succeeds: the child runs unblocked.
        _ = try store.claimUnits(worker: "a", among: [parent], now: 5_600, limit: 5)
        try store.releaseUnit(parent, worker: "a", nextDue: 9_200, notBefore: nil, status: "succeeded")
        #expect(
            try store.claimUnits(worker: "b", among: [child], now: 5_600, limit: 5)
                == [ClaimedUnit(pipeline: child, due: 5_600, blockedBy: nil)])
    }

    @Test func aWorkerIDInUseByALiveWorkerIsRefused() throws {
        let schema = try PostgresTestServer.freshSchema()
        let store = try PostgresStateStore(url: schema.url)
        let elsewhere = LeaseHolder(pid: 4242, hostname: "worker-2.example")
        try store.registerWorker(id: "w1", holder: elsewhere, maxUnits: 4)
        #expect {
            try store.registerWorker(id: "w1", holder: .current, maxUnits: 4)
        } throws: { error in
            "\(error)".contains("Worker id 'w1' is in use by pid 4242 on worker-2.example")
        }
        try store.registerWorker(id: "w2", holder: .current, maxUnits: 2)
        #expect(try store.workers().map(\.id) == ["w1", "w2"])
        try store.unregisterWorker("w2")
        #expect(try store.workers().map(\.id) == ["w1"])
    }
}
