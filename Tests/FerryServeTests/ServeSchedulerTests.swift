import FerryCore
import FerryEngine
import FerrySchedule
import FerryServe
import Foundation
import Testing

/// The scheduler on a manual clock: time moves only when the test says so, and the
/// test waits for the scheduler's own events, never for a fixed time.
@Suite struct ServeSchedulerTests {
    let a = PipelineID(pipeline: "a")
    let b = PipelineID(pipeline: "b")

    @Test func aScheduleFiresWhenItsTimeComesAndNotBefore() throws {
        let clock = ManualClock(start)
        let backend = try FakeBackend([("a", "*/10 * * * *")])
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { backend }
        scheduler.start()
        defer { scheduler.stop() }
        clock.advance(to: start.addingTimeInterval(599))
        #expect(scheduler.pipelines.first?.nextRun == start.addingTimeInterval(600))
        #expect(backend.requests.isEmpty)
        clock.advance(to: start.addingTimeInterval(600))
        let started = scheduler.waitForEvent { $0.startedKey == a }
        #expect(started == .started(a, .schedule(due: Int64(start.timeIntervalSince1970) + 600)))
        #expect(scheduler.waitForEvent { $0.finishedKey == a } != nil)
        #expect(scheduler.pipelines.first?.nextRun == start.addingTimeInterval(1200))
        #expect(scheduler.pipelines.first?.lastResult?.status == "succeeded")
    }

    @Test func anHourOfMissedTimesRunsOnce() throws {
        let clock = ManualClock(start)
        let backend = try FakeBackend([("a", "*/5 * * * *")])
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { backend }
        scheduler.start()
        defer { scheduler.stop() }
        clock.advance(to: start.addingTimeInterval(3600 + 30))
        #expect(scheduler.waitForEvent { $0.finishedKey == a } != nil)
        #expect(backend.requests.count == 1)
        #expect(scheduler.pipelines.first?.nextRun == start.addingTimeInterval(3600 + 300))
    }

    @Test func aRunMissedWhileStoppedRunsOnceAtStart() throws {
        let clock = ManualClock(start.addingTimeInterval(30))
        let backend = try FakeBackend([("a", "0 * * * *"), ("b", "0 * * * *")])
        backend.lastStarts = [
            a: Int64(start.timeIntervalSince1970) - 5 * 3600, b: Int64(start.timeIntervalSince1970) + 2,
        ]
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { backend }
        scheduler.start()
        defer { scheduler.stop() }
        #expect(scheduler.waitForEvent { $0.finishedKey == a } != nil)
        #expect(backend.requests.map(\.key) == [a])
    }

    @Test func aRunStillGoingWhenDueAgainIsNotStartedTwice() throws {
        let clock = ManualClock(start)
        let backend = try FakeBackend([("a", "* * * * *")])
        backend.holdRuns = true
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { backend }
        scheduler.start()
        defer { scheduler.stop() }
        clock.advance(to: start.addingTimeInterval(60))
        #expect(scheduler.waitForEvent { $0.startedKey == a } != nil)
        clock.advance(to: start.addingTimeInterval(120))
        #expect(scheduler.waitForEvent { if case .skippedStillRunning(a, _) = $0 { true } else { false } } != nil)
        #expect(scheduler.trigger(RunRequest(key: a, trigger: .api)) == .busy)
        backend.release()
        #expect(scheduler.waitForEvent { $0.finishedKey == a } != nil)
        #expect(backend.requests.count == 1)
    }

    @Test func aFailedPipelineSkipsThoseThatRunAfterIt() throws {
        let clock = ManualClock(start)
        let backend = try FakeBackend([("a", "0 * * * *"), ("b", "0 * * * *"), ("c", "0 * * * *")])
        backend.outcomes = ["a": "failed"]
        backend.after = ["b": ["a"], "c": ["b"]]
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { backend }
        scheduler.start()
        defer { scheduler.stop() }
        clock.advance(to: start.addingTimeInterval(3600))
        let c = PipelineID(pipeline: "c")
        #expect(scheduler.waitForEvent { $0.finishedKey == c } != nil)
        #expect(backend.requests.map(\.key) == [a])
        #expect(scheduler.events.contains(.skippedDependency(b, failed: "a")))
        #expect(scheduler.events.contains(.skippedDependency(c, failed: "b")))
    }

    @Test func triggersRunNowAndUnknownPipelinesAreRefused() throws {
        let backend = try FakeBackend([("a", nil)])
        let scheduler = try ServeScheduler(clock: ManualClock(start), logger: quietLogger()) { backend }
        scheduler.start()
        defer { scheduler.stop() }
        #expect(scheduler.trigger(RunRequest(key: PipelineID(pipeline: "zzz"), trigger: .api)) == .unknown)
        var options = RunOptions()
        options.since = "2026-01-01"
        #expect(scheduler.trigger(RunRequest(key: a, options: options, trigger: .api)) == .start)
        #expect(scheduler.waitForEvent { $0.finishedKey == a } != nil)
        #expect(backend.requests.first?.options.since == "2026-01-01")
    }

    @Test func aReloadThatFailsKeepsTheRunningConfiguration() throws {
        let clock = ManualClock(start)
        let first = try FakeBackend([("a", "0 * * * *")])
        let second = try FakeBackend([("a", "0 * * * *"), ("b", "30 * * * *")])
        let box = LoaderBox(first)
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { try box.load() }
        scheduler.start()
        defer { scheduler.stop() }
        box.next = .failure(WorkspaceError("ferry.yaml:3:5: pipelines.b.schedule: expected 5 fields"))
        #expect(scheduler.reload()?.contains("pipelines.b.schedule") == true)
        #expect(scheduler.pipelines.map(\.key) == [a])
        #expect(scheduler.events.contains(.reloadRefused("ferry.yaml:3:5: pipelines.b.schedule: expected 5 fields")))
        box.next = .success(second)
        #expect(scheduler.reload() == nil)
        #expect(scheduler.pipelines.map(\.key) == [a, b])
        clock.advance(to: start.addingTimeInterval(1800))
        #expect(scheduler.waitForEvent { $0.finishedKey == b } != nil)
        #expect(second.requests.map(\.key) == [b])
    }

    @Test func stopCancelsRunningRunsAndWaitsForThem() throws {
        let backend = try FakeBackend([("a", nil)])
        backend.holdRuns = true
        let scheduler = try ServeScheduler(clock: ManualClock(start), logger: quietLogger()) { backend }
        scheduler.start()
        #expect(scheduler.trigger(RunRequest(key: a, trigger: .api)) == .start)
        #expect(scheduler.waitForEvent { $0.startedKey == a } != nil)
        scheduler.stop() // returns only once the held run saw the cancellation
        #expect(backend.wasCancelled)
        #expect(
            scheduler.events.contains {
                if case .finished(a, let result) = $0 { result.status == "cancelled" } else { false }
            })
        #expect(!scheduler.isAcceptingRuns)
        #expect(scheduler.trigger(RunRequest(key: a, trigger: .api)) == .busy)
    }
}

/// A loader whose next answer the test sets.
final class LoaderBox: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: Result<any ServeBackend, any Error>
    init(_ first: any ServeBackend) { pending = .success(first) }
    var next: Result<any ServeBackend, any Error> {
        get { lock.withLock { pending } }
        set { lock.withLock { pending = newValue } }
    }
    func load() throws -> any ServeBackend { try next.get() }
}
