/// RFC 3339 timestamps in UTC (`2026-11-29T23:59:01Z`), written by arithmetic alone.
///
/// Foundation's `ISO8601DateFormatter` on Linux formats through ICU: the first call maps
/// about 2 MiB of ICU's code and tables into the process and costs milliseconds, once per
/// run, for a log line. The text is the same as that formatter's with `.withInternetDateTime`
/// and a UTC time zone.
public enum UTCTimestamp {
    /// The timestamp of an instant, whole seconds (rounded down).
    /// - Parameter seconds: Seconds since 1970-01-01T00:00:00Z (negative before it).
    public static func string(secondsSince1970 seconds: Double) -> String {
        let (days, time) = CivilCalendar.day(secondsSince1970: seconds)
        let (year, month, day) = CivilCalendar.date(days: days)
        var text = ""
        text.reserveCapacity(20)
        append(year, digits: 4, to: &text)
        text += "-"
        append(month, digits: 2, to: &text)
        text += "-"
        append(day, digits: 2, to: &text)
        text += "T"
        append(time / 3600, digits: 2, to: &text)
        text += ":"
        append(time / 60 % 60, digits: 2, to: &text)
        text += ":"
        append(time % 60, digits: 2, to: &text)
        text += "Z"
        return text
    }

    /// `value` in decimal, zero-padded to `digits`; a negative year keeps its sign in front.
    private static func append(_ value: Int, digits: Int, to text: inout String) {
        let decimal = String(value.magnitude)
        if value < 0 { text += "-" }
        if decimal.count < digits { text += String(repeating: "0", count: digits - decimal.count) }
        text += decimal
    }
}
