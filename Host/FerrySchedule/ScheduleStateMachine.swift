import FerryCore

/// When each scheduled pipeline runs, as a value with no clock and no I/O: the
/// service feeds it the time and what happened, and carries out the actions it returns.
///
/// The rules:
/// - A pipeline is due at each time its schedule fires. At a tick, every due pipeline
///   is started, in the order the configuration lists them (which puts a pipeline
///   after those it depends on).
/// - **Missed runs run once.** After downtime (or a tick that came late), however many
///   times passed, a due pipeline runs once and its next time is the first one after
///   now. On load, a pipeline whose last run (from the state store) is older than its
///   latest scheduled time is due at once; one that never ran waits for its first time.
/// - **No overlap.** A pipeline that is still running when it is due again is not
///   started a second time: the tick returns `.skip`, and the next time is computed as
///   usual (a full time instead waits, and starts when the running run ends). A manual trigger of a running pipeline is refused the same way. (Across
///   processes, the state store's lease does the same for `ferry run` from cron.)
/// - A reload keeps what it can: a pipeline whose schedule did not change keeps its next
///   time, and a running pipeline stays running whatever its new schedule.
/// - **Full runs** (`full_schedule`): a pipeline may have a second schedule at which it runs
///   in full (`ferry run --full`). It follows the same rules, against the last *full* run
///   for missed times. When both schedules are due at one tick, the pipeline starts once,
///   in full: a full run reads everything an incremental one would.
public struct ScheduleStateMachine: Sendable {
    /// One pipeline as the configuration schedules it.
    public struct Entry: Sendable {
        /// The pipeline.
        public var key: PipelineID
        /// When it runs; nil for a pipeline that only runs when triggered.
        public var schedule: CronSchedule?
        /// When it runs in full; nil when it has no full schedule.
        public var fullSchedule: CronSchedule?

        /// Creates an entry.
        /// - Parameters:
        ///   - key: the pipeline.
        ///   - schedule: its schedule, or nil when it is only triggered.
        ///   - fullSchedule: when it runs in full, if ever on a schedule.
        public init(key: PipelineID, schedule: CronSchedule?, fullSchedule: CronSchedule? = nil) {
            self.key = key
            self.schedule = schedule
            self.fullSchedule = fullSchedule
        }
    }

    /// What the service must do after a tick.
    public enum Action: Sendable, Equatable {
        /// Start the pipeline now; it was due at `due`; `full` when its full schedule fired.
        case start(PipelineID, due: Int64, full: Bool = false)
        /// The pipeline was due at `due` but is still running: log it, start nothing.
        case skip(PipelineID, due: Int64)
    }

    /// The answer to a manual trigger.
    public enum TriggerResult: Sendable, Equatable {
        /// Marked running: start it.
        case start
        /// Already running.
        case busy
        /// No such pipeline in the loaded configuration.
        case unknown
    }

    private struct Job: Sendable {
        var entry: Entry
        var next: Int64?
        var nextFull: Int64?
        var running = false
    }

    private var jobs: [PipelineID: Job] = [:]
    private var order: [PipelineID] = []

    /// An empty schedule; `load` fills it.
    public init() {}

    /// Loads (or reloads) the pipelines to schedule.
    /// - Parameters:
    ///   - entries: the pipelines, in the order due ones start.
    ///   - lastRuns: when each pipeline last started (from the state store), for missed runs.
    ///   - lastFullRuns: when each pipeline last started a full run, for missed full runs.
    ///   - now: the current time, seconds since 1970.
    public mutating func load(
        _ entries: [Entry], lastRuns: [PipelineID: Int64], lastFullRuns: [PipelineID: Int64] = [:], now: Int64
    ) {
        var updated: [PipelineID: Job] = [:]
        for entry in entries {
            var job = Job(entry: entry)
            let old = jobs[entry.key]
            job.running = old?.running ?? false
            if let old, old.entry.schedule?.description == entry.schedule?.description {
                job.next = old.next
            } else {
                job.next = Self.firstDue(entry.schedule, last: lastRuns[entry.key], now: now)
            }
            if let old, old.entry.fullSchedule?.description == entry.fullSchedule?.description {
                job.nextFull = old.nextFull
            } else {
                job.nextFull = Self.firstDue(entry.fullSchedule, last: lastFullRuns[entry.key], now: now)
            }
            updated[entry.key] = job
        }
        // A removed pipeline that is still running is kept until it finishes, unscheduled.
        for (key, old) in jobs where old.running && updated[key] == nil {
            updated[key] = Job(entry: Entry(key: key, schedule: nil), next: nil, running: true)
        }
        jobs = updated
        order = entries.map(\.key)
    }

    /// The first time a schedule is due: at once when a time passed since the last run
    /// (missed while stopped), else its next time.
    private static func firstDue(_ schedule: CronSchedule?, last: Int64?, now: Int64) -> Int64? {
        guard let schedule else { return nil }
        if let last, let missed = schedule.next(after: last), missed <= now { return missed }
        return schedule.next(after: now)
    }

    /// Starts what is due at `now`, skips what is due but still running.
    /// - Parameter now: the current time, seconds since 1970.
    /// - Returns: the actions, in configuration order.
    public mutating func tick(now: Int64) -> [Action] {
        var actions: [Action] = []
        for key in order {
            guard var job = jobs[key] else { continue }
            let dueIncremental = job.next.flatMap { $0 <= now ? $0 : nil }
            let dueFull = job.nextFull.flatMap { $0 <= now ? $0 : nil }
            if dueIncremental != nil { job.next = job.entry.schedule?.next(after: now) }
            if job.running {
                // An incremental time is skipped (the next one comes soon); a full time stays due
                // and starts when the running run ends, or a nightly full run could be lost for a day.
                if let due = dueIncremental { actions.append(.skip(key, due: due)) }
            } else if let due = dueFull ?? dueIncremental {
                // The full run also stands for an incremental one due with it: it reads everything.
                if dueFull != nil { job.nextFull = job.entry.fullSchedule?.next(after: now) }
                job.running = true
                actions.append(.start(key, due: due, full: dueFull != nil))
            }
            jobs[key] = job
        }
        return actions
    }

    /// A request to run a pipeline now, outside its schedule.
    /// - Parameter key: the pipeline.
    public mutating func trigger(_ key: PipelineID) -> TriggerResult {
        guard var job = jobs[key], order.contains(key) else { return .unknown }
        if job.running { return .busy }
        job.running = true
        jobs[key] = job
        return .start
    }

    /// Records that a started pipeline finished (whatever its outcome).
    /// - Parameter key: the pipeline.
    public mutating func finished(_ key: PipelineID) {
        guard var job = jobs[key] else { return }
        job.running = false
        if order.contains(key) { jobs[key] = job } else { jobs[key] = nil }
    }

    /// The earliest time any pipeline is due, or nil when none is scheduled.
    /// A full run waiting for its pipeline's current run is left out: the end of that run wakes the service.
    public var nextWake: Int64? {
        order.compactMap { jobs[$0] }.flatMap { [$0.next, $0.running ? nil : $0.nextFull] }.compactMap { $0 }.min()
    }

    /// When a pipeline next runs on its schedule, or nil.
    /// - Parameter key: the pipeline.
    public func nextRun(of key: PipelineID) -> Int64? { jobs[key]?.next }

    /// When a pipeline next runs in full on its full schedule, or nil.
    /// - Parameter key: the pipeline.
    public func nextFullRun(of key: PipelineID) -> Int64? { jobs[key]?.nextFull }

    /// True while a pipeline runs.
    /// - Parameter key: the pipeline.
    public func isRunning(_ key: PipelineID) -> Bool { jobs[key]?.running ?? false }

    /// The scheduled pipelines, in configuration order.
    public var keys: [PipelineID] { order }
}
