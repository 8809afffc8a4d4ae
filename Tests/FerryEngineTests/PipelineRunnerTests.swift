import FerryCore
import FerryJSON
import FerryPluginSDK
import FerryTesting
import Foundation
import Testing

@testable import FerryEngine

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
        \(indented(extra))
        """
    }

    /// Re-indents a block of pipeline YAML to sit under `pipelines:`.
    static func indented(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let margin = lines.filter { !$0.allSatisfy(\.isWhitespace) }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return lines.map { line in
            "  " + String(line.dropFirst(min(margin, line.count)))
        }.joined(separator: "\n")
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
        #expect(
            try workspace.store.checkpoint(for: PipelineID(pipeline: "numbers"), stream: "numbers")
                == #"{"last_id":100}"#)
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

    @Test func transformRejectionsBecomeDeadLettersAndReplayDeliversThemAfterAFix() throws {
        let sandbox = try Sandbox()
        let broken = Self.demoConfig(
            count: 30, batch: 10,
            extra: """
                labelled:
                  source: { connection: counter, stream: numbers }
                  destination: { connection: sink, stream: numbers }
                  batch_size: 10
                  transforms:
                    - { op: cast, field: label, to: integer }
                """)
        let config = try sandbox.write("ferry.yaml", broken)
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let report = try run(workspace, "labelled")
        #expect(report.counts.read == 30)
        #expect(report.counts.rejected == 30)
        #expect(report.status == .deadLettered)
        let id = PipelineID(pipeline: "labelled")
        let letters = try workspace.store.deadLetters(for: id, includeReplayed: false, limit: 100)
        #expect(letters.count == 30)
        #expect(letters.allSatisfy { $0.stage == "transform" && $0.error.contains("label") })
        #expect(letters.first?.record.contains(#""label":"n"#) == true)
        // The checkpoint still advances: the records are accounted for in the dead-letter table.
        #expect(try workspace.store.checkpoint(for: id, stream: "numbers") == #"{"last_id":30}"#)

        // Fix the config (drop the cast) and replay.
        try sandbox.write("ferry.yaml", broken.replacingOccurrences(of: "to: integer", with: "to: string"))
        let fixed = try Workspace(configPath: config, site: nil, logLevel: .error)
        let plan = try fixed.plan(try fixed.pipelines(named: ["labelled"])[0])
        let replay = try PipelineRunner(plan: plan, store: fixed.store, logger: fixed.logger).replay(letters)
        #expect(replay.counts.written == 30)
        #expect(replay.counts.rejected == 0)
        #expect(try fixed.store.deadLetters(for: id, includeReplayed: false, limit: 100).isEmpty)
        #expect(try fixed.store.deadLetters(for: id, includeReplayed: true, limit: 100).count == 30)
    }

    @Test func destinationRejectionsBecomeDeadLettersAndTheRestIsWritten() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write(
            "ferry.yaml",
            Self.demoConfig(
                count: 20, batch: 10, sink: "{ reject_field: bad }",
                extra: """
                    flagged:
                      source: { connection: counter, stream: numbers }
                      destination: { connection: sink, stream: numbers }
                      batch_size: 10
                      transforms:
                        - { op: set, field: bad, value: true }
                        - { op: filter, where: { field: id, less_than: 16 } }
                    """))
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let report = try run(workspace, "flagged")
        #expect(report.counts.read == 20)
        #expect(report.counts.rejected == 15)
        #expect(report.counts.written == 0)
        let letters = try workspace.store.deadLetters(
            for: PipelineID(pipeline: "flagged"), includeReplayed: false, limit: 100)
        #expect(letters.allSatisfy { $0.stage == "destination" && $0.error.contains("bad") })
    }

    @Test func upsertSkipsUnchangedRecordsByContentHash() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write(
            "ferry.yaml",
            Self.demoConfig(
                count: 40, batch: 15,
                extra: """
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
        let config = try sandbox.write(
            "ferry.yaml",
            Self.demoConfig(
                count: 1000,
                extra: """
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
}

/// Stopping: the workspace's cancelAll reaches the plugin's cancel slot.
@Suite struct CancellationTests {
    @Test func cancelAllStopsAReadInProgressThroughThePluginsCancelSlot() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", PipelineRunnerTests.demoConfig(count: 1000, batch: 10))
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let source = try workspace.openConnection("counter")
        let reader = try source.read(ReadRequest(stream: "numbers", batchSize: 10))
        #expect(try reader.next()?.count == 10)
        workspace.cancelAll()
        #expect(workspace.cancellation.isCancelled)
        do {
            _ = try reader.next()
            Issue.record("a cancelled read must fail")
        } catch let error as PluginCallError {
            #expect(error.status == -5) // FERRY_ERR_CANCELLED
            #expect(error.slot == "read_next")
        }
    }
}
