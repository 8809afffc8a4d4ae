/// A five-field cron expression (minute hour day-of-month month day-of-week),
/// matched against wall-clock dates.
///
/// As in Vixie cron: when both day-of-month and day-of-week are restricted (neither
/// is `*`), a day matches when **either** does (`0 9 1 * mon` runs on the 1st and on
/// every Monday); otherwise both must.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let minute: CronField
    public let hour: CronField
    public let dayOfMonth: CronField
    public let month: CronField
    public let dayOfWeek: CronField
    /// The expression as written.
    public let description: String

    /// Parses five whitespace-separated fields.
    /// - Parameter text: such as `*/15 6-18 * * mon-fri`.
    /// - Throws: `CronError` naming the field at fault.
    public init(parsing text: String) throws(CronError) {
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count == 5 else {
            throw CronError(
                "expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count) in '\(text)'")
        }
        minute = try CronField(parsing: fields[0], as: .minute)
        hour = try CronField(parsing: fields[1], as: .hour)
        dayOfMonth = try CronField(parsing: fields[2], as: .dayOfMonth)
        month = try CronField(parsing: fields[3], as: .month)
        dayOfWeek = try CronField(parsing: fields[4], as: .dayOfWeek)
        description = fields.joined(separator: " ")
        if !dayOfMonth.isWildcard && dayOfWeek.isWildcard,
            let smallestDay = dayOfMonth.values.first,
            month.values.allSatisfy({ smallestDay > Self.longestMonth[$0 - 1] })
        {
            throw CronError("'\(text)' never fires: no month among \(fields[3]) has a day \(smallestDay)")
        }
    }

    /// Days in each month in a leap year.
    private static let longestMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    /// True when the date is one the expression runs on.
    /// - Parameters:
    ///   - month: 1…12.
    ///   - day: 1…31.
    ///   - weekday: 0 (Sunday) … 6 (Saturday).
    public func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard self.month.contains(month) else { return false }
        let byDay = dayOfMonth.contains(day)
        let byWeekday = dayOfWeek.contains(weekday)
        if !dayOfMonth.isWildcard && !dayOfWeek.isWildcard { return byDay || byWeekday }
        return byDay && byWeekday
    }
}
