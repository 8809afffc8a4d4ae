import FerryCore
import Foundation
import Logging

/// The log lines of the latest runs `ferry serve` started, kept in memory (the latest
/// 200 runs, 2,000 lines each) for `GET /v1/runs/{id}/log` and the dashboard. Lines
/// are redacted as the console's are; they do not outlive the process.
public final class RunLogBook: @unchecked Sendable {
    private let lock = NSLock()
    private var logs: [RunID: [String]] = [:]
    private var order: [RunID] = []
    private let keptRuns: Int

    /// Creates an empty book.
    /// - Parameter keptRuns: how many runs' logs to keep.
    public init(keptRuns: Int = 200) { self.keptRuns = keptRuns }

    /// Files a finished run's lines under its id, dropping the oldest run's beyond the limit.
    func keep(_ capture: RunLogCapture, as run: RunID) {
        let lines = capture.lines
        lock.withLock {
            if logs.updateValue(lines, forKey: run) == nil { order.append(run) }
            while order.count > keptRuns { logs[order.removeFirst()] = nil }
        }
    }

    /// A run's lines, or nil when none are kept.
    /// - Parameter run: the run's id.
    public func lines(of run: RunID) -> [String]? { lock.withLock { logs[run] } }
}

/// The lines one run logs while it runs.
final class RunLogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []
    private var dropped = 0
    static let maxLines = 2000

    func append(_ line: String) {
        lock.withLock {
            if kept.count < Self.maxLines { kept.append(line) } else { dropped += 1 }
        }
    }

    var lines: [String] {
        lock.withLock { dropped == 0 ? kept : kept + ["… \(dropped) more lines not kept"] }
    }
}

/// A log handler that adds each line, redacted, to a run's capture.
struct CapturingLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let capture: RunLogCapture
    let redactor: Redactor

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.filter { $0.key != "pipeline" && $0.key != "site" }
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = ISO8601DateFormatter.string(
            from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime])
        capture.append(
            redactor.redact("\(time) \(event.level.rawValue) \(event.message)" + (fields.isEmpty ? "" : " " + fields)))
    }
}
