/// Conversions between proleptic Gregorian dates and days since 1970-01-01,
/// shared by the host and connectors that turn timestamps into instants
/// without Foundation (Howard Hinnant's `days_from_civil` / `civil_from_days`,
/// exact for every year).
public enum CivilCalendar {
    /// Days from 1970-01-01 to the date (negative before it).
    /// - Parameters:
    ///   - year: The year (may be negative).
    ///   - month: 1…12.
    ///   - day: 1…31.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The day an instant falls on (days since 1970-01-01, negative before it) and the
    /// instant's second within that day, in UTC; fractions of a second are dropped.
    /// - Parameter seconds: Seconds since 1970-01-01T00:00:00Z.
    public static func day(secondsSince1970 seconds: Double) -> (days: Int, secondOfDay: Int) {
        let total = Int(seconds.rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        return (days, total - days * 86_400)
    }

    /// The date `days` days after 1970-01-01.
    /// - Parameter days: Days since 1970-01-01 (negative before).
    public static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
