import FerryCore
import FerryTime
import Foundation
import Logging

/// The log lines of one run, captured while it runs and kept with the run in the
/// state store, so `ferry logs RUN` and `serve`'s `GET /v1/runs/{id}/log` show
/// them after the process that ran it has gone (a cron `ferry run` included).
///
/// Lines are redacted as the console's are, at most ``maxLines`` a run; the store
/// keeps the logs of the latest ``keptRuns`` runs.
public final class RunLog: @unchecked Sendable {
    /// How many lines one run keeps; the rest are counted, not kept.
    public static let maxLines = 2000
    /// How many runs' logs the state store keeps.
    public static let keptRuns = 500

    private let lock = NSLock()
    private var kept: [String] = []
    private var dropped = 0
    private let redactor: Redactor

    /// Starts an empty capture.
    /// - Parameter redactor: masks secrets in every line.
    public init(redactor: Redactor) { self.redactor = redactor }

    /// A logger that writes to `console` as before and to this capture.
    /// - Parameter console: the logger the run would use otherwise.
    public func logger(teeing console: Logger) -> Logger {
        var logger = Logger(label: console.label) { [self] _ in
            MultiplexLogHandler([
                console.handler, CapturingLogHandler(logLevel: console.logLevel, capture: self, redactor: redactor),
            ])
        }
        logger.logLevel = console.logLevel
        return logger
    }

    func append(_ line: String) {
        lock.withLock {
            if kept.count < Self.maxLines { kept.append(line) } else { dropped += 1 }
        }
    }

    /// The captured lines, with a last line counting those not kept.
    public var lines: [String] {
        lock.withLock { dropped == 0 ? kept : kept + ["… \(dropped) more lines not kept"] }
    }

    /// Keeps the lines with their run in the state store.
    ///
    /// - Parameters:
    ///   - run: the run's id, from its report or its ``PipelineFailure``; nil (or 0, a dry
    ///     run's) when no run was recorded: a busy lease, a plan that failed, a dry run.
    ///   - store: the state store the run was recorded in.
    public func keep(run: RunID?, in store: any StateStore) {
        guard let run, run > 0 else { return }
        // A log that cannot be kept must not turn a finished run into a failure.
        try? store.saveRunLog(run, lines: lines, keepingLatest: Self.keptRuns)
    }

    /// The id of the run an error of `PipelineRunner` ended, if it recorded one.
    /// - Parameter error: what `run()` or `replay(_:)` threw.
    public static func runID(of error: any Error) -> RunID? { (error as? PipelineFailure)?.runID }
}

/// A log handler that adds each line, redacted, to a run's capture.
struct CapturingLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let capture: RunLog
    let redactor: Redactor

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.filter { $0.key != "pipeline" && $0.key != "site" }
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = UTCTimestamp.string(secondsSince1970: Date().timeIntervalSince1970)
        capture.append(
            redactor.redact("\(time) \(event.level.rawValue) \(event.message)" + (fields.isEmpty ? "" : " " + fields)))
    }
}
