import Foundation

/// Polls `condition` every `interval` seconds until it holds or `seconds` have passed, and
/// returns whether it held. The bound only ends a hung test, so the callers assert on what
/// they waited for (or on this result) rather than on how long it took.
@discardableResult
public func waitUntil(
    within seconds: TimeInterval, every interval: TimeInterval = 0.01, _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try condition() { return true }
        guard Date() < deadline else { return false }
        usleep(useconds_t(interval * 1_000_000))
    }
}
