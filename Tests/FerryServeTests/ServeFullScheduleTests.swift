import FerryCore
import FerryEngine
import FerrySchedule
import FerryServe
import Foundation
import Testing

/// `full_schedule` in the scheduler, on a manual clock: the full run is a `--full` run,
/// due together with the incremental one it runs once, and a missed one runs at start.
@Suite struct ServeFullScheduleTests {
    let a = PipelineID(pipeline: "a")

    @Test func theNightlyFullRunIsAFullRunAndRunsOnceWhenBothSchedulesFire() throws {
        let clock = ManualClock(start)
        let backend = try FakeBackend([("a", "*/5 * * * *")], fullSchedules: ["a": "0 2 * * *"])
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { backend }
        scheduler.start()
        defer { scheduler.stop() }
        #expect(scheduler.pipelines.first?.nextFullRun == start.addingTimeInterval(2 * 3600))
        #expect(scheduler.pipelines.first?.fullSchedule?.hasSuffix(" 0 2 * * *") == true)
        clock.advance(to: start.addingTimeInterval(300))
        #expect(scheduler.waitForEvents { $0.filter { $0.finishedKey == a }.count == 1 })
        clock.advance(to: start.addingTimeInterval(2 * 3600))
        #expect(scheduler.waitForEvents { $0.filter { $0.finishedKey == a }.count == 2 })
        #expect(backend.requests.map(\.options.fullRefresh) == [false, true])
        #expect(scheduler.pipelines.first?.nextRun == start.addingTimeInterval(2 * 3600 + 300))
        #expect(scheduler.pipelines.first?.nextFullRun == start.addingTimeInterval(26 * 3600))
        clock.advance(to: start.addingTimeInterval(2 * 3600 + 300))
        #expect(scheduler.waitForEvents { $0.filter { $0.finishedKey == a }.count == 3 })
        #expect(backend.requests.map(\.options.fullRefresh) == [false, true, false])
    }

    @Test func aFullRunMissedWhileStoppedRunsOnceInFullAtStart() throws {
        let clock = ManualClock(start.addingTimeInterval(9 * 3600))
        let backend = try FakeBackend([("a", "*/5 * * * *")], fullSchedules: ["a": "0 2 * * *"])
        backend.lastStarts = [a: Int64(start.timeIntervalSince1970) + 9 * 3600 - 60]
        backend.lastFullStarts = [a: Int64(start.timeIntervalSince1970) - 2 * 86_400 + 2 * 3600]
        let scheduler = try ServeScheduler(clock: clock, logger: quietLogger()) { backend }
        scheduler.start()
        defer { scheduler.stop() }
        #expect(scheduler.waitForEvent { $0.finishedKey == a } != nil)
        #expect(backend.requests.map(\.options.fullRefresh) == [true])
        #expect(scheduler.pipelines.first?.nextFullRun == start.addingTimeInterval(26 * 3600))
    }
}
