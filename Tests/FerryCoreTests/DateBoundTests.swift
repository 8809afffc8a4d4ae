import FerryCore
import Foundation
import Testing

/// Relative `since`/`until` values: what parses, and what each resolves to in a zone.
@Suite struct DateBoundTests {
    /// 2026-03-29 00:30 UTC: 01:30 in Berlin, the night its clocks skip 02:00–03:00;
    /// already the 29th in Kiritimati (UTC+14), still the 28th in New York.
    static let now = Date(timeIntervalSince1970: 1_774_744_200)

    static func zone(_ name: String) -> TimeZone { TimeZone(identifier: name)! }

    @Test func formsThatParseAndFormsThatDoNot() {
        #expect(DateBound(parsing: "2025-01-31") == .absolute("2025-01-31"))
        #expect(DateBound(parsing: "2025-01-31T12:00:00Z") == .absolute("2025-01-31T12:00:00Z"))
        #expect(DateBound(parsing: "-30d") == .daysAgo(30))
        #expect(DateBound(parsing: "-2w") == .daysAgo(14))
        #expect(DateBound(parsing: "-12h") == .secondsAgo(43_200))
        #expect(DateBound(parsing: "-90m") == .secondsAgo(5400))
        #expect(DateBound(parsing: "today") == .daysAgo(0))
        #expect(DateBound(parsing: "yesterday") == .daysAgo(1))
        for bad in ["30d", "-30", "-30x", "- 30d", "-1.5d", "-30 days", "Today", "", "2025-1-31", "-9999999d"] {
            #expect(DateBound(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func daysAreCalendarDaysInTheZoneAndHoursAreUTCInstants() {
        #expect(DateBound.daysAgo(0).resolved(now: Self.now, timeZone: Self.zone("Pacific/Kiritimati")) == "2026-03-29")
        #expect(DateBound.daysAgo(0).resolved(now: Self.now, timeZone: Self.zone("America/New_York")) == "2026-03-28")
        #expect(DateBound.daysAgo(1).resolved(now: Self.now, timeZone: Self.zone("Europe/Berlin")) == "2026-03-28")
        #expect(DateBound.daysAgo(30).resolved(now: Self.now, timeZone: Self.zone("Europe/Berlin")) == "2026-02-27")
        #expect(DateBound.daysAgo(14).resolved(now: Self.now, timeZone: Self.zone("UTC")) == "2026-03-15")
        #expect(
            DateBound.secondsAgo(43_200).resolved(now: Self.now, timeZone: Self.zone("Europe/Berlin"))
                == "2026-03-28T12:30:00Z")
        #expect(DateBound.absolute("2025-01-31").resolved(now: Self.now, timeZone: Self.zone("UTC")) == "2025-01-31")
    }
}
