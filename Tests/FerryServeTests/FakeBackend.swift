import FerryCore
import FerrySchedule
import FerryServe
import Foundation
import Logging

/// A backend whose runs the test controls: each run waits until the test releases
/// it (when `holdRuns` is set) and ends with the status the test chose.
final class FakeBackend: ServeBackend, @unchecked Sendable {
    let entries: [ScheduleStateMachine.Entry]
    let configFile = "fake.yaml"
    let store = InMemoryStateStore()
    private let lock = NSCondition()
    private var released = 0
    private var executed: [RunRequest] = []
    private var cancelled = false
    var holdRuns = false
    var outcomes: [String: String] = [:] // pipeline → status
    var after: [String: [String]] = [:] // pipeline → the pipelines it runs after
    var lastStarts: [PipelineID: Int64] = [:]
    var lastFullStarts: [PipelineID: Int64] = [:]
    var failureMessage = "it broke"
    var openDeadLetters = 0

    /// - Parameters:
    ///   - schedules: each pipeline with its schedule.
    ///   - fullSchedules: pipelines' full schedules (`full_schedule`), by name.
    ///   - site: the site of every pipeline.
    init(_ schedules: [(String, String?)], fullSchedules: [String: String] = [:], site: String = "") throws {
        let utc = TimeZone(identifier: "UTC")!
        entries = try schedules.map { name, text in
            .init(
                key: PipelineID(site: site, pipeline: name),
                schedule: try text.map { try CronSchedule(parsing: $0, defaultTimeZone: utc) },
                fullSchedule: try fullSchedules[name].map { try CronSchedule(parsing: $0, defaultTimeZone: utc) })
        }
    }

    var requests: [RunRequest] { lock.withLock { executed } }
    var wasCancelled: Bool { lock.withLock { cancelled } }

    /// The first request `matching` the backend was given, waiting for it up to `timeout`
    /// seconds: the scheduler notes a run's start before it hands the backend the request.
    func waitForRequest(timeout: TimeInterval = 30, _ matching: (RunRequest) -> Bool = { _ in true }) -> RunRequest? {
        let deadline = Date().addingTimeInterval(timeout)
        return lock.withLock {
            while true {
                if let found = executed.first(where: matching) { return found }
                guard lock.wait(until: deadline) else { return executed.first(where: matching) }
            }
        }
    }

    /// Lets one held run finish.
    func release() {
        lock.withLock {
            released += 1; lock.broadcast()
        }
    }

    func lastRunStarts() -> [PipelineID: Int64] { lastStarts }
    func lastFullRunStarts() -> [PipelineID: Int64] { lastFullStarts }
    func dependencies(of key: PipelineID) -> [String] { after[key.pipeline] ?? [] }

    func execute(_ request: RunRequest) -> RunResult {
        lock.withLock {
            executed.append(request)
            lock.broadcast()
            if holdRuns {
                while released == 0 && !cancelled { lock.wait() }
                if released > 0 { released -= 1 }
            }
        }
        if wasCancelled { return RunResult(status: "cancelled") }
        let status = outcomes[request.key.pipeline] ?? "succeeded"
        return RunResult(
            status: status, counts: BatchCounts(read: 3, written: 2, rejected: 1), seconds: 0.5,
            message: status == "failed" ? failureMessage : nil)
    }

    func cancelAll() {
        lock.withLock {
            cancelled = true; lock.broadcast()
        }
    }

    func recentRuns(of key: PipelineID?, site: String?, limit: Int) throws -> [RunRecord] {
        try store.recentRuns(of: key, limit: limit)
    }

    func deadLetters(site: String, pipeline: String?, includeReplayed: Bool, limit: Int) throws -> [DeadLetter] {
        try store.deadLetters(
            for: pipeline.map { PipelineID(site: site, pipeline: $0) }, includeReplayed: includeReplayed, limit: limit
        )
        .filter { $0.pipeline.site == site }
    }

    func discardDeadLetters(site: String, ids: [Int64]) throws -> Int { try store.discardDeadLetters(ids) }

    var logs: [RunID: [String]] = [:]
    func runLog(_ run: RunID) -> [String]? { logs[run] }

    var budgets: [BudgetState] = []
    func rateBudgets() -> [BudgetState] { budgets }
    var fleet: WorkerFleet?
    func workerFleet() throws -> WorkerFleet? { fleet }
}

/// 2026-06-01T00:00:00Z, a whole hour.
let start = Date(timeIntervalSince1970: 1_780_272_000)

func quietLogger() -> Logger {
    var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    logger.logLevel = .critical
    return logger
}

extension ServeEvent {
    var startedKey: PipelineID? { if case .started(let key, _) = self { key } else { nil } }
    var finishedKey: PipelineID? { if case .finished(let key, _) = self { key } else { nil } }
}
