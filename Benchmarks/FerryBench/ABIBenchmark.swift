import CFerryPlugin
import FerryCore
import FerryEngine
import FerryJSON
import FerryPluginSDK
import Foundation
import Logging

/// Pushes records from the C reference source (cdemo) through the host's
/// pipeline runner to cdemo's null sink, and compares with the same plugin
/// calls made directly: the difference is the host's overhead per record. Then the same
/// pipeline with both connections under `isolation: process`: the price of a child process.
struct ABIBenchmark {
    var records: Int
    var batchSize = 10_000

    func run() throws {
        let folder = try Bench.temporaryFolder("abi")
        defer { try? FileManager.default.removeItem(at: folder) }
        let workspace = try self.workspace(in: folder.appendingPathComponent("in-process"), isolation: "in_process")

        // 1. The plugin alone: read_next + write through the C table, no host engine.
        let direct = try directCalls(workspace)

        // 2. The whole host path: runner, batch copy, state commit per batch.
        let (seconds, store) = try timedRun(workspace)

        // 3. The same with both plugins in child processes (`isolation: process`).
        let isolated = try self.workspace(in: folder.appendingPathComponent("isolated"), isolation: "process")
        let (isolatedSeconds, _) = try timedRun(isolated)

        let overhead = (seconds - direct) / Double(records) * 1e9
        let cpuOverhead = (seconds - direct - store.commitSeconds) / Double(records) * 1e9
        print("abi: \(records) records, C source → host → C null sink, batches of \(batchSize)")
        print(
            "  through the host:   \(Bench.format(Double(records) / seconds)) records/s (\(String(format: "%.2f", seconds)) s)"
        )
        print(
            "  plugin calls alone: \(Bench.format(Double(records) / direct)) records/s (\(String(format: "%.2f", direct)) s)"
        )
        print("  host overhead:      \(String(format: "%.1f", overhead)) ns/record in all")
        print(
            "    of which durable state commits: \(store.commits) commits, \(String(format: "%.2f", store.commitSeconds * 1000 / Double(max(1, store.commits)))) ms each (fsync)"
        )
        print("    the rest (engine, copies, calls): \(String(format: "%.1f", cpuOverhead)) ns/record")
        print(
            "  isolation: process: \(Bench.format(Double(records) / isolatedSeconds)) records/s (\(String(format: "%.2f", isolatedSeconds)) s), "
                + "\(String(format: "%.1f", (isolatedSeconds - seconds) / Double(records) * 1e9)) ns/record more than in-process "
                + "(source and sink each in a child ferry plugin-host)"
        )
    }

    /// A workspace whose `push` pipeline moves `records` from cdemo's source to its null sink.
    private func workspace(in folder: URL, isolation: String) throws -> Workspace {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("ferry.yaml")
        try """
        state: state.db
        connections:
          counter: { plugin: cdemo, isolation: \(isolation), config: { count: \(records), batch_size: \(batchSize) } }
          sink: { plugin: cdemo, isolation: \(isolation), config: { count: 0 } }
        pipelines:
          push:
            source: { connection: counter, stream: numbers }
            destination: { connection: sink, stream: numbers }
            write: append
            batch_size: \(batchSize)
        """.write(to: config, atomically: true, encoding: .utf8)
        return try Workspace(configPath: config.path, site: nil, logLevel: .warning)
    }

    /// Runs `push` through the pipeline runner; its seconds and the timed state store.
    private func timedRun(_ workspace: Workspace) throws -> (Double, TimedStateStore) {
        let plan = try workspace.plan(try workspace.pipelines(named: ["push"])[0])
        let store = TimedStateStore(workspace.store)
        let runner = PipelineRunner(plan: plan, store: store, logger: workspace.logger)
        let started = Date()
        let report = try runner.run()
        let seconds = Date().timeIntervalSince(started)
        guard report.counts.written == records else {
            throw BenchError("expected \(records) written, got \(report.counts.written)")
        }
        return (seconds, store)
    }

    /// Times cdemo's read_next and write slots called directly through the C
    /// table, releasing every buffer: the cost no host can avoid.
    private func directCalls(_ workspace: Workspace) throws -> Double {
        let source = try workspace.openConnection("counter")
        let sink = try workspace.openConnection("sink")
        let api = source.api.pointee
        var reader: OpaquePointer?
        var error = ferry_error.empty
        let readRequest = JSONWriter().encodeString(ReadRequest(stream: "numbers", batchSize: batchSize).json)
        let writeRequest = JSONWriter().encodeString(
            WriteRequest(stream: "numbers", operation: .append, batchID: "bench").json)
        let started = Date()
        guard withBorrowedString(readRequest, { api.read_open!(source.instance, $0, &reader, &error) }) == FERRY_OK
        else {
            throw BenchError("read_open failed")
        }
        var total = 0
        var batch = ferry_batch()
        while api.read_next!(reader, &batch, &error) == FERRY_OK {
            var result = ferry_write_result()
            _ = withBorrowedString(writeRequest) {
                sink.api.pointee.write!(sink.instance, $0, batch.records, &result, &error)
            }
            total += Int(result.accepted_count)
            result.release?(&result)
            batch.release?(&batch)
        }
        api.read_close!(reader)
        guard total == records else { throw BenchError("direct path moved \(total) records, expected \(records)") }
        return Date().timeIntervalSince(started)
    }
}
