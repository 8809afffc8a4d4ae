import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

@testable import WattiVahtiPlugin

/// Finnish local time to UTC: both daylight-saving changes, the repeated autumn
/// hour in either order, the skipped spring hour, and `--since/--until` values.
@Suite struct WattiVahtiTimeTests {
    static func utc(_ text: String) -> Int {
        let formatter = ISO8601DateFormatter()
        return Int(formatter.date(from: text)!.timeIntervalSince1970)
    }

    /// The simulator's (Foundation's tz database) local texts of a UTC range, in order.
    static func entries(from start: String, to end: String, step: Int, order: WattiVahtiSimulator.RepeatOrder)
        -> [MeterEntry]
    {
        var times = Array(stride(from: utc(start), to: utc(end), by: step))
        if order == .pairs { times = WattiVahtiSimulator.pairingRepeatedHour(times) }
        return times.map {
            MeterEntry(time: WattiVahtiSimulator.localText($0), quantity: WattiVahtiSimulator.quarterValue($0))
        }
    }

    @Test func offsetsFollowTheEURulesAgainstTheTimeZoneDatabase() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Helsinki"))
        // Every hour of 2024 and 2025, and the minutes around each change.
        for utc in stride(from: Self.utc("2024-01-01T00:00:00Z"), to: Self.utc("2026-01-01T00:00:00Z"), by: 1800) {
            let expected = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utc)))
            #expect(HelsinkiTime.offset(atUTC: utc) == expected, "\(HelsinkiTime.formatUTC(utc))")
        }
        #expect(HelsinkiTime.offset(atUTC: Self.utc("2025-03-30T00:59:59Z")) == 7200)
        #expect(HelsinkiTime.offset(atUTC: Self.utc("2025-03-30T01:00:00Z")) == 10800)
        #expect(HelsinkiTime.offset(atUTC: Self.utc("2025-10-26T00:59:59Z")) == 10800)
        #expect(HelsinkiTime.offset(atUTC: Self.utc("2025-10-26T01:00:00Z")) == 7200)
    }

    @Test func aRepeatedLocalTimeHasTwoInstantsAndASkippedOneNone() throws {
        let repeated = try #require(HelsinkiTime.parseNaive("2025-10-26T03:15:00"))
        #expect(
            HelsinkiTime.utcCandidates(forLocal: repeated) == [
                Self.utc("2025-10-26T00:15:00Z"), Self.utc("2025-10-26T01:15:00Z"),
            ])
        let skipped = try #require(HelsinkiTime.parseNaive("2025-03-30T03:30:00"))
        #expect(HelsinkiTime.utcCandidates(forLocal: skipped).isEmpty)
        let summer = try #require(HelsinkiTime.parseNaive("2025-07-01T12:00:00"))
        #expect(HelsinkiTime.utcCandidates(forLocal: summer) == [Self.utc("2025-07-01T09:00:00Z")])
        #expect(HelsinkiTime.formatLocal(Self.utc("2025-01-15T22:00:00Z")) == "2025-01-16T00:00:00+02:00")
        #expect(HelsinkiTime.formatLocal(Self.utc("2025-10-25T21:00:00Z")) == "2025-10-26T00:00:00+03:00")
    }

    @Test(arguments: [WattiVahtiSimulator.RepeatOrder.pairs, .blocks])
    func theAutumnDayHas25HoursAnd100QuartersInUTCOrder(order: WattiVahtiSimulator.RepeatOrder) throws {
        let range = Self.utc("2025-10-25T21:00:00Z")..<Self.utc("2025-10-26T22:00:00Z")
        for (step, resolution, count) in [(3600, Resolution.hour, 25), (900, .quarterHour, 100)] {
            let entries = Self.entries(
                from: "2025-10-25T21:00:00Z", to: "2025-10-26T22:00:00Z", step: step, order: order)
            let converted = MeterEntry.points(from: entries, resolution: resolution, in: range)
            #expect(converted.skipped == 0)
            #expect(converted.points.count == count)
            #expect(
                converted.points.map(\.time) == Array(stride(from: range.lowerBound, to: range.upperBound, by: step)))
            // Each value sits at the instant the simulator produced it for: the two 03:xx are not swapped.
            for point in converted.points {
                #expect(
                    point.kilowattHours == WattiVahtiSimulator.quarterValue(point.time),
                    "\(HelsinkiTime.formatUTC(point.time))")
            }
        }
    }

    @Test func theSpringDayHas23HoursAnd92Quarters() {
        let range = Self.utc("2025-03-29T22:00:00Z")..<Self.utc("2025-03-30T21:00:00Z")
        for (step, resolution, count) in [(3600, Resolution.hour, 23), (900, .quarterHour, 92)] {
            let entries = Self.entries(
                from: "2025-03-29T22:00:00Z", to: "2025-03-30T21:00:00Z", step: step, order: .pairs)
            let converted = MeterEntry.points(from: entries, resolution: resolution, in: range)
            #expect(converted.points.count == count)
            #expect(Set(converted.points.map(\.time)).count == count)
            #expect(converted.points.first?.time == range.lowerBound)
        }
        // 02:00 EET is 00:00Z and 04:00 EEST is 01:00Z: no hole in UTC.
        let hours = MeterEntry.points(
            from: [
                MeterEntry(time: "2025-03-30T02:00:00", quantity: 1),
                MeterEntry(time: "2025-03-30T03:00:00", quantity: 9),
                MeterEntry(time: "2025-03-30T04:00:00", quantity: 2),
            ],
            resolution: .hour, in: range)
        #expect(hours.points.map(\.time) == [Self.utc("2025-03-30T00:00:00Z"), Self.utc("2025-03-30T01:00:00Z")])
        #expect(hours.skipped == 1)
    }

    @Test func aRangeStartingInsideTheRepeatedHourPlacesTheSecondOccurrences() {
        // From 01:00Z (03:00 EET, the second 03:00): only second occurrences are in range.
        let range = Self.utc("2025-10-26T01:00:00Z")..<Self.utc("2025-10-26T03:00:00Z")
        let entries = Self.entries(from: "2025-10-26T01:00:00Z", to: "2025-10-26T03:00:00Z", step: 900, order: .pairs)
        let converted = MeterEntry.points(from: entries, resolution: .quarterHour, in: range)
        #expect(converted.points.map(\.time) == Array(stride(from: range.lowerBound, to: range.upperBound, by: 900)))
    }

    @Test func nullQuantitiesAreNoPointButKeepTheirPlace() {
        let range = Self.utc("2025-10-26T00:00:00Z")..<Self.utc("2025-10-26T02:00:00Z")
        let converted = MeterEntry.points(
            from: [
                MeterEntry(time: "2025-10-26T03:00:00", quantity: nil),
                MeterEntry(time: "2025-10-26T03:00:00", quantity: 0.5),
            ],
            resolution: .hour, in: range)
        #expect(
            converted.points == [
                MeterPoint(time: Self.utc("2025-10-26T01:00:00Z"), kilowattHours: 0.5, resolution: .hour)
            ])
    }

    @Test func sinceAndUntilAcceptDatesAndDateTimesAsTheSeedDoes() throws {
        #expect(try ReadWindow.instant("2025-10-26", what: "since") == Self.utc("2025-10-25T21:00:00Z"))
        #expect(try ReadWindow.instant("2025-01-31", what: "since") == Self.utc("2025-01-30T22:00:00Z"))
        #expect(try ReadWindow.instant("2024-01-31T23:59:59", what: "until") == Self.utc("2024-01-31T21:59:59Z"))
        #expect(try ReadWindow.instant("2024-01-31T23:59", what: "until") == Self.utc("2024-01-31T21:59:00Z"))
        #expect(try ReadWindow.instant("2025-10-26T01:00:00Z", what: "since") == Self.utc("2025-10-26T01:00:00Z"))
        #expect(try ReadWindow.instant("2025-10-26T03:00:00+02:00", what: "since") == Self.utc("2025-10-26T01:00:00Z"))
        #expect(
            try ReadWindow.instant("2025-10-26T03:00:00.000+0300", what: "since") == Self.utc("2025-10-26T00:00:00Z"))
        #expect(throws: PluginError.self) { try ReadWindow.instant("yesterday", what: "since") }
    }

    @Test func theWindowComesFromSinceOrTheCheckpointMinusTheLookbackOrTheInitialDays() throws {
        let now = Self.utc("2025-11-01T10:30:00Z")
        let first = try ReadWindow(ReadRequest(stream: "consumption"), initialSyncDays: 7, now: now)
        #expect(first.range == Self.utc("2025-10-25T10:00:00Z")..<now)
        let checkpoint: JSONValue = ["time": "2025-11-01T08:45:00Z"]
        let next = try ReadWindow(
            ReadRequest(stream: "consumption", checkpoint: checkpoint), initialSyncDays: 7, now: now)
        #expect(next.range == Self.utc("2025-11-01T06:00:00Z")..<now)
        let lookback = try ReadWindow(
            ReadRequest(stream: "consumption", checkpoint: checkpoint, lookback: 86400), initialSyncDays: 7, now: now)
        #expect(lookback.range.lowerBound == Self.utc("2025-10-31T08:00:00Z"))
        let manual = try ReadWindow(
            ReadRequest(stream: "consumption", checkpoint: checkpoint, since: "2025-03-30", until: "2025-03-31"),
            initialSyncDays: 7, now: now)
        #expect(manual.range == Self.utc("2025-03-29T22:00:00Z")..<Self.utc("2025-03-30T21:00:00Z"))
    }
}
