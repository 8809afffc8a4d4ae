import FerryCore
import FerryStatePostgres
import Foundation

/// `ferry serve --worker` scaling: `units` sites (each a JSONL file of `records` records,
/// `batchSize` a batch, into its own output file) shared by 1, 2 and 3 real worker processes
/// on one PostgreSQL state store. Prints units per second and the state database's committed
/// transactions per second (`pg_stat_database.xact_commit`) while they work, and per unit.
///
/// The units are declared not due before the workers start, then all made due at once, so
/// the figures leave out process start-up. The server is `FERRY_TEST_PG_DSN`, or one
/// started (and stopped) with scripts/postgres-test-server.sh.
struct WorkerBenchmark {
    var units: Int
    var records: Int
    var batchSize: Int
    var workerCounts = [1, 2, 3]
    var maxUnits = 4

    func run() throws {
        let server = try BenchPostgres()
        defer { server.stop() }
        let dsn = server.dsn
        let folder = try Bench.temporaryFolder("workers")
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = (1...records).map { #"{"id":\#($0),"kwh":\#($0 * 7)}"# }.joined(separator: "\n") + "\n"
        try input.write(to: folder.appendingPathComponent("readings.jsonl"), atomically: true, encoding: .utf8)
        let batches = (records + batchSize - 1) / batchSize

        print(
            "workers: \(units) units (file → file, \(records) records in \(batches) batches each), "
                + "--max-units \(maxUnits) per worker; \(Bench.loadAverage())")
        for count in workerCounts {
            let schema = "ferry_bench_workers_\(getpid())_\(count)"
            let result = try measure(workers: count, dsn: dsn, schema: schema, folder: folder)
            _ = try? Bench.run("/usr/bin/psql", [dsn, "-q", "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"])
            let perUnit = Double(result.transactions) / Double(units)
            print(
                "  \(count) worker\(count == 1 ? " " : "s"): \(String(format: "%.1f", Double(units) / result.seconds)) units/s, "
                    + "\(Bench.format(Double(result.transactions) / result.seconds)) state transactions/s "
                    + "(\(String(format: "%.1f", perUnit)) per unit, \(batches) batches each; idle polling "
                    + "\(String(format: "%.1f", result.idleRate)) transactions/s)")
        }
    }

    private func config(_ folder: URL) -> String {
        var yaml = """
            connections:
              source: { plugin: file, config: { path: readings.jsonl, primary_key: id } }
              out: { plugin: file, config: { path: out/none.jsonl } }
            pipelines:
              readings:
                source: { connection: source, stream: readings }
                destination: { connection: out }
                batch_size: \(batchSize)
                schedule: "0 0 1 1 *"
            sites:

            """
        for unit in 1...units {
            yaml += "  site-\(unit):\n    connections:\n      out: { path: out/site-\(unit).jsonl }\n"
        }
        return yaml
    }

    private func measure(workers count: Int, dsn: String, schema: String, folder: URL) throws -> (
        seconds: Double, transactions: Int, idleRate: Double
    ) {
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("out"))
        try config(folder).write(to: folder.appendingPathComponent("ferry.yaml"), atomically: true, encoding: .utf8)
        let stateURL = dsn + (dsn.contains("?") ? "&" : "?") + "schema=\(schema)"
        // Declared first with a due time far away, so that no unit runs while the workers start
        // (the schedule as the workers write it: Foundation names the zone GMT, not UTC).
        let store = try PostgresStateStore(url: try PostgresStateURL(stateURL))
        try store.declareUnits(
            (1...units).map {
                WorkUnitDeclaration(
                    pipeline: PipelineID(site: "site-\($0)", pipeline: "readings"), position: 0, after: [],
                    schedule: "CRON_TZ=GMT 0 0 1 1 *", firstDue: 4_102_444_800)
            })
        store.close()

        let ferry = Bench.binFolder.appendingPathComponent("ferry").path
        var processes: [Process] = []
        defer {
            for process in processes where process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        for index in 1...count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ferry)
            process.arguments = [
                "serve", "--worker", "--worker-id", "bench-\(index)", "--max-units", "\(maxUnits)", "--time-zone",
                "GMT", "--config", "ferry.yaml", "--log-level", "warning",
            ]
            process.currentDirectoryURL = folder
            var environment = ProcessInfo.processInfo.environment
            environment["FERRY_STATE_URL"] = stateURL
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        try waitUntil(timeout: 120) {
            try scalar(dsn, "SELECT count(*) FROM \(schema).workers") == count
        }
        // The idle workers' polling, for comparison (statistics reach pg_stat_database within a second).
        sleep(2)
        let idleStart = try scalar(dsn, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        sleep(3)
        let idleEnd = try scalar(dsn, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        if try scalar(dsn, "SELECT count(*) FROM \(schema).runs") > 0 {
            throw BenchError("units ran before they were made due: the workers declared another schedule")
        }
        let before = idleEnd
        let started = Date()
        _ = try scalar(dsn, "UPDATE \(schema).work_units SET due_at = 0 RETURNING 0")
        var polls = 0
        try waitUntil(timeout: 600) {
            polls += 2
            let failed = try scalar(
                dsn,
                "SELECT count(*) FROM \(schema).work_units WHERE last_status IS NOT NULL AND last_status <> 'succeeded'"
            )
            if failed > 0 { throw BenchError("\(failed) units did not succeed in \(schema): see its runs table") }
            return try scalar(
                dsn, "SELECT count(*) FROM \(schema).work_units WHERE last_status = 'succeeded' AND holder IS NULL")
                == units
        }
        let seconds = Date().timeIntervalSince(started)
        sleep(2)
        let after = try scalar(dsn, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        // Leave out this benchmark's own polling and the idle polling of the two seconds waited.
        let idleRate = Double(idleEnd - idleStart - 1) / 3
        let transactions = after - before - polls - 2 - Int(idleRate * 2)
        return (seconds, transactions, idleRate)
    }

    private func scalar(_ dsn: String, _ sql: String) throws -> Int {
        let lines = try Bench.output("/usr/bin/psql", [dsn, "-X", "-q", "-At", "-c", sql])
        guard let value = lines.first.flatMap({ Int($0) }) else {
            throw BenchError("psql gave no number for: \(sql)")
        }
        return value
    }

    private func waitUntil(timeout: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw BenchError("timed out after \(Int(timeout)) s") }
            usleep(50_000)
        }
    }
}
