import FerryCore
import FerryEngine
import FerryTesting
import Foundation
import Testing

/// `full_schedule` through the real `ferry serve`: the nightly full run it missed while it
/// was stopped runs once, in full (every record read and written again), when it starts.
@Suite(.serialized) struct ServeFullScheduleCommandTests {
    @Test func aMissedNightlyFullRunRunsInFullWhenServeStarts() throws {
        let sandbox = try ServeCommandTests.makeSandbox(extra: "    full_schedule: \"CRON_TZ=UTC 0 2 * * *\"\n")
        let check = try sandbox.ferry(["check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("full schedule 'CRON_TZ=UTC 0 2 * * *'"), "\(check.stdout)")

        // An incremental run from cron reads everything once; its checkpoint is at the end.
        #expect(try sandbox.ferry(["run"]).status == 0)
        // serve's last full run of this pipeline was three nights ago (it was stopped since).
        let threeNightsAgo = Int64(Date().timeIntervalSince1970) - 3 * 86_400
        try Workspace(configPath: sandbox.path("ferry.yaml"), site: nil).store.setValue(
            String(threeNightsAgo), scope: "ferry.serve.full_runs", key: "to_sqlite")

        let serve = try ServeProcess(sandbox)
        try serve.waitForLog("Run finished.")
        try serve.waitUntilIdle("to_sqlite")
        let (status, body) = try serve.request("GET", "/v1/runs?pipeline=to_sqlite")
        #expect(status == 200)
        let runs = try #require(body["runs"] as? [[String: Any]])
        #expect(runs.count == 2, "the cron run and one full run: \(runs)")
        let counts = try #require(runs.first)
        // An incremental run would read nothing past the checkpoint; the full one reads and writes all 400.
        #expect(counts["read"] as? Int == 400, "\(counts)")
        #expect(counts["written"] as? Int == 400, "\(counts)")
        #expect(serve.log.contains("full_refresh=true"), "\(serve.log)")
        let listed = try #require(try serve.pipeline("to_sqlite"))
        #expect((listed["full_schedule"] as? String)?.hasSuffix(" 0 2 * * *") == true, "\(listed)")
        #expect((listed["next_full_run"] as? String)?.hasSuffix("T02:00:00Z") == true, "\(listed)")
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }

    @Test func aMalformedFullScheduleIsRefusedWithItsFileAndLine() throws {
        let sandbox = try ServeCommandTests.makeSandbox(extra: "    full_schedule: \"0 2 * *\"\n")
        let check = try sandbox.ferry(["check"])
        #expect(check.status == 2, "\(check.stdout)\(check.stderr)")
        #expect(check.stderr.contains("ferry.yaml:"), "\(check.stderr)")
        #expect(check.stderr.contains("full_schedule"), "\(check.stderr)")
        #expect(check.stderr.contains("expected a cron expression with 5 fields"), "\(check.stderr)")

        try sandbox.write(
            "ferry.yaml", ServeCommandTests.config(extra: "    full_schedule: \"CRON_TZ=Mars/Base 0 2 * * *\"\n"))
        let zone = try sandbox.ferry(["check"])
        #expect(zone.status != 0)
        #expect(
            (zone.stdout + zone.stderr).contains("pipelines.to_sqlite.full_schedule: unknown time zone 'Mars/Base'"),
            "\(zone.stdout)\(zone.stderr)")
    }
}
