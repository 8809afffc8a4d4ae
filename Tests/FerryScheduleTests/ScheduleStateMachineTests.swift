import FerryCore
import FerrySchedule
import Foundation
import Testing

private let utc = TimeZone(identifier: "UTC")!
private let t0: Int64 = 1_780_000_000 - 1_780_000_000 % 3600 // a whole hour, UTC

private func entry(_ pipeline: String, _ schedule: String?, site: String = "") throws -> ScheduleStateMachine.Entry {
    .init(
        key: PipelineID(site: site, pipeline: pipeline),
        schedule: try schedule.map { try CronSchedule(parsing: $0, defaultTimeZone: utc) })
}

@Suite struct ScheduleStateMachineTests {
    let a = PipelineID(pipeline: "a")
    let b = PipelineID(pipeline: "b")

    @Test func duePipelinesStartInConfigurationOrder() throws {
        var machine = ScheduleStateMachine()
        machine.load([try entry("b", "*/10 * * * *"), try entry("a", "*/10 * * * *")], lastRuns: [:], now: t0)
        #expect(machine.nextWake == t0 + 600)
        #expect(machine.tick(now: t0 + 599).isEmpty)
        #expect(machine.tick(now: t0 + 600) == [.start(b, due: t0 + 600), .start(a, due: t0 + 600)])
        #expect(machine.nextWake == t0 + 1200)
    }

    @Test func manyMissedTimesRunOnce() throws {
        var machine = ScheduleStateMachine()
        machine.load([try entry("a", "*/5 * * * *")], lastRuns: [:], now: t0)
        // The process was stopped (or the machine suspended) for an hour: twelve times passed.
        #expect(machine.tick(now: t0 + 3600 + 7) == [.start(a, due: t0 + 300)])
        machine.finished(a)
        #expect(machine.nextRun(of: a) == t0 + 3600 + 300)
        #expect(machine.tick(now: t0 + 3600 + 8).isEmpty)
    }

    @Test func aRunMissedWhileTheServiceWasDownRunsOnceAtStart() throws {
        var machine = ScheduleStateMachine()
        let lastRuns = [a: t0 - 6 * 3600, b: t0 + 5]
        machine.load(
            [try entry("a", "0 * * * *"), try entry("b", "0 * * * *"), try entry("c", "0 * * * *")], lastRuns: lastRuns,
            now: t0 + 30)
        // a last ran six hours ago: due (once); b ran at this hour's time; c never ran: waits.
        #expect(machine.tick(now: t0 + 30) == [.start(a, due: t0 - 5 * 3600)])
        #expect(machine.nextRun(of: b) == t0 + 3600)
        #expect(machine.nextRun(of: PipelineID(pipeline: "c")) == t0 + 3600)
    }

    @Test func aRunStillGoingIsNotStartedTwice() throws {
        var machine = ScheduleStateMachine()
        machine.load([try entry("a", "* * * * *")], lastRuns: [:], now: t0)
        #expect(machine.tick(now: t0 + 60) == [.start(a, due: t0 + 60)])
        #expect(machine.tick(now: t0 + 120) == [.skip(a, due: t0 + 120)])
        #expect(machine.trigger(a) == .busy)
        machine.finished(a)
        #expect(machine.tick(now: t0 + 180) == [.start(a, due: t0 + 180)])
    }

    @Test func triggersStartUnscheduledPipelinesAndRefuseUnknownOnes() throws {
        var machine = ScheduleStateMachine()
        machine.load([try entry("a", nil)], lastRuns: [:], now: t0)
        #expect(machine.nextWake == nil)
        #expect(machine.trigger(PipelineID(pipeline: "zzz")) == .unknown)
        #expect(machine.trigger(a) == .start)
        #expect(machine.isRunning(a))
        #expect(machine.trigger(a) == .busy)
        machine.finished(a)
        #expect(!machine.isRunning(a))
    }

    @Test func aReloadKeepsUnchangedTimesAndRunningFlags() throws {
        var machine = ScheduleStateMachine()
        machine.load([try entry("a", "*/10 * * * *"), try entry("b", "*/10 * * * *")], lastRuns: [:], now: t0)
        #expect(machine.tick(now: t0 + 600).count == 2)
        machine.finished(b)
        // b gets a new schedule; a, still running, is removed.
        machine.load([try entry("b", "0 * * * *")], lastRuns: [:], now: t0 + 700)
        #expect(machine.keys == [b])
        #expect(machine.nextRun(of: b) == t0 + 3600)
        #expect(machine.trigger(a) == .unknown)
        #expect(machine.tick(now: t0 + 3600) == [.start(b, due: t0 + 3600)])
        machine.finished(a) // the removed run ends: forgotten
        machine.load([try entry("a", "*/10 * * * *"), try entry("b", "0 * * * *")], lastRuns: [:], now: t0 + 3601)
        #expect(!machine.isRunning(a))
        #expect(machine.isRunning(b))
    }

    @Test func sitesAreSeparatePipelines() throws {
        var machine = ScheduleStateMachine()
        machine.load(
            [try entry("a", "0 * * * *", site: "acme"), try entry("a", "30 * * * *", site: "globex")], lastRuns: [:],
            now: t0)
        #expect(machine.tick(now: t0 + 1800) == [.start(PipelineID(site: "globex", pipeline: "a"), due: t0 + 1800)])
        #expect(machine.tick(now: t0 + 3600) == [.start(PipelineID(site: "acme", pipeline: "a"), due: t0 + 3600)])
    }
}
