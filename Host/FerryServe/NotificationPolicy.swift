import FerryCore

/// When `ferry serve` tells people something, as a value with no I/O: fed each run's
/// outcome, it answers with the notifications to send.
///
/// - **Failure**: a pipeline's run failed after a success (or as its first run). A
///   pipeline that keeps failing is reported once, not at every run.
/// - **Recovery**: a run succeeded (or ended with dead letters) after a failure.
/// - **Dead letters**: a pipeline's open dead letters reached the threshold; reported
///   again only after they fell below it (replayed or discarded).
/// - **Conflicts**: a run left more conflicts waiting for a person than the pipeline had
///   before (a two-way field nobody decided, such as vysync's client mapping); reported once
///   per new batch of them, not again while they wait.
/// - **Summary**: at the summary schedule, what ran since the last summary.
///
/// Busy (another process held the lease), skipped and cancelled runs are neither
/// failures nor recoveries.
public struct NotificationPolicy: Sendable {
    /// Something worth telling.
    public enum Event: Sendable, Equatable {
        case failed(PipelineID, message: String)
        case recovered(PipelineID)
        case deadLetters(PipelineID, open: Int, threshold: Int)
        case conflicts(PipelineID, new: Int, open: Int)
        case summary(Summary)
    }

    /// What ran between two summaries.
    public struct Summary: Sendable, Equatable {
        public var runs = 0
        public var failures = 0
        public var recordsRead = 0
        public var recordsWritten = 0
        public var deadLetters = 0
        /// Pipelines whose latest run failed, sorted.
        public var failing: [String] = []

        /// An empty summary.
        public init() {}
    }

    /// Open dead letters at which a pipeline is reported.
    public let deadLetterThreshold: Int
    var failing = Set<PipelineID>()
    var overThreshold = Set<PipelineID>()
    /// Open conflicts per pipeline as last told (or seen).
    var knownConflicts: [PipelineID: Int] = [:]
    private var period = Summary()

    /// Creates a policy.
    /// - Parameter deadLetterThreshold: open dead letters at which a pipeline is reported (at least 1).
    public init(deadLetterThreshold: Int) {
        self.deadLetterThreshold = max(1, deadLetterThreshold)
    }

    /// A run ended.
    /// - Parameters:
    ///   - key: the pipeline.
    ///   - result: how it ended.
    ///   - openDeadLetters: the pipeline's open dead letters now, if known.
    ///   - openConflicts: the pipeline's open conflicts now, if known.
    /// - Returns: what to send.
    public mutating func finished(
        _ key: PipelineID, _ result: RunResult, openDeadLetters: Int?, openConflicts: Int? = nil
    ) -> [Event] {
        var events: [Event] = []
        switch result.status {
        case "failed":
            period.runs += 1
            period.failures += 1
            if failing.insert(key).inserted {
                events.append(.failed(key, message: result.message ?? "no reason given"))
            }
        case "succeeded", "dead_lettered", "rate_limited":
            period.runs += 1
            if failing.remove(key) != nil { events.append(.recovered(key)) }
        default:
            break
        }
        period.recordsRead += result.counts.read
        period.recordsWritten += result.counts.written
        period.deadLetters += result.counts.rejected
        if let open = openDeadLetters {
            if open >= deadLetterThreshold {
                if overThreshold.insert(key).inserted {
                    events.append(.deadLetters(key, open: open, threshold: deadLetterThreshold))
                }
            } else {
                overThreshold.remove(key)
            }
        }
        if let open = openConflicts {
            let known = knownConflicts[key] ?? 0
            if open > known { events.append(.conflicts(key, new: open - known, open: open)) }
            knownConflicts[key] = open
        }
        return events
    }

    /// The summary is due: what ran since the last one (then counting starts again).
    public mutating func summary() -> Event {
        var summary = period
        summary.failing = failing.map(\.description).sorted()
        period = Summary()
        return .summary(summary)
    }
}

extension NotificationPolicy.Event {
    /// A one-line title and a few lines of text, the same for every channel. Built only
    /// from pipeline names, counts and run messages that were redacted where they arose.
    public var message: (title: String, text: String) {
        switch self {
        case .failed(let key, let message):
            return ("Ferry: \(key) failed", "The pipeline \(key) failed: \(message)")
        case .recovered(let key):
            return ("Ferry: \(key) recovered", "The pipeline \(key) ran successfully again.")
        case .deadLetters(let key, let open, let threshold):
            return (
                "Ferry: \(key) has \(open) dead letters",
                "The pipeline \(key) has \(open) open dead letters (threshold \(threshold)). `ferry errors list` shows them; replay after a fix."
            )
        case .conflicts(let key, let new, let open):
            return (
                "Ferry: \(key) has \(new) new conflict\(new == 1 ? "" : "s")",
                "The pipeline \(key) kept the destination's value of \(new) field\(new == 1 ? "" : "s") that both sides changed "
                    + "and no policy decides (\(open) open). `ferry conflicts list` shows them; "
                    + "`ferry conflicts resolve ID --take source|destination` decides one."
            )
        case .summary(let summary):
            let failing = summary.failing.isEmpty ? "none" : summary.failing.joined(separator: ", ")
            return (
                "Ferry: summary",
                "\(summary.runs) runs, \(summary.failures) failed; \(summary.recordsRead) records read, "
                    + "\(summary.recordsWritten) written, \(summary.deadLetters) dead letters. Failing now: \(failing)."
            )
        }
    }
}
