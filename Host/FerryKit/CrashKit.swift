import FerrySQLite
import Foundation

/// The crash kit: the plugin's stream read → written into a scratch SQLite database by
/// the real `ferry`, killed with SIGKILL at random points (after a read, after the
/// destination's write, after the state's commit; the engine's failpoints), run again
/// to the end, and compared row for row with an uninterrupted run. A plugin whose
/// checkpoints do not resume exactly loses or doubles records here.
public struct CrashKit {
    /// The plugin's name (as its descriptor says) and its library's folder.
    public var pluginName: String
    public var pluginFolder: String
    /// The connection config, a JSON object's text.
    public var config: String
    /// The stream to read and its primary key (from `discover`).
    public var stream: String
    public var primaryKey: [String]
    /// How many killed runs before the final one.
    public var rounds = 5
    /// The random seed; the report names it so that a failure can be replayed.
    public var seed: UInt64
    /// The `ferry` executable to run.
    public var ferry: String
    /// Runs answered from a recording (`ferry run --replay`) instead of the network.
    public var replay: Replay?

    /// A recording the runs are answered from.
    public struct Replay {
        /// The folder `ferry run --record` wrote.
        public var folder: String
        /// The recorded connection: the source connection takes its name, as the files name it.
        public var connection: String
        /// The recorded `http.endpoint` relative URLs resolve against.
        public var endpoint: String?

        public init(folder: String, connection: String, endpoint: String?) {
            self.folder = folder
            self.connection = connection
            self.endpoint = endpoint
        }
    }

    public init(
        pluginName: String, pluginFolder: String, config: String, stream: String, primaryKey: [String], seed: UInt64,
        ferry: String, rounds: Int = 5
    ) {
        self.rounds = rounds
        self.pluginName = pluginName
        self.pluginFolder = pluginFolder
        self.config = config
        self.stream = stream
        self.primaryKey = primaryKey
        self.seed = seed
        self.ferry = ferry
    }

    static let points = ["after_read", "after_write", "after_commit"]

    /// Runs the kit in a scratch folder (removed afterwards) and returns its outcome.
    public func run() -> KitResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "ferry-crash-kit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        do { return KitResult(check: "crash kit (seed \(seed))", outcome: try crashAndCompare(in: scratch)) } catch {
            return KitResult(check: "crash kit (seed \(seed))", outcome: .failed("\(error)"))
        }
    }

    private func crashAndCompare(in scratch: URL) throws -> KitResult.Outcome {
        let reference = scratch.appendingPathComponent("reference")
        let crashed = scratch.appendingPathComponent("crashed")
        for folder in [reference, crashed] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try configuration().write(
                to: folder.appendingPathComponent("ferry.yaml"), atomically: true, encoding: .utf8)
        }
        let clean = try runFerry(in: reference, failPoints: "after_commit:mark:1")
        guard clean.status == 0 else {
            return .failed("the uninterrupted run failed (exit \(clean.status)): \(clean.errors)")
        }
        let batches = Int(
            (try? String(contentsOf: reference.appendingPathComponent("after_commit"), encoding: .utf8)) ?? "")
        guard let batches, batches > 0 else { return .skipped("the stream returned no batch to crash in") }

        var generator = SplitMix64(seed: seed)
        var kills: [String] = []
        for _ in 0..<rounds {
            let point = Self.points[Int(generator.next() % UInt64(Self.points.count))]
            let hit = 1 + Int(generator.next() % UInt64(batches))
            let run = try runFerry(in: crashed, failPoints: "\(point):kill:\(hit)")
            guard run.status == -SIGKILL || run.status == 0 else {
                return .failed("a run to be killed at \(point) #\(hit) ended with exit \(run.status): \(run.errors)")
            }
            if run.status == -SIGKILL { kills.append("\(point) #\(hit)") }
        }
        let last = try runFerry(in: crashed, failPoints: nil)
        guard last.status == 0 else {
            return .failed("the run after the kills failed (exit \(last.status)): \(last.errors)")
        }

        let expected = try rows(in: reference)
        let got = try rows(in: crashed)
        guard got == expected else {
            let missing = Set(expected).subtracting(got).count
            let extra = got.count - (expected.count - missing)
            return .failed(
                "after kills at \(kills.joined(separator: ", ")) the destination holds \(got.count) rows, the "
                    + "uninterrupted run \(expected.count) (\(missing) missing or changed, \(extra) extra or doubled)")
        }
        return .passed
    }

    /// The pipeline: the plugin's stream into SQLite, upsert by its key (append without one).
    private func configuration() -> String {
        let key =
            primaryKey.isEmpty ? "" : "\n    primary_key: [\(primaryKey.map(Self.quoted).joined(separator: ", "))]"
        let source = Self.quoted(replay?.connection ?? "source")
        let http = replay?.endpoint.map { ", http: { endpoint: \(Self.quoted($0)) }" } ?? ""
        return """
            state: state.db
            plugin_paths: [\(Self.quoted(pluginFolder))]
            connections:
              \(source): { plugin: \(Self.quoted(pluginName)), config: \(config)\(http) }
              kit_scratch: { plugin: sqlite, config: { path: out.db } }
            pipelines:
              kit:
                source: { connection: \(source), stream: \(Self.quoted(stream)) }
                destination: { connection: kit_scratch, stream: kit }
                write: \(primaryKey.isEmpty ? "append" : "upsert")\(key)
                batch_size: 7

            """
    }

    /// A YAML double-quoted scalar (JSON string rules are a subset).
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Every row of the destination table, each as one text, sorted.
    private func rows(in folder: URL) throws -> [String] {
        let database = try SQLiteDatabase(path: folder.appendingPathComponent("out.db").path, readOnly: true)
        defer { database.close() }
        return try database.query("SELECT * FROM kit", purpose: "compare the crash kit's rows") { row in
            (0..<row.columnCount).map { row.isNull(at: $0) ? "NULL" : row.string(at: $0) }.joined(separator: "\u{1f}")
        }.sorted()
    }

    private struct Outcome {
        var status: Int32
        var errors: String
    }

    private func runFerry(in folder: URL, failPoints: String?) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ferry)
        process.arguments =
            ["run", "--config", folder.appendingPathComponent("ferry.yaml").path]
            + (replay.map { ["--replay", $0.folder] } ?? [])
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["FERRY_FAILPOINTS"] = failPoints
        environment["FERRY_FAILPOINT_MARKS"] = folder.path
        process.environment = environment
        let errors = folder.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        let status =
            process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
        let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        return Outcome(status: status, errors: String(text.suffix(600)).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// A small seeded generator (SplitMix64), so that a seed replays the same kill points.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
