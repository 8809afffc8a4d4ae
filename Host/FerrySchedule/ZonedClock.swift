import Foundation

/// Wall-clock time in one time zone, in whole seconds, without Foundation's
/// `Calendar`: the UTC offset at an instant comes from the zone, and a local time
/// is turned back into the instants that show it.
///
/// A local time maps to one instant, except around a change of UTC offset: when
/// clocks go forward, the skipped local times map to none (`LocalResolution.skipped`,
/// with the instant the gap ends), and when they go back, the repeated ones to two.
public struct ZonedClock: Sendable {
    /// The zone.
    public let timeZone: TimeZone

    /// Creates a clock for a zone.
    /// - Parameter timeZone: the zone wall-clock times are read in.
    public init(timeZone: TimeZone) { self.timeZone = timeZone }

    /// The UTC offset, in seconds, in force at an instant.
    /// - Parameter instant: seconds since 1970 (UTC).
    public func offset(at instant: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    /// The local wall-clock time at an instant, as seconds since 1970 "as if UTC".
    /// - Parameter instant: seconds since 1970 (UTC).
    public func local(_ instant: Int64) -> Int64 { instant + offset(at: instant) }

    /// What a local wall-clock time corresponds to.
    public enum LocalResolution: Sendable, Equatable {
        /// One instant shows this time.
        case unique(Int64)
        /// Clocks went back: two instants show it, the earlier first.
        case repeated(Int64, Int64)
        /// Clocks went forward over it: no instant shows it; the gap ends at this instant.
        case skipped(gapEnd: Int64)
    }

    /// The instants at which the wall clock shows `local`.
    /// - Parameter local: seconds since 1970 "as if UTC".
    public func resolve(_ local: Int64) -> LocalResolution {
        // No zone changes its offset twice within a day, so the offsets a day
        // before and after are the only candidates.
        let before = offset(at: local - 86_400)
        let after = offset(at: local + 86_400)
        let candidates = Set([local - before, local - after]).filter { self.local($0) == local }.sorted()
        switch candidates.count {
        case 1: return .unique(candidates[0])
        case 2: return .repeated(candidates[0], candidates[1])
        default:
            // In the gap: the offset grew from `before` to `after` between these two
            // instants; the gap ends at the first instant with the later offset.
            var low = local - after
            var high = local - before
            let newOffset = after
            while high - low > 1 {
                let middle = low + (high - low) / 2
                if offset(at: middle) == newOffset { high = middle } else { low = middle }
            }
            return .skipped(gapEnd: high)
        }
    }
}
