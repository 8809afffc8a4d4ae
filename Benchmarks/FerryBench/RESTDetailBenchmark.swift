import Foundation

/// Lists records from a local API (Benchmarks/rest-simulator.py) whose detail call takes
/// `latencyMs`, and completes each with `detail:` at several concurrencies, in a child
/// `ferry run` into SQLite, printing records/s: what `detail.concurrency` buys against an
/// API that answers slowly but in parallel.
struct RESTDetailBenchmark {
    var records: Int
    var latencyMs: Int
    var concurrencies: [Int]

    func run() throws {
        let ferry = Bench.binFolder.appendingPathComponent("ferry").path
        guard FileManager.default.isExecutableFile(atPath: ferry) else {
            throw BenchError("build ferry first: \(ferry) not found")
        }
        let simulator = try RESTSimulator(arguments: [String(records), String(latencyMs)])
        defer { simulator.stop() }
        let port = simulator.port
        print("rest detail: \(records) listed records, one detail call each taking \(latencyMs) ms → SQLite upsert")
        for concurrency in concurrencies {
            let folder = try Bench.temporaryFolder("rest-detail")
            defer { try? FileManager.default.removeItem(at: folder) }
            let config = folder.appendingPathComponent("ferry.yaml")
            try """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "http://127.0.0.1:\(port)" }
                config:
                  streams:
                    - name: items
                      path: items
                      records_path: data
                      primary_key: id
                      pagination: { type: page, size_param: per_page, page_size: 100 }
                      detail: { path: "items/{id}", concurrency: \(concurrency) }
              warehouse: { plugin: sqlite, config: { path: out.db } }
            pipelines:
              items:
                source: { connection: api, stream: items }
                destination: { connection: warehouse, stream: items }
                write: upsert
            """.write(to: config, atomically: true, encoding: .utf8)
            let run = try Bench.run(ferry, ["run", "--config", config.path, "--log-level", "warning"])
            guard run.status == 0 else { throw BenchError("ferry run exited \(run.status)") }
            print(
                "  concurrency \(concurrency): \(Bench.format(Double(records) / run.seconds)) records/s "
                    + "(\(String(format: "%.2f", run.seconds)) s), peak RSS \(String(format: "%.1f", run.peakMiB)) MiB")
        }
    }
}
