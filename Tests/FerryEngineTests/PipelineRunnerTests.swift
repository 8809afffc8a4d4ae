import FerryCore
@testable import FerryEngine
import FerryJSON
import Foundation
import Testing

/// The runner against real plugins (the Swift `demo` and C `cdemo` libraries
/// the build leaves beside the test bundle) and a real SQLite state store.
@Suite struct PipelineRunnerTests {
    static func demoConfig(count: Int, batch: Int = 100, sink: String = "{}", extra: String = "") -> String {
        """
        state: state.db
        connections:
          counter: { plugin: demo, config: { count: \(count) } }
          ccounter: { plugin: cdemo, config: { count: \(count) } }
          sink: { plugin: demo, config: \(sink) }
        pipelines:
          numbers:
            source: { connection: counter, stream: numbers }
            destination: { connection: sink, stream: numbers }
            batch_size: \(batch)
        \(extra)
        """
    }

    func run(_ workspace: Workspace, _ name: String, options: RunOptions = RunOptions()) throws -> RunReport {
        let plan = try workspace.plan(try workspace.pipelines(named: [name])[0])
        return try PipelineRunner(plan: plan, store: workspace.store, options: options, logger: workspace.logger).run()
    }

    @Test func incrementalRunsResumeFromTheCommittedCheckpoint() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", Self.demoConfig(count: 250))
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let first = try run(workspace, "numbers")
        #expect(first.counts.read == 250)
        #expect(first.counts.written == 250)
        #expect(first.status == .succeeded)
        let id = PipelineID(pipeline: "numbers")
        #expect(try workspace.store.checkpoint(for: id, stream: "numbers") == #"{"last_id":250}"#)
        let second = try run(workspace, "numbers")
        #expect(second.counts.read == 0)
        let full = try run(workspace, "numbers", options: RunOptions(fullRefresh: true))
        #expect(full.counts.read == 250)
    }

    @Test func limitStopsEarlyWithoutAdvancingPastUndeliveredRecords() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", Self.demoConfig(count: 500, batch: 100))
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let limited = try run(workspace, "numbers", options: RunOptions(limit: 150))
        #expect(limited.counts.read == 150)
        // The second batch was cut at 50 of 100: its checkpoint must not be stored.
        #expect(try workspace.store.checkpoint(for: PipelineID(pipeline: "numbers"), stream: "numbers") == #"{"last_id":100}"#)
        let rest = try run(workspace, "numbers")
        #expect(rest.counts.read == 400)
    }

    @Test func dryRunWritesNothingAndStoresNoState() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", Self.demoConfig(count: 120))
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let report = try run(workspace, "numbers", options: RunOptions(dryRun: true))
        #expect(report.counts.read == 120)
        #expect(try workspace.store.checkpoint(for: PipelineID(pipeline: "numbers"), stream: "numbers") == nil)
        #expect(try workspace.store.recentRuns(of: nil, limit: 10).isEmpty)
    }

    @Test func destinationRejectionsBecomeDeadLettersAndTheRunGoesOn() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", Self.demoConfig(count: 30, batch: 10, sink: "{ reject_field: odd }", extra: """
              tagged:
                source: { connection: counter, stream: numbers }
                destination: { connection: sink, stream: numbers }
                batch_size: 10
                write: upsert
                transforms:
                  - { op: set, field: odd, value: false }
        """))
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let report = try run(workspace, "tagged")
        #expect(report.counts.read == 30)
        #expect(report.counts.rejected == 0)
        #expect(report.counts.written == 30)
    }

    @Test func upsertSkipsUnchangedRecordsByContentHash() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", Self.demoConfig(count: 40, batch: 15, extra: """
              keyed:
                source: { connection: counter, stream: numbers }
                destination: { connection: sink, stream: numbers }
                write: upsert
                sync: full
                batch_size: 15
        """))
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let first = try run(workspace, "keyed")
        #expect(first.counts.written == 40)
        let second = try run(workspace, "keyed")
        #expect(second.counts.read == 40)
        #expect(second.counts.unchanged == 40)
        #expect(second.counts.written == 0)
        // The demo sink assigns ids: they are kept as mappings from the source key.
        #expect(try workspace.store.destinationID(scope: "sink/numbers", sourceID: "7") == "demo-7")
    }

    @Test func theCSourceFeedsTheSwiftSink() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", Self.demoConfig(count: 1000, extra: """
              mixed:
                source: { connection: ccounter, stream: numbers }
                destination: { connection: sink, stream: numbers }
                batch_size: 64
        """))
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let report = try run(workspace, "mixed")
        #expect(report.counts.read == 1000)
        #expect(report.counts.written == 1000)
    }

    @Test func theRetryScheduleIsUsedForRetryableWriteFailures() {
        var schedule = RetrySchedule(maxAttempts: 3, baseDelay: 1, random: { 0.999 })
        #expect(schedule.failed(retryable: true) == .retry(afterSeconds: 0.9995))
        #expect(schedule.failed(retryable: true, retryAfter: 7) == .retry(afterSeconds: 7))
        #expect(schedule.failed(retryable: true) == .giveUp)
        var permanent = RetrySchedule()
        #expect(permanent.failed(retryable: false) == .giveUp)
    }
}
