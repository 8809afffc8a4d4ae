import FerryCore
import FerryState
import FerryStatePostgres
import Foundation

/// The state store's commit path: batch commits per second on SQLite and on PostgreSQL,
/// each commit one transaction with a checkpoint, the run's counts and `hashes` record hashes
/// (what an acknowledged batch of that many records writes). The server is
/// `FERRY_TEST_PG_DSN`, or one started (and stopped) with scripts/postgres-test-server.sh,
/// which runs with fsync off: its figure is the store's own cost, not the disk's.
struct StateCommitBenchmark {
    var commits: Int
    var hashCounts = [0, 500]

    func run() throws {
        let server = try BenchPostgres()
        defer { server.stop() }
        let dsn = server.dsn
        let folder = try Bench.temporaryFolder("state-commit")
        defer { try? FileManager.default.removeItem(at: folder) }

        print("state: \(commits) batch commits (checkpoint + counts + N record hashes), one transaction each")
        for hashes in hashCounts {
            let sqlite = try SQLiteStateStore(path: folder.appendingPathComponent("state-\(hashes).db").path)
            let schema = "ferry_bench_state_\(getpid())_\(hashes)"
            let url = try PostgresStateURL(dsn + (dsn.contains("?") ? "&" : "?") + "schema=\(schema)")
            let postgres = try PostgresStateStore(url: url)
            let sqliteRate = try measure(sqlite, hashes: hashes)
            let postgresRate = try measure(postgres, hashes: hashes)
            postgres.close()
            _ = try? Bench.run("/usr/bin/psql", [dsn, "-q", "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"])
            print(
                "  \(hashes) hashes: SQLite \(Bench.format(sqliteRate)) commits/s, PostgreSQL \(Bench.format(postgresRate)) commits/s"
            )
        }
    }

    /// Commits per second over `commits` commits to one run (after a warm-up of 50).
    private func measure(_ store: any StateStore, hashes: Int) throws -> Double {
        let pipeline = PipelineID(pipeline: "bench")
        let run = try store.beginRun(pipeline)
        defer { try? store.finishRun(run, outcome: RunOutcome(status: .succeeded)) }
        func commit(_ index: Int) throws {
            let batch = (0..<hashes).map {
                (key: "key-\(index)-\($0)", hash: UInt64(bitPattern: Int64(index &* 31 &+ $0)))
            }
            try store.commit(
                BatchCommit(
                    run: run, pipeline: pipeline, stream: "records", checkpoint: #"{"offset":\#(index)}"#,
                    counts: BatchCounts(read: hashes, written: hashes), hashes: batch))
        }
        for index in 0..<50 { try commit(-index - 1) }
        let started = Date()
        for index in 0..<commits { try commit(index) }
        return Double(commits) / Date().timeIntervalSince(started)
    }
}
