import FerryCore
import Foundation

/// The time `ferry serve` schedules by, and how it waits for the next due time.
///
/// The service never sleeps by itself: it asks its clock to wait until a time or
/// until something else wakes it (a trigger, a finished run, a reload). Tests use
/// `ManualClock`, whose time moves only when the test says so.
public protocol ServeClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Returns once `deadline` has come by this clock, or `wakeup` moved past `generation`.
    /// - Parameters:
    ///   - deadline: when to return at the latest; nil waits for the wakeup alone.
    ///   - wakeup: what else ends the wait.
    ///   - generation: the wakeup's generation the caller has seen.
    func wait(until deadline: Date?, wakeup: Wakeup, seen generation: Int)
}

/// A wake-up call between threads, counted so that none is lost between reading
/// the state and starting to wait.
public final class Wakeup: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0

    /// Creates a wakeup.
    public init() {}

    /// How many times it was signalled.
    public var generation: Int { condition.withLock { count } }

    /// Wakes every waiter.
    public func signal() {
        condition.withLock {
            count += 1
            condition.broadcast()
        }
    }

    /// Waits until signalled after `generation`, or until the real time `deadline`.
    /// - Parameters:
    ///   - generation: the generation seen before deciding to wait.
    ///   - deadline: the latest real time to return; nil waits for a signal.
    public func wait(after generation: Int, deadline: Date?) {
        condition.withLock {
            while count == generation {
                if let deadline {
                    if !condition.wait(until: deadline) { return }
                } else {
                    condition.wait()
                }
            }
        }
    }
}

/// The system's clock. A wait is cut into pieces of at most a minute so that a
/// clock set forward, or a machine woken from suspend, is noticed soon.
public struct SystemClock: ServeClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Date { Date() }

    public func wait(until deadline: Date?, wakeup: Wakeup, seen generation: Int) {
        let cap = Date().addingTimeInterval(60)
        wakeup.wait(after: generation, deadline: min(deadline ?? cap, cap))
    }
}

/// A clock that moves only when told to, for tests: `advance(to:)` wakes every
/// service waiting on it.
public final class ManualClock: ServeClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var wakeups: [Wakeup] = []

    /// Creates a clock showing `start`.
    /// - Parameter start: the initial time.
    public init(_ start: Date) { current = start }

    public func now() -> Date { lock.withLock { current } }

    /// Moves the clock to `date` and wakes whoever waits on it.
    /// - Parameter date: the new time.
    public func advance(to date: Date) {
        let waiting = lock.withLock {
            current = date
            return wakeups
        }
        waiting.forEach { $0.signal() }
    }

    public func wait(until deadline: Date?, wakeup: Wakeup, seen generation: Int) {
        let due = lock.withLock {
            if !wakeups.contains(where: { $0 === wakeup }) { wakeups.append(wakeup) }
            return deadline.map { current >= $0 } ?? false
        }
        if !due { wakeup.wait(after: generation, deadline: nil) }
    }
}
