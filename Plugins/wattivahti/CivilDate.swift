import FerryTime

/// A proleptic Gregorian calendar date and its day number since 1970-01-01
/// (the arithmetic is `CivilCalendar`'s).
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
        (year, month, day) = CivilCalendar.date(days: days)
    }

    /// Days since 1970-01-01.
    var days: Int { CivilCalendar.days(year: year, month: month, day: day) }

    /// The day of the week, 0 = Sunday.
    var weekday: Int { ((days % 7) + 11) % 7 }

    /// The last Sunday of a month.
    /// - Parameters:
    ///   - month: The month, 1–12.
    ///   - year: The year.
    static func lastSunday(of month: Int, in year: Int) -> CivilDate {
        let next =
            month == 12 ? CivilDate(year: year + 1, month: 1, day: 1) : CivilDate(year: year, month: month + 1, day: 1)
        let last = CivilDate(days: next.days - 1)
        return CivilDate(days: last.days - last.weekday)
    }
}
