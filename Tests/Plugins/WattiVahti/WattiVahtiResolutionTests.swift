import Foundation
import Testing

@testable import WattiVahtiPlugin

/// PT15MIN first, PT1H where there is none, and a meter that switched inside a chunk.
@Suite struct WattiVahtiResolutionTests {
    /// A fake API: hourly values always, quarter values from `switchAt` on.
    static func fetcher(switchAt: Int, calls: Calls) -> (Resolution, Range<Int>) throws -> [MeterPoint] {
        { resolution, range in
            calls.append(resolution, range)
            return stride(from: range.lowerBound, to: range.upperBound, by: resolution.seconds).compactMap { time in
                resolution == .quarterHour && time < switchAt
                    ? nil : MeterPoint(time: time, kilowattHours: 1, resolution: resolution)
            }
        }
    }

    final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [(Resolution, Range<Int>)] = []
        var resolutions: [Resolution] { lock.withLock { list.map(\.0) } }
        func append(_ resolution: Resolution, _ range: Range<Int>) {
            lock.withLock { list.append((resolution, range)) }
        }
    }

    let day = WattiVahtiTimeTests.utc("2025-10-21T21:00:00Z")..<WattiVahtiTimeTests.utc("2025-10-22T21:00:00Z")

    @Test func quarterHourDataIsUsedWhenThereIsAny() throws {
        let calls = Calls()
        let points = try ResolutionFallback.points(in: day, fetch: Self.fetcher(switchAt: 0, calls: calls))
        #expect(points.count == 96)
        #expect(points.allSatisfy { $0.resolution == .quarterHour })
        #expect(calls.resolutions == [.quarterHour])
    }

    @Test func hourlyDataIsUsedWhenTheQuarterRequestIsEmpty() throws {
        let calls = Calls()
        let points = try ResolutionFallback.points(in: day, fetch: Self.fetcher(switchAt: .max, calls: calls))
        #expect(points.count == 24)
        #expect(points.allSatisfy { $0.resolution == .hour })
        #expect(calls.resolutions == [.quarterHour, .hour])
    }

    @Test func aSwitchInsideTheDayKeepsTheHoursBeforeAndTheQuartersAfter() throws {
        let calls = Calls()
        let noon = WattiVahtiTimeTests.utc("2025-10-22T09:00:00Z") // 12:00 local
        let points = try ResolutionFallback.points(in: day, fetch: Self.fetcher(switchAt: noon, calls: calls))
        #expect(points.filter { $0.resolution == .hour }.count == 12)
        #expect(points.filter { $0.resolution == .quarterHour }.count == 48)
        #expect(points.map(\.time) == points.map(\.time).sorted())
        #expect(points.last(where: { $0.resolution == .hour })!.time + 3600 == noon)
        #expect(calls.resolutions == [.quarterHour, .hour])
    }
}
