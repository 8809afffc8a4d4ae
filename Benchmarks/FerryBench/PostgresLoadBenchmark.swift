import CFerryPlugin
import FerryEngine
import FerryJSON
import FerryPluginSDK
import Foundation

/// Loads JSONL records (12 fields, some nested) into PostgreSQL with upsert
/// through `ferry run` (file source → postgres destination) in a child
/// process, printing records/s and the child's peak RSS, then times
/// `psql \copy` of the same rows as CSV into a table of the same shape for the
/// ratio (`rounds` times, in turn, with the median), and last the plugin's `write` slot alone on the same batches (its CPU
/// against the server's share). The server is `FERRY_TEST_PG_DSN`, or one
/// started (and stopped) with scripts/postgres-test-server.sh.
struct PostgresLoadBenchmark {
    var recordCounts: [Int]
    var batchSize = 5_000
    /// The connector's `copy` key (nil: its default), to compare the two load paths.
    var loadsWithCopy: Bool?
    /// Rounds of `ferry run` then `psql \copy`, each into fresh tables: the ratio is printed per
    /// round and as the median, since `\copy`'s own time moves with the machine's I/O.
    var rounds = 3

    private var copyKey: String { loadsWithCopy.map { ", copy: \($0)" } ?? "" }

    func run() throws {
        let ferry = Bench.binFolder.appendingPathComponent("ferry").path
        guard FileManager.default.isExecutableFile(atPath: ferry) else {
            throw BenchError("build ferry first: \(ferry) not found")
        }
        let psql = "/usr/bin/psql"
        guard FileManager.default.isExecutableFile(atPath: psql) else {
            throw BenchError("psql not found (apt-get install postgresql-client)")
        }
        let server = try BenchPostgres()
        defer { server.stop() }
        let dsn = server.dsn

        for count in recordCounts {
            let folder = try Bench.temporaryFolder("postgres-\(count)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let jsonl = folder.appendingPathComponent("records.jsonl")
            let csv = folder.appendingPathComponent("records.csv")
            try SQLiteLoadBenchmark(recordCounts: []).writeRecords(count: count, jsonl: jsonl, csv: csv)
            print(
                "postgres: \(count) JSONL records (12 fields, nested) → PostgreSQL upsert, batches of \(batchSize), "
                    + "load path \(loadsWithCopy.map { $0 ? "COPY + merge" : "multi-row INSERT" } ?? "the default"), "
                    + "\(rounds) round(s) of ferry then \\copy")
            print("  load: \(Bench.loadAverage())")
            var ratios: [Double] = []
            var runSeconds: [Double] = []
            var copySeconds: [Double] = []
            for round in 1...rounds {
                let (run, copy) = try loadAndCopy(
                    count: count, round: round, jsonl: jsonl, csv: csv, dsn: dsn, folder: folder, ferry: ferry,
                    psql: psql)
                ratios.append(run.seconds / copy)
                runSeconds.append(run.seconds)
                copySeconds.append(copy)
                print(
                    "  round \(round): ferry run \(Bench.format(Double(count) / run.seconds)) records/s (\(String(format: "%.2f", run.seconds)) s, "
                        + "\(String(format: "%.2f", run.cpuSeconds)) s CPU in ferry, the rest waiting on the server; peak RSS \(String(format: "%.1f", run.peakMiB)) MiB), "
                        + "psql \\copy of the same rows as CSV \(String(format: "%.2f", copy)) s: ratio \(String(format: "%.2f", run.seconds / copy))"
                )
            }
            print(
                "  median of \(rounds): ferry run \(String(format: "%.2f", Bench.median(runSeconds))) s, psql \\copy \(String(format: "%.2f", Bench.median(copySeconds))) s, "
                    + "ratio ferry/psql time \(String(format: "%.2f", Bench.median(ratios))) (range \(String(format: "%.2f", ratios.min()!))–\(String(format: "%.2f", ratios.max()!)))"
            )
            // Last, since it holds the file in this process (a child's peak RSS
            // counts its parent's at fork time).
            let schema = "ferry_bench_\(getpid())_\(count)_direct"
            defer { _ = try? Bench.run(psql, [dsn, "-q", "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"]) }
            let alone = try directWrites(count: count, jsonl: jsonl, dsn: dsn, schema: schema, folder: folder)
            print(
                "  plugin write calls alone: \(Bench.format(Double(count) / alone.seconds)) records/s (\(String(format: "%.2f", alone.seconds)) s, of which \(String(format: "%.2f", alone.cpu)) s CPU in the plugin, the rest in the server)"
            )
        }
    }

    /// One round: a `ferry run` into a fresh schema with a fresh state, then `psql \copy` of the
    /// same rows into a table of the same column types and primary key; the schema is dropped.
    private func loadAndCopy(
        count: Int, round: Int, jsonl: URL, csv: URL, dsn: String, folder: URL, ferry: String, psql: String
    ) throws -> (run: (seconds: Double, cpuSeconds: Double, peakMiB: Double), copySeconds: Double) {
        let schema = "ferry_bench_\(getpid())_\(count)_\(round)"
        defer { _ = try? Bench.run(psql, [dsn, "-q", "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"]) }
        let run = try load(
            count: count, jsonl: jsonl, dsn: dsn, schema: schema, state: "state-\(round).db", folder: folder,
            ferry: ferry, psql: psql)
        // The header line only: a file read whole stays in this process, and a child forked
        // after it counts it in its peak RSS.
        let file = try FileHandle(forReadingFrom: csv)
        defer { try? file.close() }
        let head = try file.read(upToCount: 4096) ?? Data()
        let header = String(decoding: head, as: UTF8.self).prefix { $0 != "\n" }
        _ = try Self.scalar(psql, dsn, "CREATE TABLE \(schema).copied (LIKE \(schema).records INCLUDING ALL)")
        let copy = try Bench.run(
            psql,
            [
                dsn, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                "\\copy \(schema).copied (\(header)) FROM '\(csv.path)' WITH (FORMAT csv, HEADER true)",
            ])
        guard copy.status == 0 else { throw BenchError("psql \\copy exited \(copy.status)") }
        return (run, copy.seconds)
    }

    /// One `ferry run` of the file into `schema.records`; checks the row count.
    private func load(
        count: Int, jsonl: URL, dsn: String, schema: String, state: String, folder: URL,
        ferry: String, psql: String
    ) throws -> (seconds: Double, cpuSeconds: Double, peakMiB: Double) {
        let config = folder.appendingPathComponent("ferry.yaml")
        try """
        state: \(state)
        connections:
          input: { plugin: file, config: { path: \(jsonl.path), primary_key: id } }
          warehouse: { plugin: postgres, config: { dsn: "\(dsn)", schema: \(schema)\(copyKey) } }
        pipelines:
          load:
            source: { connection: input, stream: records }
            destination: { connection: warehouse, stream: records }
            write: upsert
            primary_key: [id]
            batch_size: \(batchSize)
        """.write(to: config, atomically: true, encoding: .utf8)
        let run = try Bench.run(ferry, ["run", "--config", config.path, "--log-level", "warning"])
        guard run.status == 0 else { throw BenchError("ferry run exited \(run.status)") }
        let loaded = try Self.scalar(psql, dsn, "SELECT count(*) FROM \(schema).records")
        guard loaded == String(count) else { throw BenchError("expected \(count) rows, found \(loaded)") }
        return (run.seconds, run.cpuSeconds, run.peakMiB)
    }

    /// Times only the plugin's `write` slot (parse, encode, server round trips)
    /// on pre-cut batches of the same NDJSON, upserting into a fresh table:
    /// the cost of the load path without the host's source, hashing and state.
    private func directWrites(count: Int, jsonl: URL, dsn: String, schema: String, folder: URL) throws -> (
        seconds: Double, cpu: Double
    ) {
        let config = folder.appendingPathComponent("direct.yaml")
        try """
        state: state-direct.db
        connections:
          warehouse: { plugin: postgres, config: { dsn: "\(dsn)", schema: \(schema)\(copyKey) } }
        pipelines: {}
        """.write(to: config, atomically: true, encoding: .utf8)
        let workspace = try Workspace(configPath: config.path, site: nil, logLevel: .warning)
        let connection = try workspace.openConnection("warehouse")
        let bytes = try Data(contentsOf: jsonl)
        var batches: [(text: Data, count: Int)] = []
        var start = bytes.startIndex
        var lines = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            lines += 1
            if lines == batchSize || index == bytes.index(before: bytes.endIndex) {
                batches.append((bytes[start...index], lines))
                start = bytes.index(after: index)
                lines = 0
            }
        }
        var error = ferry_error.empty
        let cpuBefore = Self.cpuSeconds()
        let started = Date()
        for (number, batch) in batches.enumerated() {
            let request = JSONWriter().encodeString(
                WriteRequest(
                    stream: "direct", operation: .upsert, primaryKey: ["id"],
                    batchID: "direct-\(number)"
                ).json)
            var result = ferry_write_result()
            let status = batch.text.withUnsafeBytes { records in
                withBorrowedString(request) {
                    connection.api.pointee.write!(
                        connection.instance, $0,
                        ferry_str(ptr: records.baseAddress?.assumingMemoryBound(to: CChar.self), len: records.count),
                        &result, &error)
                }
            }
            guard status == FERRY_OK, result.accepted_count == UInt32(batch.count) else {
                throw BenchError("direct write failed: \(status)")
            }
            result.release?(&result)
        }
        return (Date().timeIntervalSince(started), Self.cpuSeconds() - cpuBefore)
    }

    /// This process's user + system CPU time: the client's share of a direct run.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
            usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Starts the test server and returns its DSN.
    static func startServer(_ script: String) throws -> String {
        guard let line = try Bench.output(script, ["start"]).first(where: { $0.contains("FERRY_TEST_PG_DSN=") }),
            let value = line.split(separator: "=", maxSplits: 1).last
        else {
            throw BenchError("\(script) start printed no FERRY_TEST_PG_DSN")
        }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
    }

    /// The first column of the first row of a query.
    private static func scalar(_ psql: String, _ dsn: String, _ sql: String) throws -> String {
        try Bench.output(psql, [dsn, "-qtA", "-v", "ON_ERROR_STOP=1", "-c", sql]).joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

}
