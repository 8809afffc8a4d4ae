import FerryCore
import FerryEngine
import FerrySchedule
import Foundation

/// What a run was asked for.
public struct RunRequest: Sendable {
    /// Why the run starts.
    public enum Trigger: Sendable, Equatable {
        /// Its schedule fired; it was due at this time (seconds since 1970).
        case schedule(due: Int64)
        /// The HTTP API asked for it.
        case api
        /// The HTTP API asked to replay these dead letters (all open ones when empty).
        case replay([Int64])
    }

    /// The pipeline.
    public var key: PipelineID
    /// How to run it (`--since`, `--full`, …), as `ferry run` takes them.
    public var options: RunOptions
    /// Why.
    public var trigger: Trigger

    /// Creates a request.
    /// - Parameters:
    ///   - key: the pipeline.
    ///   - options: run options.
    ///   - trigger: why it runs.
    public init(key: PipelineID, options: RunOptions = RunOptions(), trigger: Trigger) {
        self.key = key
        self.options = options
        self.trigger = trigger
    }
}

/// How a run ended, as `ferry serve` reports and counts it.
public struct RunResult: Sendable, Equatable {
    /// `succeeded`, `dead_lettered`, `rate_limited`, `cancelled`, `failed`, `busy`
    /// (another process holds the pipeline's lease) or `skipped` (a dependency failed).
    public var status: String
    /// The run's counts.
    public var counts: BatchCounts
    /// How long it took.
    public var seconds: Double
    /// The reason, for a run that did not succeed (secrets masked).
    public var message: String?

    /// Creates a result.
    public init(status: String, counts: BatchCounts = BatchCounts(), seconds: Double = 0, message: String? = nil) {
        self.status = status
        self.counts = counts
        self.seconds = seconds
        self.message = message
    }

    /// True when dependents may run after it.
    public var allowsDependents: Bool { ["succeeded", "dead_lettered"].contains(status) }

    /// Whether the run may have added dead letters, so the open ones are worth counting.
    public var mayAddDeadLetters: Bool { counts.rejected > 0 || status == "dead_lettered" }
    /// Whether the run may have added conflicts: they are recorded with the batches a run
    /// commits, for the records it wrote and (`destination_wins_reported`) those it read unchanged.
    public var mayAddConflicts: Bool { counts.read > 0 }
}

/// A rate budget as it stands (shared by the connections that name it).
public struct BudgetState: Sendable, Equatable {
    /// The budget's name.
    public var name: String
    /// Requests per minute allowed, if limited.
    public var perMinute: Int?
    /// Requests per day allowed, if limited.
    public var perDay: Int?
    /// Requests left in the current minute, if limited.
    public var minuteRemaining: Int?
    /// Requests left in the current day window, if limited.
    public var dayRemaining: Int?
    /// A server-imposed pause: no request before this time (seconds since 1970), if in the future.
    public var pausedUntil: Double?

    /// Creates a budget state.
    public init(
        name: String, perMinute: Int? = nil, perDay: Int? = nil, minuteRemaining: Int? = nil, dayRemaining: Int? = nil,
        pausedUntil: Double? = nil
    ) {
        self.name = name
        self.perMinute = perMinute
        self.perDay = perDay
        self.minuteRemaining = minuteRemaining
        self.dayRemaining = dayRemaining
        self.pausedUntil = pausedUntil
    }
}

/// One loaded configuration, as `ferry serve` schedules and runs it: the real one is
/// `ServeSites` (one `Workspace` per site); tests use twins.
///
/// A reload builds a new backend, and only a backend that loaded completely replaces
/// the one running.
public protocol ServeBackend: AnyObject, Sendable {
    /// The pipelines to schedule, in the order due ones start (dependencies first).
    var entries: [ScheduleStateMachine.Entry] { get }
    /// The configuration file, for messages.
    var configFile: String { get }
    /// When each pipeline last started, from the state store: missed runs are run once.
    func lastRunStarts() -> [PipelineID: Int64]
    /// When each pipeline last started a full run that `ferry serve` began (its
    /// `full_schedule` or the API's `full`): a missed full run is run once.
    func lastFullRunStarts() -> [PipelineID: Int64]
    /// The pipelines of the same site that `key` runs after (`after:`); when one of
    /// them fails in the same round, `key` is skipped.
    func dependencies(of key: PipelineID) -> [String]
    /// Runs a pipeline to its end (blocking), with the same lease as `ferry run`.
    func execute(_ request: RunRequest) -> RunResult
    /// Asks every run to stop at its next batch boundary.
    func cancelAll()
    /// The latest runs, newest first.
    func recentRuns(of key: PipelineID?, site: String?, limit: Int) throws -> [RunRecord]
    /// Dead letters with secrets masked, newest last.
    func deadLetters(site: String, pipeline: String?, includeReplayed: Bool, limit: Int) throws -> [DeadLetter]
    /// Deletes dead letters of a site; returns how many.
    func discardDeadLetters(site: String, ids: [Int64]) throws -> Int
    /// The log lines of a run this process started, while they are kept.
    func runLog(_ run: RunID) -> [String]?
    /// The rate budgets the served connections name, as they stand now.
    func rateBudgets() -> [BudgetState]
    /// The `serve --worker` fleet sharing this state (PostgreSQL), if any worker ever ran.
    func workerFleet() throws -> WorkerFleet?
    /// How many conflicts of a pipeline wait for a person (`ferry conflicts list`), for notifications.
    func openConflicts(of key: PipelineID) throws -> Int
}

extension ServeBackend {
    /// No full runs recorded: a backend without full schedules.
    public func lastFullRunStarts() -> [PipelineID: Int64] { [:] }
    public func workerFleet() throws -> WorkerFleet? { nil }
    /// No two-way pipelines: nothing waits.
    public func openConflicts(of key: PipelineID) throws -> Int { 0 }
}
