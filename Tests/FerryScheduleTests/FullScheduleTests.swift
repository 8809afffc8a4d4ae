import FerryCore
import FerrySchedule
import Foundation
import Testing

private let utc = TimeZone(identifier: "UTC")!
private let t0: Int64 = 1_780_000_000 - 1_780_000_000 % 86_400 // midnight UTC

private func entry(_ pipeline: String, _ schedule: String?, full: String?) throws -> ScheduleStateMachine.Entry {
    .init(
        key: PipelineID(pipeline: pipeline),
        schedule: try schedule.map { try CronSchedule(parsing: $0, defaultTimeZone: utc) },
        fullSchedule: try full.map { try CronSchedule(parsing: $0, defaultTimeZone: utc) })
}

/// `full_schedule`: the nightly full run beside the five-minute incremental one.
@Suite struct FullScheduleTests {
    let a = PipelineID(pipeline: "a")

    @Test func theFullScheduleStartsAFullRunAndWinsWhenBothAreDue() throws {
        var machine = ScheduleStateMachine()
        machine.load([try entry("a", "*/5 * * * *", full: "0 2 * * *")], lastRuns: [:], now: t0)
        #expect(machine.nextFullRun(of: a) == t0 + 2 * 3600)
        #expect(machine.tick(now: t0 + 300) == [.start(a, due: t0 + 300, full: false)])
        machine.finished(a)
        // 02:00: both schedules fire; the pipeline starts once, in full.
        _ = machine.tick(now: t0 + 2 * 3600 - 300)
        machine.finished(a)
        #expect(machine.tick(now: t0 + 2 * 3600) == [.start(a, due: t0 + 2 * 3600, full: true)])
        machine.finished(a)
        #expect(machine.tick(now: t0 + 2 * 3600 + 1).isEmpty, "the incremental run due at 02:00 ran as the full one")
        #expect(machine.nextRun(of: a) == t0 + 2 * 3600 + 300)
        #expect(machine.nextFullRun(of: a) == t0 + 26 * 3600)
        #expect(machine.tick(now: t0 + 2 * 3600 + 300) == [.start(a, due: t0 + 2 * 3600 + 300, full: false)])
    }

    @Test func aFullRunMissedWhileStoppedRunsOnceAtStart() throws {
        var machine = ScheduleStateMachine()
        // The service was down three nights; an incremental run (from cron) happened since.
        machine.load(
            [try entry("a", "*/5 * * * *", full: "0 2 * * *")], lastRuns: [a: t0 + 9 * 3600],
            lastFullRuns: [a: t0 - 3 * 86_400 + 2 * 3600], now: t0 + 9 * 3600 + 10)
        #expect(
            machine.tick(now: t0 + 9 * 3600 + 10) == [.start(a, due: t0 - 2 * 86_400 + 2 * 3600, full: true)])
        machine.finished(a)
        #expect(machine.tick(now: t0 + 9 * 3600 + 20).isEmpty, "three missed nights run once")
        #expect(machine.nextFullRun(of: a) == t0 + 26 * 3600)
    }

    @Test func aPipelineWithoutARecordedFullRunWaitsForItsFirstFullTime() throws {
        var machine = ScheduleStateMachine()
        machine.load(
            [try entry("a", nil, full: "0 2 * * *")], lastRuns: [a: t0 - 86_400], lastFullRuns: [:], now: t0 + 3600)
        #expect(machine.tick(now: t0 + 3600).isEmpty)
        #expect(machine.nextWake == t0 + 2 * 3600)
        #expect(machine.tick(now: t0 + 2 * 3600) == [.start(a, due: t0 + 2 * 3600, full: true)])
    }

    @Test func aFullTimeThatComesDuringARunWaitsForItsEnd() throws {
        var machine = ScheduleStateMachine()
        machine.load([try entry("a", "*/5 * * * *", full: "0 2 * * *")], lastRuns: [:], now: t0 + 2 * 3600 - 301)
        #expect(machine.tick(now: t0 + 2 * 3600 - 300) == [.start(a, due: t0 + 2 * 3600 - 300, full: false)])
        // Still running at 02:00: the incremental time is skipped, the full one waits.
        #expect(machine.tick(now: t0 + 2 * 3600) == [.skip(a, due: t0 + 2 * 3600)])
        #expect(machine.nextWake == t0 + 2 * 3600 + 300, "no busy wake-ups while the full run waits")
        #expect(machine.trigger(a) == .busy)
        machine.finished(a)
        #expect(machine.tick(now: t0 + 2 * 3600 + 40) == [.start(a, due: t0 + 2 * 3600, full: true)])
        machine.finished(a)
        #expect(machine.nextFullRun(of: a) == t0 + 26 * 3600)
    }

    @Test func aReloadKeepsTheNextFullTimeUnlessTheFullScheduleChanged() throws {
        var machine = ScheduleStateMachine()
        machine.load([try entry("a", "*/5 * * * *", full: "0 2 * * *")], lastRuns: [:], now: t0)
        machine.load([try entry("a", "*/10 * * * *", full: "0 2 * * *")], lastRuns: [:], now: t0 + 60)
        #expect(machine.nextFullRun(of: a) == t0 + 2 * 3600)
        machine.load([try entry("a", "*/10 * * * *", full: "30 3 * * *")], lastRuns: [:], now: t0 + 120)
        #expect(machine.nextFullRun(of: a) == t0 + 3 * 3600 + 1800)
        machine.load([try entry("a", "*/10 * * * *", full: nil)], lastRuns: [:], now: t0 + 180)
        #expect(machine.nextFullRun(of: a) == nil)
    }
}
