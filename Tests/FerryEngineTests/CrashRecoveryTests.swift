import FerryTesting
import Foundation
import Testing

/// Kills the real `ferry` process at every point of a batch's life (SIGKILL
/// through failpoints, and at random moments), runs it again, and checks that
/// every record arrived exactly once and no checkpoint ran ahead of the data.
@Suite(.serialized) struct CrashRecoveryTests {
    static let recordCount = 3000

    /// A sandbox with a JSONL source and two pipelines: upsert into SQLite, two batches per
    /// commit (a kill may fall inside a commit group), and append into a file, a commit per batch.
    static func makeSandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        var lines = ""
        for id in 1...recordCount {
            lines +=
                #"{"id":\#(id),"value":\#(id * 3),"name":"record \#(id)","updated_at":"2025-01-01T00:00:00Z"}"# + "\n"
        }
        try sandbox.write("data/input.jsonl", lines)
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              input: { plugin: file, config: { path: data/input.jsonl, primary_key: id } }
              warehouse: { plugin: sqlite, config: { path: out/warehouse.db } }
              copy: { plugin: file, config: { path: out/copy.jsonl } }
            pipelines:
              to_sqlite:
                source: { connection: input, stream: input }
                destination: { connection: warehouse, stream: records }
                write: upsert
                primary_key: [id]
                batch_size: 250
                commit_records: 500
              to_file:
                source: { connection: input, stream: input }
                destination: { connection: copy, stream: records }
                write: append
                batch_size: 250
            """)
        return sandbox
    }

    /// Asserts both destinations hold every record exactly once.
    static func expectComplete(_ sandbox: Sandbox, _ context: String) throws {
        let rows = try sandbox.sql("out/warehouse.db", "SELECT COUNT(*), COUNT(DISTINCT id), SUM(value) FROM records;")
        let expectedSum = 3 * recordCount * (recordCount + 1) / 2
        #expect(rows == ["\(recordCount)|\(recordCount)|\(expectedSum)"], "sqlite after \(context)")
        let copied = try sandbox.read("out/copy.jsonl").split(separator: "\n")
        let source = try sandbox.read("data/input.jsonl").split(separator: "\n")
        #expect(copied.count == recordCount, "file copy line count after \(context)")
        #expect(copied == source, "file copy content and order after \(context)")
        let checkpoints = try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints ORDER BY pipeline;")
        let size = try FileManager.default.attributesOfItem(atPath: sandbox.path("data/input.jsonl"))[.size] as! Int
        #expect(
            checkpoints.count == 2 && checkpoints.allSatisfy { $0.contains(#""offset":\#(size)"#) },
            "checkpoints after \(context): \(checkpoints)")
    }

    @Test(arguments: ["after_read", "after_write", "after_commit"])
    func aKillAtAnyPointLosesAndDuplicatesNothing(point: String) throws {
        for hit in [1, 5] {
            let sandbox = try Self.makeSandbox()
            let crashed = try sandbox.ferry(
                ["run", "--config", "ferry.yaml"], environment: ["FERRY_FAILPOINTS": "\(point):kill:\(hit)"])
            #expect(
                crashed.status == -SIGKILL,
                "the first run must die at \(point) #\(hit), got \(crashed.status): \(crashed.stderr)")
            let rerun = try sandbox.ferry(["run", "--config", "ferry.yaml"])
            #expect(rerun.status == 0, "rerun: \(rerun.stderr)")
            try Self.expectComplete(sandbox, "a kill at \(point) #\(hit)")
        }
    }

    @Test func killsAtRandomMomentsLoseAndDuplicateNothing() throws {
        let sandbox = try Self.makeSandbox()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4 {
            let process = try sandbox.start(
                ["run", "--config", "ferry.yaml"], environment: ["FERRY_FAILPOINTS": "after_write:sleep:15"])
            usleep(UInt32.random(in: 150_000...600_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let final = try sandbox.ferry(["run", "--config", "ferry.yaml"])
        #expect(final.status == 0, "final run: \(final.stderr)")
        try Self.expectComplete(sandbox, "random kills")
    }

    @Test func sigtermStopsAtABatchBoundaryAndTheNextRunFinishes() throws {
        let sandbox = try Self.makeSandbox()
        let process = try sandbox.start(
            ["run", "to_file", "--config", "ferry.yaml"],
            environment: sandbox.failPoints("after_commit:sleep:100,after_commit:mark:2"))
        try sandbox.waitForMark("after_commit")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        let partial = try sandbox.read("out/copy.jsonl").split(separator: "\n").count
        #expect(
            partial > 0 && partial < Self.recordCount && partial % 250 == 0,
            "stopped at a batch boundary: \(partial) lines")
        let rest = try sandbox.ferry(["run", "--config", "ferry.yaml"])
        #expect(rest.status == 0, "\(rest.stderr)")
        try Self.expectComplete(sandbox, "SIGTERM")
    }

    @Test func aSecondRunOfTheSamePipelineRefusesWhileTheFirstHoldsItsLease() throws {
        let sandbox = try Self.makeSandbox()
        let first = try sandbox.start(
            ["run", "to_sqlite", "--config", "ferry.yaml"],
            environment: sandbox.failPoints("after_commit:sleep:150,after_commit:mark:1"))
        try sandbox.waitForMark("after_commit")
        let second = try sandbox.ferry(["run", "to_sqlite", "--config", "ferry.yaml"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("already running"), "stderr: \(second.stderr)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let rows = try sandbox.sql("out/warehouse.db", "SELECT COUNT(*) FROM records;")
        #expect(rows == ["\(Self.recordCount)"])
    }
}
