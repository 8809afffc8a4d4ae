import FerryTesting
import Foundation
import Testing

/// `ferry serve` as a process: the real binary, plugins and SQLite, driven through
/// its API and signals. Waits are for log lines and API states, never fixed sleeps.
@Suite(.serialized) struct ServeCommandTests {
    static func makeSandbox(records: Int = 400, extra: String = "") throws -> Sandbox {
        let sandbox = try Sandbox()
        var lines = ""
        for id in 1...records {
            lines += #"{"id":\#(id),"value":\#(id * 3),"updated_at":"2025-01-01T00:00:00Z"}"# + "\n"
        }
        try sandbox.write("data/input.jsonl", lines)
        try sandbox.write("ferry.yaml", config(extra: extra))
        return sandbox
    }

    static func config(extra: String = "") -> String {
        """
        state: state.db
        connections:
          input: { plugin: file, config: { path: data/input.jsonl, primary_key: id } }
          warehouse: { plugin: sqlite, config: { path: out/warehouse.db } }
        pipelines:
          to_sqlite:
            source: { connection: input, stream: input }
            destination: { connection: warehouse, stream: records }
            write: upsert
            primary_key: [id]
            batch_size: 50
            schedule: "CRON_TZ=Europe/Helsinki 0 6 * * *"
        \(extra)
        """
    }

    /// A second pipeline, as a reload adds it.
    static func second(schedule: String) -> String {
        """
          second:
            source: { connection: input, stream: input }
            destination: { connection: warehouse, stream: copy }
            schedule: "\(schedule)"
        """
    }

    @Test func aTriggeredRunLandsAndSIGTERMStopsTheServiceCleanly() throws {
        let sandbox = try Self.makeSandbox()
        let serve = try ServeProcess(sandbox)
        let (health, _) = try serve.request("GET", "/healthz", token: nil)
        #expect(health == 200)
        let (refused, _) = try serve.request("GET", "/v1/pipelines", token: "wrong")
        #expect(refused == 401)
        let listed = try #require(try serve.pipeline("to_sqlite"))
        #expect(listed["schedule"] as? String == "CRON_TZ=Europe/Helsinki 0 6 * * *")
        #expect((listed["next_run"] as? String)?.hasSuffix(":00:00Z") == true)
        let (status, _) = try serve.request("POST", "/v1/pipelines/to_sqlite/runs")
        #expect(status == 202)
        try serve.waitForLog("Run finished.")
        try serve.waitUntilIdle("to_sqlite") // the run's connections are closed (and SQLite's WAL checkpointed)
        #expect(try sandbox.sql("out/warehouse.db", "SELECT COUNT(*) FROM records;") == ["400"])
        let (_, runs) = try serve.request("GET", "/v1/runs")
        let run = try #require((runs["runs"] as? [[String: Any]])?.first)
        #expect(run["status"] as? String == "succeeded")
        let (logStatus, log) = try serve.request("GET", "/v1/runs/\(run["id"] as? Int ?? -1)/log")
        let lines = log["lines"] as? [String] ?? []
        #expect(
            logStatus == 200 && lines.contains { $0.contains("Run started.") }
                && lines.contains { $0.contains("Run finished.") }, "\(log)")
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
        #expect(serve.log.contains("Stopped."))
        #expect(!serve.log.contains(ServeProcess.token))
    }

    @Test func SIGHUPReloadsAGoodConfigurationAndKeepsTheOldOneWhenTheNewOneIsBad() throws {
        let sandbox = try Self.makeSandbox()
        let serve = try ServeProcess(sandbox)
        try sandbox.write("ferry.yaml", Self.config(extra: "    schedule_typo: yes\n"))
        serve.signal(SIGHUP)
        let refused = try serve.waitForLog("Configuration not reloaded")
        #expect(refused.contains("unknown key 'schedule_typo'"))
        #expect(try serve.pipeline("to_sqlite") != nil)
        try sandbox.write("ferry.yaml", Self.config(extra: Self.second(schedule: "TZ=Mars/Base 0 * * * *")))
        serve.signal(SIGHUP)
        #expect(
            try serve.waitForLog("Configuration not reloaded", occurrence: 2).contains("unknown time zone 'Mars/Base'"))
        #expect(try serve.pipeline("second") == nil)
        try sandbox.write("ferry.yaml", Self.config(extra: Self.second(schedule: "*/5 * * * *")))
        serve.signal(SIGHUP)
        try serve.waitForLog("Configuration reloaded.")
        #expect(try serve.pipeline("second")?["schedule"] as? String != nil)
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }

    @Test func aCronRunAndServeNeverRunThePipelineAtOnce() throws {
        let sandbox = try Self.makeSandbox()
        let serve = try ServeProcess(sandbox)
        // A slow `ferry run` (as from cron) holds the pipeline's lease…
        let cron = try sandbox.start(
            ["run", "--config", "ferry.yaml"], environment: ["FERRY_FAILPOINTS": "after_commit:sleep:3000"])
        defer { if cron.isRunning { cron.terminate() }; cron.waitUntilExit() }
        waitUntil(within: 60) { (try? sandbox.sql("state.db", "SELECT COUNT(*) FROM leases;")) == ["1"] }
        // …so serve's run is refused by the same lease, not run beside it.
        #expect(try serve.request("POST", "/v1/pipelines/to_sqlite/runs").0 == 202)
        try serve.waitForLog("Run not started: the pipeline is running elsewhere.")
        let result = try #require(try serve.pipeline("to_sqlite")?["last_result"] as? [String: Any])
        #expect(result["status"] as? String == "busy")
        #expect(cron.isRunning)
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }

    @Test func SIGTERMStopsARunningPipelineAtABatchBoundary() throws {
        let sandbox = try Self.makeSandbox()
        // A commit per batch, so the run is still going when the signal comes (the 400 records
        // would otherwise be one commit group, committed once at the end).
        try sandbox.write(
            "ferry.yaml",
            Self.config().replacingOccurrences(of: "batch_size: 50\n", with: "batch_size: 50\n    commit_records: 50\n")
        )
        let serve = try ServeProcess(sandbox, environment: ["FERRY_FAILPOINTS": "after_commit:sleep:300"])
        #expect(try serve.request("POST", "/v1/pipelines/to_sqlite/runs").0 == 202)
        try serve.waitForLog("Run started.")
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
        let runs = try sandbox.sql("state.db", "SELECT status FROM runs;")
        #expect(runs == ["cancelled"])
        // On a busy machine the signal can come before the first batch created the table: none landed.
        let tableExists =
            (try? sandbox.sql("out/warehouse.db", "SELECT COUNT(*) FROM sqlite_master WHERE name = 'records';"))
            == ["1"]
        let landed =
            tableExists
            ? Int(try sandbox.sql("out/warehouse.db", "SELECT COUNT(*) FROM records;").first ?? "") ?? -1 : 0
        #expect(landed % 50 == 0 && landed >= 0 && landed < 400, "a whole number of batches, not all: \(landed)")
    }

    @Test func aFailedRunIsToldToTheWebhook() throws {
        let hook = try LoopbackServer { _ in .json(#"{"ok":true}"#) }
        let sandbox = try Self.makeSandbox()
        try FileManager.default.removeItem(atPath: sandbox.path("data/input.jsonl")) // the source cannot be read
        let serve = try ServeProcess(sandbox, environment: ["FERRY_NOTIFY_WEBHOOK_URL": hook.url + "/hook/s3cret"])
        try serve.waitForLog("Notifications on.")
        #expect(try serve.request("POST", "/v1/pipelines/to_sqlite/runs").0 == 202)
        try serve.waitForLog("Run failed.")
        serve.signal(SIGTERM) // queued notifications are sent before the exit
        #expect(serve.waitForExit() == 0)
        let texts = hook.requests.map(\.text)
        #expect(texts.count == 1 && texts.first?.contains("Ferry: to_sqlite failed") == true, "\(texts)")
        #expect(!serve.log.contains("s3cret"))
    }

    @Test func eachSiteRunsItsOwnPipelinesAndATriggerNamesOneSiteOrAll() throws {
        let sandbox = try Self.makeSandbox(
            extra: """
                sites:
                  acme:
                    connections:
                      warehouse: { path: out/acme.db }
                  globex:
                    connections:
                      warehouse: { path: out/globex.db }
                """)
        let serve = try ServeProcess(sandbox)
        let listed = try #require(try serve.request("GET", "/v1/pipelines").1["pipelines"] as? [[String: Any]])
        #expect(listed.map { "\($0["site"] ?? "")/\($0["pipeline"] ?? "")" } == ["acme/to_sqlite", "globex/to_sqlite"])
        let (one, body) = try serve.request("POST", "/v1/pipelines/to_sqlite/runs", body: #"{"site": "globex"}"#)
        #expect(one == 202 && (body["accepted"] as? [[String: String]])?.map { $0["site"] } == ["globex"])
        try serve.waitForLog("Run finished.")
        try serve.waitUntilIdle("to_sqlite", site: "globex")
        #expect(try sandbox.sql("out/globex.db", "SELECT COUNT(*) FROM records;") == ["400"])
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("out/acme.db")))
        let (all, _) = try serve.request("POST", "/v1/pipelines/to_sqlite/runs")
        #expect(all == 202)
        try serve.waitForLog("Run finished.", occurrence: 3)
        try serve.waitUntilIdle("to_sqlite", site: "acme")
        #expect(try sandbox.sql("out/acme.db", "SELECT COUNT(*) FROM records;") == ["400"])
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }
}
