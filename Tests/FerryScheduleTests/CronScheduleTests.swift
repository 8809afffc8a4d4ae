import FerrySchedule
import Foundation
import Testing

/// Times are written as ISO 8601 with their offset, so each expectation reads as a wall clock.
private func instant(_ text: String) -> Int64 {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return Int64(formatter.date(from: text)!.timeIntervalSince1970)
}

private func text(_ instant: Int64, in zone: String) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.timeZone = TimeZone(identifier: zone)!
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(instant)))
}

private let utc = TimeZone(identifier: "UTC")!

/// The next `count` firings after `start`, as wall-clock text in `zone`.
private func firings(_ schedule: String, after start: String, count: Int, zone: String = "UTC") throws -> [String] {
    let cron = try CronSchedule(parsing: schedule, defaultTimeZone: TimeZone(identifier: zone)!)
    var times: [String] = []
    var cursor = instant(start)
    for _ in 0..<count {
        guard let next = cron.next(after: cursor) else { break }
        times.append(text(next, in: zone))
        cursor = next
    }
    return times
}

@Suite struct CronScheduleTests {
    @Test func firesStrictlyAfterTheGivenTime() throws {
        #expect(
            try firings("*/15 * * * *", after: "2026-03-10T10:15:00Z", count: 3)
                == ["2026-03-10T10:30:00Z", "2026-03-10T10:45:00Z", "2026-03-10T11:00:00Z"])
        #expect(try firings("*/15 * * * *", after: "2026-03-10T10:14:59Z", count: 1) == ["2026-03-10T10:15:00Z"])
    }

    @Test func crossesMonthsYearsAndLeapDays() throws {
        #expect(
            try firings("0 0 1 * *", after: "2026-12-15T00:00:00Z", count: 2) == [
                "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z",
            ])
        #expect(
            try firings("0 12 29 2 *", after: "2026-03-01T00:00:00Z", count: 2) == [
                "2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z",
            ])
        #expect(
            try firings("30 8 * * mon-fri", after: "2026-11-27T09:00:00Z", count: 2) // a Friday
                == ["2026-11-30T08:30:00Z", "2026-12-01T08:30:00Z"])
    }

    @Test func aZoneInTheScheduleWinsOverTheDefault() throws {
        let cron = try CronSchedule(parsing: "CRON_TZ=Europe/Helsinki 0 6 * * *", defaultTimeZone: utc)
        #expect(cron.timeZone.identifier == "Europe/Helsinki")
        #expect(cron.next(after: instant("2026-01-10T00:00:00Z")) == instant("2026-01-10T06:00:00+02:00"))
        #expect(cron.next(after: instant("2026-07-10T00:00:00Z")) == instant("2026-07-10T06:00:00+03:00"))
        let defaulted = try CronSchedule(
            parsing: "0 6 * * *", defaultTimeZone: TimeZone(identifier: "America/New_York")!)
        #expect(defaulted.next(after: instant("2026-01-10T00:00:00Z")) == instant("2026-01-10T06:00:00-05:00"))
        #expect { try CronSchedule(parsing: "TZ=Mars/Olympus 0 6 * * *", defaultTimeZone: utc) } throws: {
            "\($0)".contains("unknown time zone 'Mars/Olympus'")
        }
    }

    /// Helsinki moves from 03:00 EET to 04:00 EEST on 29 March 2026: 03:xx does not exist that night.
    @Test func aTimeSkippedByTheSpringChangeRunsOnceWhenTheGapEnds() throws {
        #expect(
            try firings("30 3 * * *", after: "2026-03-28T12:00:00+02:00", count: 3, zone: "Europe/Helsinki")
                == ["2026-03-29T04:00:00+03:00", "2026-03-30T03:30:00+03:00", "2026-03-31T03:30:00+03:00"])
        #expect(
            try firings("*/20 * * * *", after: "2026-03-29T02:30:00+02:00", count: 4, zone: "Europe/Helsinki")
                == [
                    "2026-03-29T02:40:00+02:00", "2026-03-29T04:00:00+03:00", "2026-03-29T04:20:00+03:00",
                    "2026-03-29T04:40:00+03:00",
                ])
    }

    /// Helsinki goes back from 04:00 EEST to 03:00 EET on 25 October 2026: 03:xx shows twice.
    @Test func aTimeRepeatedByTheAutumnChangeRunsOnceUnlessTheJobIsHourly() throws {
        #expect(
            try firings("30 3 * * *", after: "2026-10-24T12:00:00+03:00", count: 2, zone: "Europe/Helsinki")
                == ["2026-10-25T03:30:00+03:00", "2026-10-26T03:30:00+02:00"])
        #expect(
            try firings("30 * * * *", after: "2026-10-25T02:45:00+03:00", count: 3, zone: "Europe/Helsinki")
                == ["2026-10-25T03:30:00+03:00", "2026-10-25T03:30:00+02:00", "2026-10-25T04:30:00+02:00"])
    }
}
