/// Sleeps `seconds` a quarter second at a time, so that a cancel (SIGTERM, Ctrl-C, `serve`
/// stopping) ends a long wait (a retry's backoff, a `Retry-After` of minutes) within a slice.
/// - Returns: false when `isCancelled` was or became true, true when the whole wait passed.
public func sleepUnlessCancelled(
    _ seconds: Double, isCancelled: () -> Bool, sleep: (Double) -> Void
) -> Bool {
    var left = seconds
    while left > 0 {
        if isCancelled() { return false }
        let slice = min(left, 0.25)
        sleep(slice)
        left -= slice
    }
    return !isCancelled()
}
