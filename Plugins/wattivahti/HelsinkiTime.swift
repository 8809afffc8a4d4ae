/// Finnish civil time (Europe/Helsinki) by the EU rules in force since 1996:
/// EET (UTC+2) in winter, EEST (UTC+3) from the last Sunday of March 01:00 UTC
/// to the last Sunday of October 01:00 UTC. Pure arithmetic, no time-zone
/// database, so the plugin behaves the same on every machine.
///
/// Times are seconds since 1970-01-01T00:00:00Z. A *local* time is written the
/// same way, as if the wall clock were UTC ("local seconds").
enum HelsinkiTime {
    /// Seconds in an hour.
    static let hour = 3600
    /// Seconds in a day.
    static let day = 86400

    /// The UTC offset in seconds at a UTC instant.
    /// - Parameter utc: Seconds since 1970 (UTC).
    static func offset(atUTC utc: Int) -> Int {
        let year = CivilDate(days: floorDiv(utc, day)).year
        let start = CivilDate.lastSunday(of: 3, in: year).days * day + hour
        let end = CivilDate.lastSunday(of: 10, in: year).days * day + hour
        return (start..<end).contains(utc) ? 3 * hour : 2 * hour
    }

    /// The UTC instants a local wall-clock time denotes, earliest first: one
    /// normally, two in the repeated autumn hour (EEST first, then EET), none in
    /// the spring hour the clocks skip.
    /// - Parameter local: Local seconds.
    static func utcCandidates(forLocal local: Int) -> [Int] {
        [3 * hour, 2 * hour].compactMap { offset in
            let utc = local - offset
            return Self.offset(atUTC: utc) == offset ? utc : nil
        }
    }

    /// The UTC instant of a local time; the earlier one when the time is
    /// repeated, and the instant the clocks jumped to (as if still in winter time) when it was skipped.
    /// - Parameter local: Local seconds.
    static func utc(forLocal local: Int) -> Int {
        utcCandidates(forLocal: local).first ?? local - 2 * hour
    }

    /// Local seconds of a UTC instant.
    /// - Parameter utc: Seconds since 1970 (UTC).
    static func local(forUTC utc: Int) -> Int { utc + offset(atUTC: utc) }

    /// The UTC instant of the local midnight that starts the local day containing `utc`.
    /// - Parameter utc: Seconds since 1970 (UTC).
    static func startOfLocalDay(containing utc: Int) -> Int {
        let local = local(forUTC: utc)
        return self.utc(forLocal: floorDiv(local, day) * day)
    }

    /// `2025-10-26T03:15:00` read as local seconds, or nil when it is not that shape.
    /// Fractions of a second are ignored.
    /// - Parameter text: A naive ISO 8601 date-time, as the meter-data API sends.
    static func parseNaive(_ text: some StringProtocol) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 16, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
                    return nil
                }
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let dayOfMonth = number(8..<10),
            let hours = number(11..<13), let minutes = number(14..<16),
            (1...12).contains(month), (1...31).contains(dayOfMonth), hours < 24, minutes < 60
        else { return nil }
        var seconds = 0
        if bytes.count >= 19, bytes[16] == UInt8(ascii: ":") {
            guard let value = number(17..<19), value < 61 else { return nil }
            seconds = value
        }
        return CivilDate(year: year, month: month, day: dayOfMonth).days * day + hours * hour + minutes * 60 + seconds
    }

    /// `2025-10-26T00:00:00Z` for a UTC instant.
    /// - Parameter utc: Seconds since 1970 (UTC).
    static func formatUTC(_ utc: Int) -> String { format(utc) + "Z" }

    /// `2025-10-26T03:00:00+03:00`: the local time of a UTC instant with its offset, as the seed sends `start`/`stop`.
    /// - Parameter utc: Seconds since 1970 (UTC).
    static func formatLocal(_ utc: Int) -> String {
        let offset = offset(atUTC: utc)
        return format(utc + offset) + "+0\(offset / hour):00"
    }

    /// `YYYY-MM-DDTHH:MM:SS` of seconds read as UTC.
    private static func format(_ seconds: Int) -> String {
        let date = CivilDate(days: floorDiv(seconds, day))
        let rest = seconds - date.days * day
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(date.year)-\(two(date.month))-\(two(date.day))T\(two(rest / hour)):\(two(rest % hour / 60)):\(two(rest % 60))"
    }

    /// Division rounding toward negative infinity.
    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
