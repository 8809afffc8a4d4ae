import FerryCore
import FerryEngine
import FerrySchedule
import Foundation
import Logging

/// `ferry serve`'s engine room: feeds `ScheduleStateMachine` the time, runs what it
/// says, and handles triggers, reloads and shutdown.
///
/// Threads, not tasks: a pipeline run is blocking work (plugin calls, SQLite,
/// libcurl), so each site has a serial queue that runs its pipelines one at a time, in
/// order, as `ferry run` does, while sites run side by side. The loop thread only
/// decides; it never runs a pipeline itself.
public final class ServeScheduler: @unchecked Sendable {
    /// Builds a backend from the configuration on disk (at start and on every reload).
    public typealias Loader = @Sendable () throws -> any ServeBackend

    private let clock: any ServeClock
    private let loader: Loader
    private let logger: Logger
    private let metrics: ServeMetrics?
    private let lock = NSLock()
    private let wakeup = Wakeup()
    private let work = DispatchGroup()
    private let eventLog = ServeEventLog()
    private var machine = ScheduleStateMachine()
    private var backend: any ServeBackend
    /// Backends replaced by a reload whose runs may still be going (cancelled on stop too).
    /// Held weakly: a run in flight keeps its backend alive, and nothing else does.
    private var retired: [WeakBackend] = []
    private var queues: [String: DispatchQueue] = [:]
    /// Told of every finished run (notifications).
    private var observers: [@Sendable (PipelineID, RunResult) -> Void] = []
    /// How each pipeline's latest run in this process ended (busy and skipped runs leave no run record).
    private var lastResults: [PipelineID: RunResult] = [:]
    private var stopping = false
    private var loop: Thread?

    /// Loads the configuration and schedules its pipelines (nothing runs until `start`).
    /// - Parameters:
    ///   - clock: the time to schedule by.
    ///   - logger: where the scheduler logs.
    ///   - metrics: where runs are counted, if anywhere.
    ///   - loader: reads the configuration; called again on each reload.
    /// - Throws: what the loader throws, for a configuration that cannot be served.
    public init(clock: any ServeClock, logger: Logger, metrics: ServeMetrics? = nil, loader: @escaping Loader) throws {
        self.clock = clock
        self.loader = loader
        self.logger = logger
        self.metrics = metrics
        backend = try loader()
        machine.load(
            backend.entries, lastRuns: backend.lastRunStarts(), lastFullRuns: backend.lastFullRunStarts(),
            now: Self.seconds(clock.now()))
    }

    private static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

    /// The loaded backend (for the HTTP API's reads).
    public var current: any ServeBackend { lock.withLock { backend } }

    /// The latest events, oldest first.
    public var events: [ServeEvent] { eventLog.all }

    /// Waits (at most `timeout` seconds) for an event; returns it, or nil.
    /// - Parameters:
    ///   - timeout: how long to wait at most.
    ///   - predicate: the event wanted.
    public func waitForEvent(timeout: TimeInterval = 30, _ predicate: (ServeEvent) -> Bool) -> ServeEvent? {
        eventLog.wait(timeout: timeout, for: predicate)
    }

    /// Waits (at most `timeout` seconds) until the events so far satisfy `condition`.
    /// - Parameters:
    ///   - timeout: how long to wait at most.
    ///   - condition: a test of the whole list (it must not call back into the scheduler).
    @discardableResult
    public func waitForEvents(timeout: TimeInterval = 30, _ condition: ([ServeEvent]) -> Bool) -> Bool {
        eventLog.waitUntil(timeout: timeout, condition)
    }

    /// Starts the loop thread.
    public func start() {
        let thread = Thread { [self] in runLoop() }
        thread.name = "ferry-serve-scheduler"
        lock.withLock { loop = thread }
        thread.start()
    }

    private func runLoop() {
        while true {
            let generation = wakeup.generation
            let now = clock.now()
            let (actions, wake, stop): ([ScheduleStateMachine.Action], Int64?, Bool) = lock.withLock {
                if stopping { return ([], nil, true) }
                return (machine.tick(now: Self.seconds(now)), machine.nextWake, false)
            }
            if stop { return }
            perform(actions)
            clock.wait(
                until: wake.map { Date(timeIntervalSince1970: TimeInterval($0)) }, wakeup: wakeup, seen: generation)
        }
    }

    private func perform(_ actions: [ScheduleStateMachine.Action]) {
        var starts: [(PipelineID, RunRequest)] = []
        for action in actions {
            switch action {
            case .start(let key, let due, let full):
                starts.append(
                    (key, RunRequest(key: key, options: RunOptions(fullRefresh: full), trigger: .schedule(due: due))))
            case .skip(let key, let due):
                logger.notice(
                    "Scheduled run not started: the previous one is still running.", metadata: ["pipeline": "\(key)"])
                metrics?.skipped(key)
                eventLog.append(.skippedStillRunning(key, due: due))
            }
        }
        // One round per site, in configuration order, so a pipeline runs after those it depends on.
        var sites: [String] = []
        for (key, _) in starts where !sites.contains(key.site) { sites.append(key.site) }
        for site in sites { submit(starts.filter { $0.0.site == site }.map(\.1), site: site) }
    }

    private func submit(_ requests: [RunRequest], site: String) {
        let (queue, backend) = lock.withLock {
            if queues[site] == nil { queues[site] = DispatchQueue(label: "ferry-serve-site-\(site)") }
            return (queues[site]!, self.backend)
        }
        work.enter()
        queue.async { [self] in
            defer { work.leave() }
            var failed: [String: String] = [:] // pipeline → its status, in this round
            for request in requests {
                let key = request.key
                if lock.withLock({ stopping }) {
                    finish(key, RunResult(status: "cancelled", message: "ferry serve is stopping"))
                    continue
                }
                if let blocker = backend.dependencies(of: key).first(where: { failed[$0] != nil }) {
                    failed[key.pipeline] = "skipped"
                    eventLog.append(.skippedDependency(key, failed: blocker))
                    logger.warning(
                        "Run skipped: a pipeline it runs after failed.",
                        metadata: ["pipeline": "\(key)", "after": "\(blocker)"])
                    finish(key, RunResult(status: "skipped", message: "'\(blocker)' failed in this round"))
                    continue
                }
                eventLog.append(.started(key, request.trigger))
                metrics?.started(key)
                let result = backend.execute(request)
                if !result.allowsDependents { failed[key.pipeline] = result.status }
                finish(key, result)
            }
        }
    }

    /// Calls `body` after every run, on the thread that ran it.
    /// - Parameter body: receives the pipeline and how its run ended.
    public func observe(_ body: @escaping @Sendable (PipelineID, RunResult) -> Void) {
        lock.withLock { observers.append(body) }
    }

    private func finish(_ key: PipelineID, _ result: RunResult) {
        let observers = lock.withLock {
            machine.finished(key)
            lastResults[key] = result
            return self.observers
        }
        observers.forEach { $0(key, result) }
        metrics?.finished(key, result, at: clock.now())
        eventLog.append(.finished(key, result))
        wakeup.signal()
    }

    /// Runs a pipeline now, outside its schedule (the HTTP API).
    /// - Parameter request: the pipeline and options.
    /// - Returns: `.start` when it was queued, `.busy` when it is already running, `.unknown`.
    public func trigger(_ request: RunRequest) -> ScheduleStateMachine.TriggerResult {
        let result: ScheduleStateMachine.TriggerResult = lock.withLock {
            stopping ? .busy : machine.trigger(request.key)
        }
        if result == .start { submit([request], site: request.key.site) }
        return result
    }

    /// Reads the configuration again and, only if it loads completely, replaces the running one.
    /// - Returns: nil on success, else why the new configuration was refused.
    @discardableResult
    public func reload() -> String? {
        let loaded: any ServeBackend
        do {
            loaded = try loader()
        } catch {
            let reason = "\(error)"
            logger.error("Configuration not reloaded; the running one stays.", metadata: ["error": "\(reason)"])
            eventLog.append(.reloadRefused(reason))
            return reason
        }
        let lastRuns = loaded.lastRunStarts()
        let lastFullRuns = loaded.lastFullRunStarts()
        lock.withLock {
            retired = retired.filter { $0.backend != nil } + [WeakBackend(backend: backend)]
            backend = loaded
            machine.load(
                loaded.entries, lastRuns: lastRuns, lastFullRuns: lastFullRuns, now: Self.seconds(clock.now()))
        }
        logger.notice("Configuration reloaded.", metadata: ["pipelines": "\(loaded.entries.count)"])
        eventLog.append(.reloaded(pipelines: loaded.entries.count))
        wakeup.signal()
        return nil
    }

    /// What the schedule knows of each pipeline.
    public struct PipelineState: Sendable {
        /// The pipeline.
        public var key: PipelineID
        /// Its schedule with its zone, if it has one.
        public var schedule: String?
        /// When it next runs on its schedule.
        public var nextRun: Date?
        /// Its full schedule (`full_schedule`) with its zone, if it has one.
        public var fullSchedule: String?
        /// When it next runs in full on its full schedule.
        public var nextFullRun: Date?
        /// True while it runs (or waits in its site's queue).
        public var running: Bool
        /// How its latest run started by this process ended.
        public var lastResult: RunResult?
    }

    /// Every pipeline served, in configuration order.
    public var pipelines: [PipelineState] {
        lock.withLock {
            backend.entries.map { entry in
                PipelineState(
                    key: entry.key, schedule: entry.schedule?.description,
                    nextRun: machine.nextRun(of: entry.key).map { Date(timeIntervalSince1970: TimeInterval($0)) },
                    fullSchedule: entry.fullSchedule?.description,
                    nextFullRun: machine.nextFullRun(of: entry.key).map {
                        Date(timeIntervalSince1970: TimeInterval($0))
                    },
                    running: machine.isRunning(entry.key), lastResult: lastResults[entry.key])
            }
        }
    }

    /// True until `stop` is called.
    public var isAcceptingRuns: Bool { lock.withLock { !stopping } }

    /// Stops starting runs, asks the running ones to stop at their next batch boundary,
    /// and returns when they have.
    public func stop() {
        let backends: [any ServeBackend] = lock.withLock {
            stopping = true
            return retired.compactMap(\.backend) + [backend]
        }
        eventLog.append(.stopping)
        wakeup.signal()
        backends.forEach { $0.cancelAll() }
        work.wait()
    }
}

/// A replaced backend, not kept alive by the scheduler.
private struct WeakBackend {
    weak var backend: (any ServeBackend)?
}
