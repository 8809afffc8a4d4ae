import FerryTesting
import Foundation
import Testing

/// One retry budget per request: the host's HTTP service retries a failing
/// request `max_attempts` times and the engine does not retry the plugin call on
/// top (which once made 5 × 5 = 25 requests), and SIGTERM aborts a request under
/// way instead of waiting out its timeout.
@Suite struct RetryBudgetTests {
    static func sandbox(_ server: LoopbackServer, attempts: Int, timeout: Int) throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "\(server.url)", max_attempts: \(attempts), timeout_seconds: \(timeout), max_retry_wait_seconds: 5 }
                config:
                  streams:
                    - { name: items, path: items, records_path: data, primary_key: id }
              out: { plugin: file, config: { path: out.jsonl } }
            pipelines:
              items: { source: { connection: api, stream: items }, destination: { connection: out } }
            """)
        return sandbox
    }

    @Test func aFailingRequestIsSentMaxAttemptsTimesNotMaxAttemptsSquared() throws {
        let server = try LoopbackServer { _ in .json(#"{"error":"down"}"#, status: 503) }
        let sandbox = try Self.sandbox(server, attempts: 3, timeout: 5)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(server.requests.count == 3, "one budget of 3 attempts, got \(server.requests.count) requests")
    }

    @Test func sigtermAbortsARequestUnderWay() throws {
        let server = try LoopbackServer { _ in .delayed(seconds: 20, .json(#"{"data":[]}"#)) }
        let sandbox = try Self.sandbox(server, attempts: 1, timeout: 30)
        let process = try sandbox.start(["run"])
        // Wait until the request is under way, then ask the run to stop.
        waitUntil(within: 10) { !server.requests.isEmpty }
        #expect(!server.requests.isEmpty, "the run never sent its request")
        let asked = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let waited = Date().timeIntervalSince(asked)
        #expect(process.terminationStatus == 130, "exit \(process.terminationStatus)")
        // A generous bound that still tells an aborted request (well under a second) from
        // one waited out (20 s): the machine may be slow, never that slow.
        #expect(waited < 10, "SIGTERM waited \(waited) s for the request")
    }
}
