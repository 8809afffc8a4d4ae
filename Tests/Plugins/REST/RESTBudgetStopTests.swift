import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Testing

/// A daily request budget used up mid-run: `ferry run` stops cleanly with exit 75,
/// says when the budget resets, keeps the pages it committed, and a run in the same
/// day stops at once instead of spending requests the account no longer has.
@Suite struct RESTBudgetStopTests {
    @Test func aUsedUpDayBudgetStopsTheRunAndKeepsItsCheckpoints() throws {
        let server = try RESTConnectorTests.simulator()
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "\(server.url)", budget: { name: vendor-account, per_day: 2 } }
                config:
                  streams:
                    - \(RESTConnectorTests.streams[0].yaml)
              out: { plugin: file, config: { path: out.jsonl } }
            pipelines:
              page: { source: { connection: api, stream: page }, destination: { connection: out } }
            """)
        let first = try sandbox.ferry(["run"])
        #expect(first.status == 75, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("rate_limited"), "\(first.stdout)")
        #expect(
            first.stdout.contains(
                "daily request budget 'vendor-account' (2 requests per day) is used up; it resets at"),
            "\(first.stdout)")
        let landed = try sandbox.read("out.jsonl").split(separator: "\n").count
        #expect(landed == 10) // two pages of five
        #expect(server.requests.count == 2)
        let status = try sandbox.ferry(["status"])
        #expect(status.stdout.contains("rate_limited"), "\(status.stdout)")
        #expect(status.stdout.contains("2025-01-01T00:00:10Z"), "the checkpoint of the second page: \(status.stdout)")

        // The budget is kept in state: the next run the same day sends nothing.
        let second = try sandbox.ferry(["run"])
        #expect(second.status == 75)
        #expect(server.requests.count == 2)
        #expect(try sandbox.read("out.jsonl").split(separator: "\n").count == 10)
    }
}
