import FerryTime
import Foundation
import Testing

/// The arithmetic formatter writes what Foundation's ICU-backed one writes, for the log lines
/// and run logs that used it.
@Suite struct UTCTimestampTests {
    @Test(arguments: [
        0.0, 59.9, 86_399, 86_400, 951_782_400, 951_868_799, 1_709_251_199, 1_780_000_000.75, 4_102_444_800,
        -1, -86_401, -2_208_988_800,
    ])
    func matchesFoundationsInternetDateTime(seconds: Double) {
        let foundation = ISO8601DateFormatter.string(
            from: Date(timeIntervalSince1970: seconds), timeZone: TimeZone(identifier: "UTC")!,
            formatOptions: [.withInternetDateTime])
        #expect(UTCTimestamp.string(secondsSince1970: seconds) == foundation)
    }

    @Test func writesFixedWidthFields() {
        #expect(UTCTimestamp.string(secondsSince1970: 1_783_000_000) == "2026-07-02T13:46:40Z")
        #expect(UTCTimestamp.string(secondsSince1970: -62_135_596_800) == "0001-01-01T00:00:00Z")
    }
}
