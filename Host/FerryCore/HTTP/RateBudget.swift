import FerryJSON

/// A request allowance shared by every connection that uses one API account:
/// a token bucket for the per-minute limit (smooth, bursts up to the limit) and
/// a counted window for the per-day limit (as APIs count days).
///
/// A value type with no I/O: the caller loads it from the state store, calls
/// ``acquire(now:)`` before each request and ``observe(_:now:)`` after each
/// response, and saves ``serialized`` back, so back-to-back processes respect
/// the same limits. Times are seconds since 1970.
public struct RateBudget: Sendable, Equatable {
    /// The configured limits; nil means unlimited.
    public struct Limits: Sendable, Equatable {
        /// Requests per minute, if limited.
        public var perMinute: Int?
        /// Requests per day, if limited.
        public var perDay: Int?

        /// Creates limits.
        /// - Parameters:
        ///   - perMinute: Requests per minute, or nil.
        ///   - perDay: Requests per day, or nil.
        public init(perMinute: Int? = nil, perDay: Int? = nil) {
            self.perMinute = perMinute
            self.perDay = perDay
        }
    }

    /// What the caller may do now.
    public enum Decision: Sendable, Equatable {
        /// Send the request; one unit was taken.
        case proceed
        /// Wait this many seconds, then ask again (the minute allowance is used up).
        case wait(seconds: Double)
        /// The day allowance is used up until this time (seconds since 1970): stop the run.
        case exhausted(resetsAt: Double)
    }

    /// The limits this budget enforces.
    public var limits: Limits
    /// Tokens left in the minute bucket.
    public private(set) var minuteTokens: Double
    /// When the minute bucket was last refilled.
    public private(set) var refilledAt: Double
    /// Requests counted in the current day window.
    public private(set) var dayUsed: Int
    /// When the current day window started (it lasts 24 hours).
    public private(set) var dayStart: Double
    /// A server-imposed pause (from rate-limit headers): no request before this time.
    public private(set) var pausedUntil: Double

    static let day = 86_400.0

    /// A fresh, full budget.
    /// - Parameters:
    ///   - limits: The limits.
    ///   - now: The current time.
    public init(limits: Limits, now: Double) {
        self.limits = limits
        minuteTokens = Double(limits.perMinute ?? 0)
        refilledAt = now
        dayUsed = 0
        dayStart = now
        pausedUntil = 0
    }

    /// Takes one request's allowance, or says how long to wait.
    /// - Parameter now: The current time.
    public mutating func acquire(now: Double) -> Decision {
        refill(now: now)
        if let perDay = limits.perDay, dayUsed >= perDay { return .exhausted(resetsAt: dayStart + Self.day) }
        if pausedUntil > now { return .wait(seconds: pausedUntil - now) }
        if let perMinute = limits.perMinute, perMinute > 0 {
            guard minuteTokens >= 1 else { return .wait(seconds: (1 - minuteTokens) * 60 / Double(perMinute)) }
            minuteTokens -= 1
        }
        dayUsed += 1
        return .proceed
    }

    /// Aligns the budget with what the server reports: fewer tokens when it says
    /// fewer remain (another client uses the account), a pause until its reset
    /// when a window is used up, and the day window ending at its reset time.
    /// - Parameters:
    ///   - headers: The rate-limit fields of a response.
    ///   - now: The current time.
    public mutating func observe(_ headers: RateLimitHeaders, now: Double) {
        refill(now: now)
        if let remaining = headers.remainingMinute {
            minuteTokens = min(minuteTokens, Double(max(0, remaining)))
            if remaining <= 0, let reset = headers.resetMinute { pausedUntil = max(pausedUntil, reset) }
        }
        if let remaining = headers.remainingDay, let perDay = limits.perDay {
            dayUsed = max(dayUsed, perDay - max(0, remaining))
            if let reset = headers.resetDay, reset > now { dayStart = reset - Self.day }
        } else if headers.remainingDay == 0, let reset = headers.resetDay {
            pausedUntil = max(pausedUntil, reset)
        }
        if headers.remaining == 0, let reset = headers.reset { pausedUntil = max(pausedUntil, reset) }
    }

    /// Adds a pause, for a 429 whose wait the caller already knows.
    /// - Parameter until: No request before this time.
    public mutating func pause(until: Double) {
        pausedUntil = max(pausedUntil, until)
    }

    private mutating func refill(now: Double) {
        if let perMinute = limits.perMinute, perMinute > 0 {
            let elapsed = max(0, now - refilledAt)
            minuteTokens = min(Double(perMinute), minuteTokens + elapsed * Double(perMinute) / 60)
        }
        refilledAt = max(refilledAt, now)
        if now >= dayStart + Self.day {
            // Start the new window on the old one's grid, so windows stay aligned to a server's reset.
            let windows = ((now - dayStart) / Self.day).rounded(.down)
            dayStart += windows * Self.day
            dayUsed = 0
        }
    }

    // MARK: Persistence

    /// The state as a JSON object, for the state store's key-value table.
    public var serialized: String {
        JSONWriter().encodeString(
            .object(
                JSONObject([
                    (key: "minute_tokens", value: .double(minuteTokens)),
                    (key: "refilled_at", value: .double(refilledAt)),
                    (key: "day_used", value: .int(Int64(dayUsed))),
                    (key: "day_start", value: .double(dayStart)),
                    (key: "paused_until", value: .double(pausedUntil)),
                ])))
    }

    /// Restores saved state under (possibly changed) limits; nil when `text` is not a saved budget.
    /// - Parameters:
    ///   - text: What ``serialized`` produced.
    ///   - limits: The limits to enforce now.
    public init?(serialized text: String, limits: Limits) {
        guard case .object(let object)? = try? JSONParser().parse(Array(text.utf8)),
            let tokens = object["minute_tokens"]?.doubleValue, let refilledAt = object["refilled_at"]?.doubleValue,
            let dayUsed = object["day_used"]?.doubleValue, let dayStart = object["day_start"]?.doubleValue
        else { return nil }
        self.limits = limits
        self.minuteTokens = min(tokens, Double(limits.perMinute ?? 0))
        self.refilledAt = refilledAt
        self.dayUsed = Int(dayUsed)
        self.dayStart = dayStart
        self.pausedUntil = object["paused_until"]?.doubleValue ?? 0
    }
}
