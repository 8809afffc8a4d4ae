import FerryCore
import FerrySchedule
import Foundation

/// Something the scheduler did, kept (the latest 1,000) for tests and for the API.
public enum ServeEvent: Sendable, Equatable {
    /// A run started.
    case started(PipelineID, RunRequest.Trigger)
    /// A run ended.
    case finished(PipelineID, RunResult)
    /// A due pipeline was not started: it was still running.
    case skippedStillRunning(PipelineID, due: Int64)
    /// A pipeline was not run because one it runs after failed.
    case skippedDependency(PipelineID, failed: String)
    /// A new configuration replaced the running one.
    case reloaded(pipelines: Int)
    /// A new configuration was refused; the running one stays.
    case reloadRefused(String)
    /// The scheduler stopped starting runs.
    case stopping
}

/// The latest events, with a way to wait for one (a readiness signal, not a sleep).
final class ServeEventLog: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [ServeEvent] = []
    private var dropped = 0

    func append(_ event: ServeEvent) {
        condition.withLock {
            events.append(event)
            if events.count > 1000 { events.removeFirst(); dropped += 1 }
            condition.broadcast()
        }
    }

    var all: [ServeEvent] { condition.withLock { events } }

    /// Waits until an event satisfies `predicate`, at most `timeout` seconds; returns it.
    func wait(timeout: TimeInterval, for predicate: (ServeEvent) -> Bool) -> ServeEvent? {
        var match: ServeEvent?
        _ = waitUntil(timeout: timeout) { events in
            match = events.first(where: predicate)
            return match != nil
        }
        return match
    }

    /// Waits until the events so far satisfy `condition` (which must not call back into the log).
    func waitUntil(timeout: TimeInterval, _ condition: ([ServeEvent]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        return self.condition.withLock {
            while true {
                if condition(events) { return true }
                if !self.condition.wait(until: deadline) { return condition(events) }
            }
        }
    }
}
