import FerryTime

/// Parses the date formats HTTP allows (RFC 9110 §5.6.7) without Foundation
/// formatters: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete
/// RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`). Values are seconds since 1970 (UTC).
public enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Seconds since 1970 for an HTTP date, or nil when `text` is not one.
    /// - Parameter text: The header value.
    public static func secondsSince1970(_ text: String) -> Double? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," }).map { String($0) }
        var day: Int?, month: Int?, year: Int?, time: String?
        if parts.count >= 5, !parts[1].contains("-"), Int(parts[1]) != nil {
            // IMF-fixdate: Sun 06 Nov 1994 08:49:37 GMT
            day = Int(parts[1]); month = monthNumber(parts[2]); year = Int(parts[3]); time = parts[4]
        } else if parts.count >= 3, parts[1].contains("-") {
            // RFC 850: Sunday 06-Nov-94 08:49:37 GMT
            let pieces = parts[1].split(separator: "-").map(String.init)
            guard pieces.count == 3 else { return nil }
            day = Int(pieces[0]); month = monthNumber(pieces[1])
            if let short = Int(pieces[2]) { year = short < 100 ? (short < 70 ? 2000 + short : 1900 + short) : short }
            time = parts[2]
        } else if parts.count == 5 {
            // asctime: Sun Nov 6 08:49:37 1994
            month = monthNumber(parts[1]); day = Int(parts[2]); time = parts[3]; year = Int(parts[4])
        }
        guard let day, let month, let year, let time else { return nil }
        let clock = time.split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3, (1...31).contains(day), (0...23).contains(clock[0]), (0...59).contains(clock[1]),
            (0...60).contains(clock[2])
        else { return nil }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        return Double(days * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2])
    }

    /// Formats seconds since 1970 as an IMF-fixdate, for messages ("resets at …").
    /// - Parameter seconds: Seconds since 1970 (UTC).
    public static func format(_ seconds: Double) -> String {
        let (days, rest) = CivilCalendar.day(secondsSince1970: seconds)
        let (year, month, day) = CivilCalendar.date(days: days)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((days % 7) + 7) % 7]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(weekday), \(two(day)) \(months[month - 1].capitalized) \(year) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) GMT"
    }

    private static func monthNumber(_ name: String) -> Int? {
        months.firstIndex(of: name.lowercased().prefix(3).description).map { $0 + 1 }
    }

}
