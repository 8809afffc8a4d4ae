import FerrySchedule
import Testing

@Suite struct CronExpressionTests {
    @Test func fieldsAcceptValuesRangesStepsListsAndNames() throws {
        let cron = try CronExpression(parsing: "*/15 6-18/4 1,15 jan-mar MON-fri")
        #expect(cron.minute.values == [0, 15, 30, 45])
        #expect(cron.hour.values == [6, 10, 14, 18])
        #expect(cron.dayOfMonth.values == [1, 15])
        #expect(cron.month.values == [1, 2, 3])
        #expect(cron.dayOfWeek.values == [1, 2, 3, 4, 5])
        #expect(try CronExpression(parsing: "5/20 * * * *").minute.values == [5, 25, 45])
        #expect(try CronExpression(parsing: "0 0 * * 7").dayOfWeek.values == [0])
        #expect(try CronExpression(parsing: "0 0 * * ?").dayOfWeek.isWildcard)
    }

    @Test func dayOfMonthAndDayOfWeekMatchEitherWhenBothAreRestricted() throws {
        let either = try CronExpression(parsing: "0 9 1 * mon")
        #expect(either.matchesDay(month: 6, day: 1, weekday: 3)) // the 1st, a Wednesday
        #expect(either.matchesDay(month: 6, day: 9, weekday: 1)) // a Monday
        #expect(!either.matchesDay(month: 6, day: 10, weekday: 2))
        let both = try CronExpression(parsing: "0 9 * * mon")
        #expect(!both.matchesDay(month: 6, day: 1, weekday: 3))
        let february = try CronExpression(parsing: "0 9 * 2 *")
        #expect(!february.matchesDay(month: 3, day: 1, weekday: 0))
    }

    @Test(arguments: [
        ("* * * *", "expected 5 fields"),
        ("60 * * * *", "minute field '60': 60 is out of range 0-59"),
        ("* 24 * * *", "hour field '24': 24 is out of range 0-23"),
        ("* * 0 * *", "day-of-month field '0': 0 is out of range 1-31"),
        ("* * * foo *", "month field 'foo': 'foo' is not a number or a name (jan…dec)"),
        ("*/0 * * * *", "the step in '*/0' must be a positive whole number"),
        ("10-5 * * * *", "the range '10-5' runs backwards"),
        ("1,,2 * * * *", "an empty item between commas"),
        ("0 0 L * *", "Quartz's L, W or #"),
        ("0 0 * * 5#3", "Quartz's L, W or #"),
        ("0 0 30 2 *", "never fires: no month among 2 has a day 30"),
    ])
    func malformedExpressionsSayWhatIsWrong(text: String, message: String) {
        #expect {
            _ = try CronExpression(parsing: text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
