import FerryTime

/// Point times: ISO 8601 date-times with an offset (or `Z`) parsed to
/// nanoseconds since the epoch, and epoch values in a precision. No
/// Foundation: the plugin stays small.
enum Timestamp {
    /// Nanoseconds since 1970-01-01T00:00:00Z for `text`, such as
    /// `2024-03-31T03:15:00+03:00` or `2024-03-31T00:15:00.250Z`.
    /// - Parameter text: An ISO 8601 / RFC 3339 date-time with a `T` or space separator,
    ///   optional fractional seconds (up to nanoseconds) and a mandatory offset.
    /// - Throws: ``RecordError`` naming what is wrong.
    static func nanoseconds(iso text: String) throws(RecordError) -> Int64 {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var value = 0
            for k in i..<(i + count) {
                guard (48...57).contains(b[k]) else { return nil }
                value = value * 10 + Int(b[k] - 48)
            }
            i += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard i < b.count, characters.utf8.contains(b[i]) else { return false }
            i += 1
            return true
        }
        let bad = RecordError("time '\(text)' is not an ISO 8601 date-time with an offset (2024-01-31T22:00:00Z)")
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
            expect("Tt "), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"),
            let second = digits(2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 61
        else { throw bad }
        var fraction: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            i += 1
            var scale: Int64 = 100_000_000
            let start = i
            while i < b.count, (48...57).contains(b[i]) {
                guard scale > 0 else {
                    throw RecordError("time '\(text)' has more than nine fractional digits")
                }
                fraction += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { throw bad }
        }
        var offsetSeconds = 0
        if expect("Zz") {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let hours = digits(2) else { throw bad }
            _ = expect(":")
            guard let minutes = digits(2), hours < 24, minutes < 60 else { throw bad }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        } else {
            throw RecordError("time '\(text)' has no UTC offset or Z; local times are ambiguous")
        }
        guard i == b.count else { throw bad }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { throw RecordError("time '\(text)' is out of InfluxDB's range") }
        return product + fraction
    }

    /// RFC 3339 in UTC for nanoseconds since the epoch, with only the fractional digits needed.
    /// - Parameter nanoseconds: Nanoseconds since the epoch.
    static func iso(nanoseconds: Int64) -> String {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            fraction += 1_000_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (year, month, day) = CivilCalendar.date(days: Int(days))
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text =
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(Int(rest / 3600), 2)):\(pad(Int(rest % 3600 / 60), 2)):\(pad(Int(rest % 60), 2))"
        if fraction != 0 {
            var digits = pad(Int(fraction), 9)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "Z"
    }

    private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

}
