import FerryCore
import Foundation
import Testing

@testable import FerryStatePostgres

/// What only the PostgreSQL store does: leases that expire without a heartbeat, migrations
/// under an advisory lock, exact bytes in `bytea`, and errors that name the server without its
/// password. The shared contract runs in `StateStoreConformanceTests` (StoreKind.postgres).
@Suite(.enabled(if: !PostgresTestServer.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct PostgresStateStoreTests {
    let orders = PipelineID(pipeline: "orders")
    /// A holder on another machine: its pid can't be checked, only its lease's expiry.
    let remote = LeaseHolder(pid: 4242, hostname: "worker-2.example")

    @Test func aLeaseThatIsNoLongerRenewedExpiresAndIsTakenOver() throws {
        let schema = try PostgresTestServer.freshSchema(leaseSeconds: 1)
        let crashed = try PostgresStateStore(url: schema.url, holder: remote, renewsLeases: false)
        let run = try crashed.beginRun(orders)
        try crashed.commit(
            BatchCommit(run: run, pipeline: orders, stream: "items", checkpoint: "c1", counts: BatchCounts(read: 1)))

        let survivor = try PostgresStateStore(url: schema.url)
        let busy = #expect(throws: StateError.self) { _ = try survivor.beginRun(orders) }
        #expect(busy?.kind == .pipelineBusy)
        #expect(busy?.description.contains("worker-2.example") == true)

        Thread.sleep(forTimeInterval: 1.6)
        #expect(try survivor.recentRuns(of: orders, limit: 1).first?.status == .interrupted)
        let next = try survivor.beginRun(orders)
        let runs = try survivor.recentRuns(of: orders, limit: 2)
        #expect(runs.map(\.id) == [next, run])
        #expect(runs[1].status == .failed)
        #expect(runs[1].message?.contains("lease of pid 4242 on worker-2.example expired") == true)
        #expect(try survivor.checkpoint(for: orders, stream: "items") == "c1")

        // The run that lost its lease can neither commit nor finish.
        let late = #expect(throws: StateError.self) {
            try crashed.commit(
                BatchCommit(run: run, pipeline: orders, stream: "items", checkpoint: "late", counts: BatchCounts()))
        }
        #expect(late?.description.contains("already finished (failed)") == true)
        #expect(throws: StateError.self) { try crashed.finishRun(run, outcome: RunOutcome(status: .succeeded)) }
        #expect(try survivor.checkpoint(for: orders, stream: "items") == "c1")
    }

    @Test func theHeartbeatKeepsALeaseAliveLongAfterItsDuration() throws {
        // Two seconds, renewed every 0.67 s: a busy machine may delay a renewal, but not by 1.3 s.
        let schema = try PostgresTestServer.freshSchema(leaseSeconds: 2)
        let working = try PostgresStateStore(url: schema.url, holder: remote)
        let run = try working.beginRun(orders)
        let other = try PostgresStateStore(url: schema.url)
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 1.5)
            let busy = #expect(throws: StateError.self) { _ = try other.beginRun(orders) }
            #expect(busy?.kind == .pipelineBusy)
        }
        #expect(try other.recentRuns(of: orders, limit: 1).first?.status == .running)
        try working.finishRun(run, outcome: RunOutcome(status: .succeeded))
        _ = try other.beginRun(orders)
    }

    @Test func storesOpeningAFreshSchemaAtOnceMigrateItOnce() throws {
        let schema = try PostgresTestServer.freshSchema()
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do {
                let store = try PostgresStateStore(url: schema.url)
                _ = try store.recentRuns(of: nil, limit: 1)
                results.add("opened")
            } catch {
                results.add("error: \(error)")
            }
        }
        #expect(results.values == Array(repeating: "opened", count: 8))
        let versions = try RawConnection(dsn: schema.dsn).execute(
            "SELECT version FROM \"\(schema.url.schema)\".ferry_schema_migrations ORDER BY version")
        #expect(versions == (1...PostgresStateStore.schemaVersion).map(String.init))
    }

    @Test func aStoreWaitsForTheMigrationLockHeldByAnotherProcess() throws {
        let schema = try PostgresTestServer.freshSchema()
        let blocker = try RawConnection(dsn: schema.dsn)
        let key = PostgresStateStore.advisoryKey("ferry-state-migrations", schema.url.schema)
        try blocker.execute("SELECT pg_advisory_lock(\(key))")
        let opened = ResultBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            do {
                _ = try PostgresStateStore(url: schema.url)
                opened.add("opened")
            } catch {
                opened.add("error: \(error)")
            }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 1) == .timedOut, "the store must wait while the lock is held")
        #expect(opened.values.isEmpty)
        try blocker.execute("SELECT pg_advisory_unlock(\(key))")
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(opened.values == ["opened"])
    }

    @Test func aSchemaWrittenByANewerFerryIsRefused() throws {
        let schema = try PostgresTestServer.freshSchema()
        _ = try PostgresStateStore(url: schema.url)
        try schema.execute(
            "INSERT INTO \"\(schema.url.schema)\".ferry_schema_migrations (version, purpose) VALUES (999, 'future')")
        let error = #expect(throws: StateError.self) { _ = try PostgresStateStore(url: schema.url) }
        #expect(
            error?.description.contains("schema version 999, newer than the \(PostgresStateStore.schemaVersion)")
                == true)
        #expect(error?.description.contains(schema.url.schema) == true)
    }

    @Test func deadLettersAndParkedRecordsKeepBytesThatAreNotUTF8() throws {
        let schema = try PostgresTestServer.freshSchema()
        let store = try PostgresStateStore(url: schema.url)
        let run = try store.beginRun(orders)
        let bytes: [UInt8] = [0x7B, 0xFF, 0x00, 0xC3, 0x28, 0x22, 0x5C, 0x7D]
        try store.commit(
            BatchCommit(
                run: run, pipeline: orders, stream: "items", checkpoint: nil, counts: BatchCounts(),
                deadLetters: [
                    DeadLetter(
                        pipeline: orders, stream: "items", stage: "destination", error: "bad", recordBytes: bytes,
                        createdAt: 1_700_000_000.25),
                    DeadLetter(
                        pipeline: orders, stream: "items", stage: "destination", error: "empty", recordBytes: [],
                        createdAt: 1),
                ],
                parked: [
                    ParkedRecord(
                        pipeline: orders, stream: "items", reason: "waits", recordBytes: bytes, attempts: 2,
                        parkedAt: 3)
                ]))
        let letters = try store.deadLetters(for: orders, includeReplayed: true, limit: 10)
        #expect(letters.map(\.recordBytes) == [bytes, []])
        #expect(letters.first?.createdAt == 1_700_000_000.25)
        #expect(try store.parkedRecords(for: orders, limit: 10).map(\.recordBytes) == [bytes])
    }

    @Test func aRefusedConnectionNamesTheServerButNotThePassword() throws {
        let url = try PostgresStateURL("postgres://ferry:s3cret-Pa55@127.0.0.1:1/state?schema=x")
        let error = #expect(throws: StateError.self) { _ = try PostgresStateStore(url: url) }
        let text = error?.description ?? ""
        #expect(text.contains("cannot connect to 127.0.0.1:1/state"), "\(text)")
        #expect(!text.contains("s3cret-Pa55"), "\(text)")
    }
}
