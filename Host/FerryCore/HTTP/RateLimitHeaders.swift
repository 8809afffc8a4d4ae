/// What a response says about the server's rate limits: `Retry-After`, and
/// the `X-RateLimit-*` family (VCOM sends `-Minute` and `-Day` variants whose
/// reset values are HTTP dates; many APIs send plain `X-RateLimit-Reset` as
/// epoch seconds or as seconds to wait).
public struct RateLimitHeaders: Sendable, Equatable {
    /// Seconds to wait from `Retry-After` (delta seconds or an HTTP date), if sent.
    public var retryAfter: Double?
    /// Requests left in the current minute window, if sent.
    public var remainingMinute: Int?
    /// When the minute window resets, in seconds since 1970, if sent.
    public var resetMinute: Double?
    /// Requests left today, if sent.
    public var remainingDay: Int?
    /// When the day window resets, in seconds since 1970, if sent.
    public var resetDay: Double?
    /// Requests left in an unnamed window (`X-RateLimit-Remaining`), if sent.
    public var remaining: Int?
    /// When the unnamed window resets, in seconds since 1970, if sent.
    public var reset: Double?

    /// Reads the rate-limit fields of `headers`.
    /// - Parameters:
    ///   - headers: The response headers.
    ///   - now: The current time in seconds since 1970, to turn relative values into absolute ones.
    public init(_ headers: HTTPHeaders, now: Double) {
        retryAfter = headers["Retry-After"].flatMap { Self.delay($0, now: now) }
        remainingMinute = headers["X-RateLimit-Remaining-Minute"].flatMap { Int($0.trimmed) }
        resetMinute = headers["X-RateLimit-Reset-Minute"].flatMap { Self.instant($0, now: now) }
        remainingDay = headers["X-RateLimit-Remaining-Day"].flatMap { Int($0.trimmed) }
        resetDay = headers["X-RateLimit-Reset-Day"].flatMap { Self.instant($0, now: now) }
        remaining = (headers["X-RateLimit-Remaining"] ?? headers["RateLimit-Remaining"]).flatMap { Int($0.trimmed) }
        reset = (headers["X-RateLimit-Reset"] ?? headers["RateLimit-Reset"]).flatMap { Self.instant($0, now: now) }
    }

    /// Seconds to wait before the next request, as the server asks: `Retry-After`
    /// first; otherwise the reset of whichever window it reports as used up;
    /// otherwise, on a 429 with only reset times, the nearest reset. Nil when
    /// the response says nothing useful.
    /// - Parameters:
    ///   - now: The current time in seconds since 1970.
    ///   - limited: Whether the response was a 429 (then a reset time alone is enough).
    public func wait(now: Double, limited: Bool) -> Double? {
        if let retryAfter { return max(0, retryAfter) }
        var candidates: [Double] = []
        if remainingDay == 0, let resetDay { candidates.append(resetDay) }
        if remainingMinute == 0, let resetMinute { candidates.append(resetMinute) }
        if remaining == 0, let reset { candidates.append(reset) }
        if candidates.isEmpty, limited {
            candidates = [resetMinute, reset, resetDay].compactMap { $0 }
            return candidates.min().map { max(0, $0 - now) }
        }
        return candidates.max().map { max(0, $0 - now) }
    }

    /// Whether the server reports the day's allowance as used up.
    public var dayExhausted: Bool { remainingDay == 0 }

    /// `Retry-After`: delta seconds or an HTTP date, as seconds from `now`.
    static func delay(_ value: String, now: Double) -> Double? {
        let text = value.trimmed
        if let seconds = Double(text), seconds.isFinite { return max(0, seconds) }
        return HTTPDate.secondsSince1970(text).map { max(0, $0 - now) }
    }

    /// A reset value as an absolute time: an HTTP date, epoch seconds, or (small numbers) seconds from now.
    static func instant(_ value: String, now: Double) -> Double? {
        let text = value.trimmed
        if let number = Double(text), number.isFinite {
            return number > 1_000_000_000 ? number : now + max(0, number)
        }
        return HTTPDate.secondsSince1970(text)
    }
}

extension String {
    var trimmed: String { String(Substring(self).trimmingWhitespace()) }
}
