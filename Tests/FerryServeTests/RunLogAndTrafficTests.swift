import FerryTesting
import Foundation
import Synchronization
import Testing

/// Run logs kept in the state store (they outlive the process, and cover cron runs),
/// and the connectors' HTTP requests and retries counted on `/metrics`.
@Suite(.serialized) struct RunLogAndTrafficTests {
    /// A rest `items` stream from `api` into SQLite, each request tried `maxAttempts` times.
    static func itemsConfig(api: String, maxAttempts: Int) -> String {
        """
        state: state.db
        connections:
          api:
            plugin: rest
            http: { endpoint: "\(api)", max_attempts: \(maxAttempts), timeout_seconds: 5 }
            config: { streams: [{ name: items, path: items, records_path: data, primary_key: id }] }
          warehouse: { plugin: sqlite, config: { path: out/warehouse.db } }
        pipelines:
          items:
            source: { connection: api, stream: items }
            destination: { connection: warehouse, stream: items }
            primary_key: [id]
        """
    }

    @Test func runLogsOutliveTheServeProcessAndIncludeCronRuns() throws {
        let sandbox = try ServeCommandTests.makeSandbox(records: 30)
        // A cron `ferry run` first: its log is kept with its run, read back by `ferry logs`.
        let cron = try sandbox.ferry(["run", "--config", "ferry.yaml"])
        #expect(cron.status == 0, "\(cron.stderr)")
        let printed = try sandbox.ferry(["logs", "--config", "ferry.yaml"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(
            printed.stdout.contains("Run started.") && printed.stdout.contains("Run finished."), "\(printed.stdout)")
        let missing = try sandbox.ferry(["logs", "--config", "ferry.yaml", "9999"])
        #expect(missing.status == 1 && missing.stderr.contains("No log kept for run 9999"), "\(missing.stderr)")

        var serve = try ServeProcess(sandbox)
        #expect(try serve.request("POST", "/v1/pipelines/to_sqlite/runs").0 == 202)
        try serve.waitForLog("Run finished.")
        try serve.waitUntilIdle("to_sqlite")
        let (_, runs) = try serve.request("GET", "/v1/runs")
        let ids = (runs["runs"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
        #expect(ids.count == 2, "\(runs)")
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)

        // A new process serves both runs' logs: the one serve ran and the cron run's.
        serve = try ServeProcess(sandbox)
        for id in ids {
            let (status, log) = try serve.request("GET", "/v1/runs/\(id)/log")
            let lines = log["lines"] as? [String] ?? []
            #expect(status == 200 && lines.contains { $0.contains("Run finished.") }, "run \(id): \(log)")
        }
        #expect(try serve.request("GET", "/v1/runs/9999/log").0 == 404)
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }

    @Test func aFailedRunKeepsItsLogUnderItsOwnRun() throws {
        let api = try LoopbackServer { _ in .json(#"{"error":"down"}"#, status: 503) }
        defer { api.stop() }
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.itemsConfig(api: api.url, maxAttempts: 1))
        let failed = try sandbox.ferry(["run", "--config", "ferry.yaml"])
        #expect(failed.status == 1, "\(failed.stderr)")
        let run = try #require(try sandbox.sql("state.db", "SELECT id || '|' || status FROM runs;").first)
        #expect(run.hasSuffix("|failed"), "\(run)")
        let log = try sandbox.ferry(["logs", "--config", "ferry.yaml", String(run.prefix { $0 != "|" })])
        #expect(log.status == 0, "\(log.stderr)")
        #expect(log.stdout.contains("Run started.") && log.stdout.contains("Run failed."), "\(log.stdout)")
        // A dry run records no run, so it keeps no log.
        _ = try sandbox.ferry(["run", "--config", "ferry.yaml", "--dry-run"])
        #expect(try sandbox.sql("state.db", "SELECT count(*) FROM run_logs;") == ["1"])
    }

    @Test func connectorRequestsAndRetriesAreCountedByStatus() throws {
        // The API fails the first page once with a 503, then serves two records.
        let failures = Mutex(1)
        let api = try LoopbackServer { request in
            if failures.withLock({ count in
                defer { count -= 1 }; return count > 0
            }) {
                return .json(#"{"error":"busy"}"#, status: 503)
            }
            return .json(#"{"data":[{"id":1},{"id":2}]}"#)
        }
        defer { api.stop() }
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.itemsConfig(api: api.url, maxAttempts: 3))
        let serve = try ServeProcess(sandbox)
        #expect(try serve.request("POST", "/v1/pipelines/items/runs").0 == 202)
        try serve.waitForLog("Run finished.")
        try serve.waitUntilIdle("items")
        let (status, data) = try serve.raw("GET", "/metrics")
        let metrics = String(decoding: data ?? Data(), as: UTF8.self)
        #expect(status == 200)
        #expect(
            metrics.contains(#"ferry_connector_http_requests_total{site="",connection="api",status="503"} 1"#),
            "\(metrics)")
        #expect(metrics.contains(#"ferry_connector_http_requests_total{site="",connection="api",status="200"} 1"#))
        #expect(metrics.contains(#"ferry_connector_http_retries_total{site="",connection="api"} 1"#))
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }
}
