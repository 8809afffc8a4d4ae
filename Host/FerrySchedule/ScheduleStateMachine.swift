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
///   usual. A manual trigger of a running pipeline is refused the same way. (Across
///   processes, the state store's lease does the same for `ferry run` from cron.)
/// - A reload keeps what it can: a pipeline whose schedule did not change keeps its next
///   time, and a running pipeline stays running whatever its new schedule.
public struct ScheduleStateMachine: Sendable {
    /// One pipeline as the configuration schedules it.
    public struct Entry: Sendable {
        /// The pipeline.
        public var key: PipelineID
        /// When it runs; nil for a pipeline that only runs when triggered.
        public var schedule: CronSchedule?

        /// Creates an entry.
        /// - Parameters:
        ///   - key: the pipeline.
        ///   - schedule: its schedule, or nil when it is only triggered.
        public init(key: PipelineID, schedule: CronSchedule?) {
            self.key = key
            self.schedule = schedule
        }
    }

    /// What the service must do after a tick.
    public enum Action: Sendable, Equatable {
        /// Start the pipeline now; it was due at `due`.
        case start(PipelineID, due: Int64)
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
    ///   - now: the current time, seconds since 1970.
    public mutating func load(_ entries: [Entry], lastRuns: [PipelineID: Int64], now: Int64) {
        var updated: [PipelineID: Job] = [:]
        for entry in entries {
            var job = Job(entry: entry)
            if let old = jobs[entry.key] {
                job.running = old.running
                if old.entry.schedule?.description == entry.schedule?.description {
                    job.next = old.next
                    updated[entry.key] = job
                    continue
                }
            }
            if let schedule = entry.schedule {
                if let last = lastRuns[entry.key], let missed = schedule.next(after: last), missed <= now {
                    job.next = missed
                } else {
                    job.next = schedule.next(after: now)
                }
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

    /// Starts what is due at `now`, skips what is due but still running.
    /// - Parameter now: the current time, seconds since 1970.
    /// - Returns: the actions, in configuration order.
    public mutating func tick(now: Int64) -> [Action] {
        var actions: [Action] = []
        for key in order {
            guard var job = jobs[key], let due = job.next, due <= now, let schedule = job.entry.schedule else {
                continue
            }
            job.next = schedule.next(after: now)
            if job.running {
                actions.append(.skip(key, due: due))
            } else {
                job.running = true
                actions.append(.start(key, due: due))
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
    public var nextWake: Int64? { order.compactMap { jobs[$0]?.next }.min() }

    /// When a pipeline next runs on its schedule, or nil.
    /// - Parameter key: the pipeline.
    public func nextRun(of key: PipelineID) -> Int64? { jobs[key]?.next }

    /// True while a pipeline runs.
    /// - Parameter key: the pipeline.
    public func isRunning(_ key: PipelineID) -> Bool { jobs[key]?.running ?? false }

    /// The scheduled pipelines, in configuration order.
    public var keys: [PipelineID] { order }
}
