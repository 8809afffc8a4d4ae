import FerryTesting
import Foundation
import Testing

/// `ferry run` from cron tells the channels the environment names, as `ferry serve` does: a
/// failure once (not at every failing run), then its recovery once; what was told is kept in
/// the state database between the runs' processes.
@Suite struct RunNotificationTests {
    static func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              input: { plugin: file, config: { path: data/input.jsonl, primary_key: id } }
              warehouse: { plugin: sqlite, config: { path: out/warehouse.db } }
            pipelines:
              to_sqlite:
                source: { connection: input, stream: input }
                destination: { connection: warehouse }
                write: upsert
                primary_key: id
            """)
        return sandbox
    }

    @Test func aFailureIsToldOnceAndItsRecoveryOnce() throws {
        let hook = try LoopbackServer { _ in .json(#"{"ok":true}"#) }
        let sandbox = try Self.sandbox()
        let environment = ["FERRY_NOTIFY_WEBHOOK_URL": hook.url + "/hook/s3cret"]
        var told: [[String]] = []
        for input in [nil, nil, #"{"id":1}"#, #"{"id":1}"#, nil] {
            let path = sandbox.path("data/input.jsonl")
            if let input {
                try sandbox.write("data/input.jsonl", input + "\n")
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
            let before = hook.requests.count
            let run = try sandbox.ferry(["run"], environment: environment)
            #expect(run.status == (input == nil ? 1 : 0), "\(run.stdout)\(run.stderr)")
            #expect(!(run.stdout + run.stderr).contains("s3cret"))
            told.append(hook.requests.dropFirst(before).map(\.text))
        }
        #expect(told.map(\.count) == [1, 0, 1, 0, 1], "\(told)")
        #expect(told[0].first?.contains("Ferry: to_sqlite failed") == true, "\(told)")
        #expect(told[2].first?.contains("Ferry: to_sqlite recovered") == true, "\(told)")
        #expect(told[4].first?.contains("Ferry: to_sqlite failed") == true, "\(told)")
    }

    @Test func anEmailChannelWithoutItsServerStopsBeforeAnyPipelineRuns() throws {
        let sandbox = try Self.sandbox()
        try sandbox.write("data/input.jsonl", #"{"id":1}"# + "\n")
        let run = try sandbox.ferry(["run"], environment: ["FERRY_NOTIFY_EMAIL_TO": "ops@example.com"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("FERRY_NOTIFY_EMAIL_TO needs FERRY_SMTP_URL"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("out/warehouse.db")))
    }
}
