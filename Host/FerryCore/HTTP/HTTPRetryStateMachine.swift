/// Decides, after each attempt of one HTTP request, whether to hand the
/// response to the plugin, retry (and after how long), renew credentials, or
/// fail with a typed reason. A value type with no I/O, built on
/// ``RetrySchedule`` for backoff with jitter and the limits on attempts and
/// total wait.
///
/// Rules: a 429 and a refused connection are retried for every method (the
/// server did not act on the request); 5xx, timeouts and broken transfers are
/// retried only for idempotent methods or requests marked retry-safe; a 401 is
/// answered once by renewing credentials when the connection can; any other
/// status is delivered.
public struct HTTPRetryStateMachine: Sendable {
    /// How one attempt ended.
    public enum Outcome: Sendable, Equatable {
        /// A complete response.
        case response(status: Int, rateLimit: RateLimitHeaders)
        /// No response: the transport failed.
        case transportFailure(TransportFailure)
    }

    /// Transport failures, as the retry rules tell them apart.
    public enum TransportFailure: Sendable, Equatable {
        /// The connection was refused or the host not found: the request was not sent.
        case connect(String)
        /// The request timed out (connect or total).
        case timeout(String)
        /// The body ended before its announced length, or the connection broke mid-transfer.
        case truncated(String)
        /// The body exceeded the response size cap; not retried.
        case tooLarge(String)
        /// Anything else (TLS failure, malformed response); not retried.
        case other(String)
    }

    /// Why a request failed for good; maps to an ABI status.
    public enum Failure: Sendable, Equatable {
        /// Transient: a later run may succeed (`FERRY_ERR_RETRYABLE`).
        case retryable(String)
        /// Rate limited past what the limits allow waiting (`FERRY_ERR_RATE_LIMITED`).
        case rateLimited(String, retryAfter: Double?)
        /// Permanent (`FERRY_ERR_INVALID`).
        case invalid(String)
    }

    /// What the caller does next.
    public enum Action: Sendable, Equatable {
        /// Hand the response to the plugin.
        case deliver
        /// Sleep this long, then send the request again.
        case retry(afterSeconds: Double)
        /// Renew credentials (OAuth token, cookie session), then send again at once.
        case renewCredentialsAndRetry
        /// Stop with this failure.
        case fail(Failure)
    }

    /// Whether the request may be repeated after the server may have acted on it.
    public let repeatable: Bool
    /// Whether the connection can renew credentials on a 401.
    public let canRenewCredentials: Bool
    /// The backoff schedule (attempts, delays, total wait).
    public private(set) var schedule: RetrySchedule
    private var renewed = false

    /// Methods that RFC 9110 defines as idempotent.
    public static let idempotentMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]

    /// Creates the machine for one request.
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - retrySafe: Whether the plugin marked a non-idempotent request as safe to repeat.
    ///   - canRenewCredentials: Whether a 401 can be answered by renewing credentials.
    ///   - schedule: The backoff schedule.
    public init(method: String, retrySafe: Bool, canRenewCredentials: Bool, schedule: RetrySchedule) {
        self.repeatable = retrySafe || Self.idempotentMethods.contains(method.uppercased())
        self.canRenewCredentials = canRenewCredentials
        self.schedule = schedule
    }

    /// Attempts made so far.
    public var attempts: Int { schedule.attempts }

    /// Feeds the outcome of one attempt.
    /// - Parameters:
    ///   - outcome: How the attempt ended.
    ///   - now: The current time in seconds since 1970 (to turn reset dates into waits).
    public mutating func event(_ outcome: Outcome, now: Double) -> Action {
        switch outcome {
        case .response(let status, let rateLimit):
            switch status {
            case 401 where canRenewCredentials && !renewed:
                renewed = true
                return .renewCredentialsAndRetry
            case 429:
                let wait = rateLimit.wait(now: now, limited: true)
                if rateLimit.dayExhausted, let wait, wait > schedule.maxTotalWait {
                    return .fail(.rateLimited("the API's daily limit is used up", retryAfter: wait))
                }
                switch schedule.failed(retryable: true, retryAfter: wait) {
                case .retry(let delay): return .retry(afterSeconds: delay)
                case .giveUp:
                    return .fail(
                        .rateLimited("still rate limited (HTTP 429) after \(attempts) attempts", retryAfter: wait))
                }
            case 500...599:
                return backOff(repeatable, "HTTP \(status)")
            default:
                return .deliver
            }
        case .transportFailure(let failure):
            switch failure {
            case .connect(let message): return backOff(true, message)
            case .timeout(let message), .truncated(let message): return backOff(repeatable, message)
            case .tooLarge(let message), .other(let message): return .fail(.invalid(message))
            }
        }
    }

    private mutating func backOff(_ allowed: Bool, _ reason: String) -> Action {
        switch schedule.failed(retryable: allowed) {
        case .retry(let delay): return .retry(afterSeconds: delay)
        case .giveUp:
            let suffix =
                allowed
                ? " after \(attempts) attempt\(attempts == 1 ? "" : "s")"
                : " (not retried: the request is not idempotent; a connector may mark it retry-safe)"
            return .fail(.retryable(reason + suffix))
        }
    }
}
