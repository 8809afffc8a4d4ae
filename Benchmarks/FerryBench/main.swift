// ferry-bench: throughput and memory figures for the goals the issues state.
// Figures are printed, never asserted: machines are noisy.
//
//   swift run -c release ferry-bench            # every benchmark
//   swift run -c release ferry-bench abi        # C source → host → null sink, 10M records, in-process and isolation: process
//   swift run -c release ferry-bench sqlite     # JSONL → SQLite upsert, 1M and 5M records, vs sqlite3 .import
//   swift run -c release ferry-bench postgres   # JSONL → PostgreSQL upsert, 1M records, vs psql \copy
//                                               # (--postgres-copy true|false: the connector's load path;
//                                               #  --postgres-rounds N: ferry and \copy in turn, median, default 3)
//                                               # (FERRY_TEST_PG_DSN, else starts scripts/postgres-test-server.sh)
//   swift run -c release ferry-bench rest       # a paging JSON API (random id order) → rest connector → SQLite, 1M records,
//                                               # vs a requests + sqlite3 script and sqlite3 .import; 1% and no-change runs
//   swift run -c release ferry-bench rest-detail  # a list + a 20 ms detail call per record, concurrency 1, 4, 8, 16
//   swift run -c release ferry-bench transform  # a 10-step expression transform chain, 1M records in memory
//   swift run -c release ferry-bench state      # state-store batch commits per second, SQLite vs PostgreSQL
//                                               # (FERRY_TEST_PG_DSN, else starts scripts/postgres-test-server.sh)
//   swift run -c release ferry-bench workers    # serve --worker: units/s and state transactions/s for 1, 2, 3 workers
//                                               # (FERRY_TEST_PG_DSN, else starts scripts/postgres-test-server.sh)
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
/// Benchmark names: the arguments that are neither options nor an option's value.
let selected = arguments.enumerated().filter { index, argument in
    !argument.hasPrefix("--") && (index == 0 || !arguments[index - 1].hasPrefix("--"))
}.map(\.element)
func wants(_ name: String) -> Bool { selected.isEmpty || selected.contains(name) }

func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

do {
    if wants("abi") {
        try ABIBenchmark(records: Int(option("abi-records") ?? "") ?? 10_000_000).run()
    }
    if wants("sqlite") {
        let counts = (option("sqlite-records") ?? "1000000,5000000").split(separator: ",").compactMap { Int($0) }
        try SQLiteLoadBenchmark(recordCounts: counts).run()
    }
    if wants("postgres") {
        let counts = (option("postgres-records") ?? "1000000").split(separator: ",").compactMap { Int($0) }
        var benchmark = PostgresLoadBenchmark(recordCounts: counts)
        benchmark.loadsWithCopy = option("postgres-copy").map { $0 == "true" }
        if let rounds = option("postgres-rounds").flatMap({ Int($0) }), rounds > 0 { benchmark.rounds = rounds }
        try benchmark.run()
    }
    if wants("rest") {
        let counts = (option("rest-records") ?? "1000000").split(separator: ",").compactMap { Int($0) }
        try RESTLoadBenchmark(recordCounts: counts).run()
    }
    if wants("rest-detail") {
        try RESTDetailBenchmark(
            records: Int(option("rest-detail-records") ?? "") ?? 2000,
            latencyMs: Int(option("rest-detail-latency") ?? "") ?? 20,
            concurrencies: (option("rest-detail-concurrency") ?? "1,4,8,16").split(separator: ",").compactMap {
                Int($0)
            }
        ).run()
    }
    if wants("transform") {
        try TransformBenchmark(records: Int(option("transform-records") ?? "") ?? 1_000_000).run()
    }
    if wants("state") {
        try StateCommitBenchmark(commits: Int(option("state-commits") ?? "") ?? 2_000).run()
    }
    if wants("workers") {
        try WorkerBenchmark(
            units: Int(option("workers-units") ?? "") ?? 120, records: Int(option("workers-records") ?? "") ?? 2_000,
            batchSize: Int(option("workers-batch") ?? "") ?? 500
        ).run()
    }
} catch {
    FileHandle.standardError.write(Data("ferry-bench: \(error)\n".utf8))
    exit(1)
}
