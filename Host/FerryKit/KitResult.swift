/// The outcome of one conformance check.
public struct KitResult: Sendable, Equatable {
    /// How a check ended.
    public enum Outcome: Sendable, Equatable {
        case passed
        /// The plugin broke the contract; the text says how.
        case failed(String)
        /// The check does not apply (a capability the plugin lacks, data it has not).
        case skipped(String)
    }

    /// The check's short name: `spec`, `open`, `read`, `checkpoints`, ….
    public var check: String
    public var outcome: Outcome

    /// - Parameters:
    ///   - check: the check's short name.
    ///   - outcome: how it ended.
    public init(check: String, outcome: Outcome) {
        self.check = check
        self.outcome = outcome
    }

    /// One line for the terminal: `ok   spec`, `FAIL read: …`, `skip write: …`.
    public var line: String {
        switch outcome {
        case .passed: "ok    \(check)"
        case .failed(let why): "FAIL  \(check): \(why)"
        case .skipped(let why): "skip  \(check): \(why)"
        }
    }

    public var failed: Bool { if case .failed = outcome { true } else { false } }
}
