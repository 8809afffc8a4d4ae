/// Decides whether and when to retry a failed call: exponential backoff with
/// full jitter, a server-given `Retry-After` honoured, bounded attempts and a
/// bounded total wait. A value type with no I/O so it is tested directly.
public struct RetrySchedule: Sendable {
    /// What to do after a failure.
    public enum Action: Equatable, Sendable {
        case retry(afterSeconds: Double)
        case giveUp
    }

    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    public var maxTotalWait: Double
    public private(set) var attempts = 0
    public private(set) var totalWait = 0.0
    private var random: @Sendable () -> Double

    /// - Parameters:
    ///   - maxAttempts: calls in all, the first included.
    ///   - baseDelay: seconds before the second attempt (before jitter).
    ///   - maxDelay: cap of one wait.
    ///   - maxTotalWait: cap of all waits together; a `Retry-After` past it gives up.
    ///   - random: a source of values in 0..<1 (injectable for tests).
    public init(
        maxAttempts: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 30, maxTotalWait: Double = 300,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotalWait = maxTotalWait
        self.random = random
    }

    /// Records one failed attempt and says what to do next.
    /// - Parameters:
    ///   - retryable: whether the failure is transient (a retryable or rate-limited status).
    ///   - retryAfter: the wait the server asked for, in seconds, when it said.
    public mutating func failed(retryable: Bool, retryAfter: Double? = nil) -> Action {
        attempts += 1
        guard retryable, attempts < maxAttempts else { return .giveUp }
        let backoff = min(maxDelay, baseDelay * Double(1 << min(attempts - 1, 20)))
        // Full jitter spreads simultaneous retries; a server's Retry-After is a floor, not a suggestion.
        let delay = max(retryAfter ?? 0, backoff * (0.5 + random() / 2))
        guard totalWait + delay <= maxTotalWait else { return .giveUp }
        totalWait += delay
        return .retry(afterSeconds: delay)
    }
}
