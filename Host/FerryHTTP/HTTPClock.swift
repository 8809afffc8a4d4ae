import Foundation

/// The time source and sleeper of the HTTP service, replaceable in tests so a
/// 429 storm asking for 30-second waits runs in milliseconds.
public struct HTTPClock: Sendable {
    /// The current time in seconds since 1970.
    public var now: @Sendable () -> Double
    /// Sleeps this many seconds (the service sleeps in short slices and checks cancellation between them).
    public var sleep: @Sendable (Double) -> Void

    /// Creates a clock.
    /// - Parameters:
    ///   - now: The time source.
    ///   - sleep: The sleeper.
    public init(now: @escaping @Sendable () -> Double, sleep: @escaping @Sendable (Double) -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// Wall-clock time and real sleeping.
    public static let system = HTTPClock(
        now: { Date().timeIntervalSince1970 },
        sleep: { seconds in if seconds > 0 { Thread.sleep(forTimeInterval: seconds) } })
}
