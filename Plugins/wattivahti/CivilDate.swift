/// A proleptic Gregorian calendar date and its day number since 1970-01-01
/// (Howard Hinnant's `days_from_civil` and `civil_from_days`).
struct CivilDate: Equatable {
    var year: Int
    var month: Int
    var day: Int

    /// Creates a date from its parts.
    /// - Parameters:
    ///   - year: The year.
    ///   - month: The month, 1–12.
    ///   - day: The day of the month.
    init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01.
    /// - Parameter days: Days since 1970-01-01 (negative before).
    init(days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01.
    var days: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The day of the week, 0 = Sunday.
    var weekday: Int { ((days % 7) + 11) % 7 }

    /// The last Sunday of a month.
    /// - Parameters:
    ///   - month: The month, 1–12.
    ///   - year: The year.
    static func lastSunday(of month: Int, in year: Int) -> CivilDate {
        let next = month == 12 ? CivilDate(year: year + 1, month: 1, day: 1) : CivilDate(year: year, month: month + 1, day: 1)
        let last = CivilDate(days: next.days - 1)
        return CivilDate(days: last.days - last.weekday)
    }
}
