import Foundation

/// The PostgreSQL server a benchmark talks to: `FERRY_TEST_PG_DSN` when set, else one started
/// with scripts/postgres-test-server.sh in a scratch folder and stopped by `stop()`.
struct BenchPostgres {
    let dsn: String
    private let script: String?

    init() throws {
        if let given = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"], !given.isEmpty {
            dsn = given
            script = nil
            return
        }
        let script = Bench.packageFolder.appendingPathComponent("scripts/postgres-test-server.sh").path
        setenv("FERRY_PG_DIR", "/tmp/ferry-pg-bench-\(getpid())", 1)
        dsn = try PostgresLoadBenchmark.startServer(script)
        self.script = script
    }

    /// Stops the server this benchmark started (none when it was given one).
    func stop() { if let script { _ = try? Bench.run(script, ["stop"]) } }
}
