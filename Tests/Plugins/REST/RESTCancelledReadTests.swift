import FerryCore
import FerryTesting
import Foundation
import Testing

@testable import FerryEngine

/// A cancel (SIGTERM, Ctrl-C, `serve` stopping) that reaches the source while it waits for a
/// page — after the runner's check between batches — ends the run as cancelled, not failed:
/// the pages before it are committed with their checkpoint, the next run goes on from there.
@Suite struct RESTCancelledReadTests {
    /// A page API whose second page asks `cancel` and then answers too late; `extra` is added to
    /// the pipeline (`read_ahead_mib`), `prefetch` to the connector.
    static func scenario(pipeline extra: String, prefetch: Bool) throws -> (Workspace, Sandbox, LoopbackServer) {
        let cancelling = Cancelling()
        let server = try LoopbackServer { request in
            let page = Int(request.query["page"] ?? "1") ?? 1
            guard page == 1 else {
                cancelling.cancel()
                return .delayed(seconds: 10, .json(#"{"data":[]}"#))
            }
            let records = (1...3).map { #"{"id":\#($0),"updated":"2025-01-01T00:00:0\#($0)Z"}"# }
            return .json(#"{"data":[\#(records.joined(separator: ","))]}"#)
        }
        let (opened, sandbox) = try RESTPageLinesTests.workspace(
            serving: server, streamOptions: "prefetch: \(prefetch), ",
            destination: "{ plugin: sqlite, config: { path: out.db } }",
            pipelineOptions: extra)
        cancelling.workspace = opened
        return (opened, sandbox, server)
    }

    /// No read-ahead anywhere: the runner itself is inside `read_next` when the cancel comes.
    @Test func aCancelWhileTheSourceWaitsEndsTheRunCancelledWithItsPagesCommitted() throws {
        let (workspace, sandbox, server) = try Self.scenario(
            pipeline: ", read_ahead_mib: 0, commit_records: 3", prefetch: false)
        defer { withExtendedLifetime(server) {} }
        let plan = try workspace.plan(try workspace.pipelines(named: ["items"])[0])
        let started = Date()
        let report = try PipelineRunner(
            plan: plan, store: workspace.store, cancellation: workspace.cancellation, logger: workspace.logger
        ).run()
        #expect(Date().timeIntervalSince(started) < 4, "the cancel aborts the page's request, not its reply")
        #expect(report.status == .cancelled)
        #expect(report.counts.written == 3)
        // Recorded as a cancel between batches is: its counts, no error.
        #expect(
            try sandbox.sql("state.db", "SELECT status, message FROM runs;") == [
                "cancelled|read 3, written 3, unchanged 0, deleted 0, dead letters 0"
            ])
        #expect(try sandbox.sql("out.db", "SELECT id FROM items ORDER BY id;") == ["1", "2", "3"])
        let checkpoint = try workspace.store.checkpoint(for: PipelineID(pipeline: "items"), stream: "items")
        #expect(checkpoint?.contains("2025-01-01T00:00:03Z") == true, "\(checkpoint ?? "nil")")
    }

    /// The defaults (the engine and the connector both read ahead): the cancel reaches a read
    /// running beside the write; whichever side sees it first, the run ends cancelled.
    @Test func aCancelDuringAReadAheadEndsTheRunCancelled() throws {
        let (workspace, sandbox, server) = try Self.scenario(pipeline: "", prefetch: true)
        defer { withExtendedLifetime(server) {} }
        let plan = try workspace.plan(try workspace.pipelines(named: ["items"])[0])
        let report = try PipelineRunner(
            plan: plan, store: workspace.store, cancellation: workspace.cancellation, logger: workspace.logger
        ).run()
        #expect(report.status == .cancelled)
        #expect(try sandbox.sql("state.db", "SELECT status FROM runs;") == ["cancelled"])
        #expect(try sandbox.sql("out.db", "SELECT COUNT(*) FROM items;") == ["3"])
    }

    /// The workspace the server's handler cancels, set once the server (whose URL the
    /// workspace's config holds) is up.
    final class Cancelling: @unchecked Sendable {
        private let lock = NSLock()
        private var opened: Workspace?
        var workspace: Workspace? {
            get { lock.withLock { opened } }
            set { lock.withLock { opened = newValue } }
        }
        func cancel() { workspace?.cancelAll() }
    }
}
