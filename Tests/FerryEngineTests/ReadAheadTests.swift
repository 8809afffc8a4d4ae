import FerryTesting
import Foundation
import Testing

/// The source's next batch is read while the destination writes the one before
/// (`SourceReadAhead`, config `read_ahead_mib`). The real `ferry` runs the demo counter into
/// the demo sink with `await_read_ahead_s`: the sink's write of its n-th batch waits until the
/// process's demo sources finished n + 1 reads, and fails if they have not. Each test runs its
/// own process, because the count of reads is the process's.
@Suite struct ReadAheadTests {
    static func sandbox(wait: Double, pipelineExtra: String = "", _ name: String = #function) throws -> Sandbox {
        let sandbox = try Sandbox(name)
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              counter: { plugin: demo, config: { count: 95 } }
              sink: { plugin: demo, config: { await_read_ahead_s: \(wait) } }
            pipelines:
              numbers:
                source: { connection: counter, stream: numbers }
                destination: { connection: sink, stream: numbers }
                primary_key: [id]
                batch_size: 10
            \(pipelineExtra)
            """)
        return sandbox
    }

    static func report(_ outcome: Sandbox.Outcome) throws -> [String: Any]? {
        let json = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
        return (json?["runs"] as? [[String: Any]])?.first
    }

    /// Every write finds the next batch already read (or being read): ten writes, each of which
    /// would fail after 10 s without reading ahead.
    @Test func theNextBatchIsReadWhileTheDestinationWrites() throws {
        let sandbox = try Self.sandbox(wait: 10)
        let run = try sandbox.ferry(["run", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.report(run)
        #expect(report?["read"] as? Int == 95, "\(run.stdout)")
        #expect(report?["written"] as? Int == 95, "\(run.stdout)")
        #expect(try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints;") == [#"{"last_id":95}"#])
    }

    /// `read_ahead_mib: 0` reads each batch only when the run takes it up: the sink's first write
    /// waits in vain, and the run fails naming why, with nothing committed.
    @Test func readAheadZeroReadsEachBatchWhenItIsTakenUp() throws {
        let sandbox = try Self.sandbox(wait: 0.5, pipelineExtra: "    read_ahead_mib: 0")
        let run = try sandbox.ferry(["run"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("the source had not finished read 2 while batch 1 was written"), "\(run.stderr)")
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM checkpoints;") == ["0"])
    }

    /// A run with `--limit` asks the source for no batch it may not need (a rate-limited API's
    /// budget is not spent on a page past the limit): nothing is read ahead.
    @Test func aLimitedRunReadsNothingAhead() throws {
        let sandbox = try Self.sandbox(wait: 0.5)
        let run = try sandbox.ferry(["run", "--limit", "30"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("the source had not finished read 2 while batch 1 was written"), "\(run.stderr)")
    }

    /// A source that breaks the protocol on its fifth page, read ahead while the fourth is
    /// written: the four pages before it are committed, the run fails naming the page's record,
    /// and the rerun after the fix reads from the fifth page on.
    @Test func aBrokenBatchReadAheadFailsTheRunAfterTheBatchesBeforeIt() throws {
        let sandbox = try NothingLostTests.flakySandbox(write: "upsert", batchSize: 10, commitRecords: 1)
        try NothingLostTests.faults(sandbox, "malformed 5")
        let failed = try sandbox.ferry(["run"])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("broke the batch protocol"), "\(failed.stderr)")
        #expect(try CommitGroupTests.seqs(sandbox) == Array(1...40))
        #expect(try CommitGroupTests.stateCheckpoint(sandbox) == [#"{"after":40}"#])
        try NothingLostTests.faults(sandbox, "")
        let rerun = try sandbox.ferry(["run", "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.report(rerun)?["read"] as? Int == 60, "\(rerun.stdout)")
        #expect(try CommitGroupTests.seqs(sandbox) == Array(1...100))
    }
}
