// ferry-bench: throughput and memory figures for the goals the issues state.
// Figures are printed, never asserted: machines are noisy.
import ArgumentParser
import Foundation

@main
struct FerryBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-bench",
        abstract: "Prints throughput and memory figures for the goals the issues state.",
        discussion: """
            Build it with `swift build -c release --product ferry-bench`:
            a debug build's figures mean nothing. The benchmarks:
              abi          C source → host → null sink, in process and
                           with isolation: process
              sqlite       JSONL → SQLite upsert, vs sqlite3 .import
              postgres     JSONL → PostgreSQL upsert, vs psql \\copy
                           (FERRY_TEST_PG_DSN, else it starts
                           scripts/postgres-test-server.sh)
              rest         a paging JSON API (ids in random order) →
                           SQLite, vs a requests + sqlite3 script and
                           sqlite3 .import; 1% and no-change runs
              rest-detail  a list + a detail call per record, at
                           several concurrencies
              transform    a 10-step expression transform chain
              state        state-store batch commits per second,
                           SQLite vs PostgreSQL
              workers      serve --worker: units/s and state
                           transactions/s for 1, 2 and 3 workers
            """)

    enum Benchmark: String, CaseIterable, ExpressibleByArgument {
        case abi, sqlite, postgres, rest, restDetail = "rest-detail", transform, state, workers
    }

    @Argument(help: "The benchmarks to run (all when none is named).")
    var benchmarks: [Benchmark] = []

    @Option(name: .customLong("abi-records"), help: "Records the abi benchmark sends.")
    var abiRecords = 10_000_000

    @Option(name: .customLong("sqlite-records"), help: "Record counts of the sqlite benchmark, comma-separated.")
    var sqliteRecords = Counts([1_000_000, 5_000_000])

    @Option(name: .customLong("postgres-records"), help: "Record counts of the postgres benchmark, comma-separated.")
    var postgresRecords = Counts([1_000_000])

    @Option(
        name: .customLong("postgres-copy"),
        help: "The postgres connector's load path: true (COPY), false (INSERT); its default when not given.")
    var postgresCopy: Bool?

    @Option(name: .customLong("postgres-rounds"), help: "Rounds of ferry and \\copy in turn; the median is printed.")
    var postgresRounds = 3

    @Option(name: .customLong("rest-records"), help: "Record counts of the rest benchmark, comma-separated.")
    var restRecords = Counts([1_000_000])

    @Option(
        name: .customLong("rest-rounds"),
        help:
            "Rounds of a first load with the defaults and sqlite3 .import in turn; the median ratio is printed (0: none)."
    )
    var restRounds = 3

    @Option(
        name: .customLong("rest-incremental-runs"),
        help: "Incremental runs with 1% changed (other records each time) after the rest benchmark's first load.")
    var restIncrementalRuns = 8

    @Option(name: .customLong("rest-detail-records"), help: "Records of the rest-detail benchmark.")
    var restDetailRecords = 2_000

    @Option(name: .customLong("rest-detail-latency"), help: "Milliseconds each detail call takes.")
    var restDetailLatency = 20

    @Option(name: .customLong("rest-detail-concurrency"), help: "Concurrencies to measure, comma-separated.")
    var restDetailConcurrency = Counts([1, 4, 8, 16])

    @Option(name: .customLong("transform-records"), help: "Records the transform benchmark shapes.")
    var transformRecords = 1_000_000

    @Option(name: .customLong("state-commits"), help: "Batch commits the state benchmark makes.")
    var stateCommits = 2_000

    @Option(name: .customLong("workers-units"), help: "Work units the workers benchmark runs.")
    var workersUnits = 120

    @Option(name: .customLong("workers-records"), help: "Records of each work unit.")
    var workersRecords = 2_000

    @Option(name: .customLong("workers-batch"), help: "Batch size of the workers benchmark.")
    var workersBatch = 500

    func validate() throws {
        let counts: [(String, Int)] = [
            ("--abi-records", abiRecords), ("--postgres-rounds", postgresRounds),
            ("--rest-detail-records", restDetailRecords), ("--transform-records", transformRecords),
            ("--state-commits", stateCommits), ("--workers-units", workersUnits),
            ("--workers-records", workersRecords), ("--workers-batch", workersBatch),
        ]
        for (name, value) in counts where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        if restDetailLatency < 0 { throw ValidationError("--rest-detail-latency must not be negative") }
        if restRounds < 0 { throw ValidationError("--rest-rounds must not be negative, got \(restRounds)") }
        if restIncrementalRuns < 1 {
            throw ValidationError("--rest-incremental-runs must be at least 1, got \(restIncrementalRuns)")
        }
    }

    func wants(_ benchmark: Benchmark) -> Bool { benchmarks.isEmpty || benchmarks.contains(benchmark) }

    func run() throws {
        do {
            try runSelected()
        } catch {
            FileHandle.standardError.write(Data("ferry-bench: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func runSelected() throws {
        if wants(.abi) { try ABIBenchmark(records: abiRecords).run() }
        if wants(.sqlite) { try SQLiteLoadBenchmark(recordCounts: sqliteRecords.values).run() }
        if wants(.postgres) {
            var benchmark = PostgresLoadBenchmark(recordCounts: postgresRecords.values)
            benchmark.loadsWithCopy = postgresCopy
            benchmark.rounds = postgresRounds
            try benchmark.run()
        }
        if wants(.rest) {
            var benchmark = RESTLoadBenchmark(recordCounts: restRecords.values)
            benchmark.rounds = restRounds
            benchmark.incrementalRuns = restIncrementalRuns
            try benchmark.run()
        }
        if wants(.restDetail) {
            try RESTDetailBenchmark(
                records: restDetailRecords, latencyMs: restDetailLatency, concurrencies: restDetailConcurrency.values
            ).run()
        }
        if wants(.transform) { try TransformBenchmark(records: transformRecords).run() }
        if wants(.state) { try StateCommitBenchmark(commits: stateCommits).run() }
        if wants(.workers) {
            try WorkerBenchmark(units: workersUnits, records: workersRecords, batchSize: workersBatch).run()
        }
    }
}

/// A comma-separated list of positive counts, as `1000000,5000000`.
struct Counts: ExpressibleByArgument, CustomStringConvertible {
    var values: [Int]

    init(_ values: [Int]) { self.values = values }

    init?(argument: String) {
        let values = argument.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        self.values = values.compactMap { $0 }
    }

    var description: String { values.map(String.init).joined(separator: ",") }
    var defaultValueDescription: String { description }
}
