/// A pipeline of a site as `ferry serve --worker` declares it to the shared queue.
public struct WorkUnitDeclaration: Sendable, Equatable {
    /// The unit: one pipeline of one site.
    public var pipeline: PipelineID
    /// Its place in its site's run order (`after:` first, then the file's order).
    public var position: Int
    /// The pipelines of the same site it runs after.
    public var after: [String]
    /// Its schedule as written (with its zone); a changed schedule moves the due time.
    public var schedule: String
    /// When it is first due if the queue does not know it yet (seconds since 1970).
    public var firstDue: Double

    /// Creates a declaration.
    /// - Parameters:
    ///   - pipeline: the unit.
    ///   - position: its place in its site's order.
    ///   - after: the pipelines it runs after.
    ///   - schedule: its schedule's text.
    ///   - firstDue: its due time when new.
    public init(pipeline: PipelineID, position: Int, after: [String], schedule: String, firstDue: Double) {
        self.pipeline = pipeline
        self.position = position
        self.after = after
        self.schedule = schedule
        self.firstDue = firstDue
    }
}

/// A unit a worker has claimed: it holds its lease until it releases it or stops renewing.
public struct ClaimedUnit: Sendable, Equatable {
    /// The unit.
    public var pipeline: PipelineID
    /// The due time it was claimed for (seconds since 1970).
    public var due: Double
    /// A pipeline it runs after that ran for this due time and did not succeed: the unit is skipped.
    public var blockedBy: String?

    /// Creates a claimed unit.
    public init(pipeline: PipelineID, due: Double, blockedBy: String? = nil) {
        self.pipeline = pipeline
        self.due = due
        self.blockedBy = blockedBy
    }
}

/// A unit as the queue holds it (for `ferry status`).
public struct WorkUnitRecord: Sendable, Equatable {
    /// The unit.
    public var pipeline: PipelineID
    /// When it is next due (seconds since 1970), if it has a schedule.
    public var due: Double?
    /// The worker holding it, if any.
    public var holder: String?
    /// True when the holder's lease has run out (the holder stopped renewing it).
    public var leaseExpired: Bool
    /// How its latest run ended, if it ran.
    public var lastStatus: String?
    /// When its latest run ended (seconds since 1970).
    public var lastFinished: Double?

    /// Creates a record.
    public init(
        pipeline: PipelineID, due: Double?, holder: String?, leaseExpired: Bool, lastStatus: String?,
        lastFinished: Double?
    ) {
        self.pipeline = pipeline
        self.due = due
        self.holder = holder
        self.leaseExpired = leaseExpired
        self.lastStatus = lastStatus
        self.lastFinished = lastFinished
    }
}

/// A worker process as the queue knows it.
public struct WorkerRecord: Sendable, Equatable {
    /// Its id (`--worker-id`, by default host-pid).
    public var id: String
    /// The host it runs on.
    public var hostname: String
    /// Its process id there.
    public var pid: Int32
    /// When it started (seconds since 1970).
    public var startedAt: Double
    /// Seconds since its last heartbeat, by the database's clock.
    public var heartbeatAge: Double
    /// How many units it runs at once at most.
    public var maxUnits: Int

    /// Creates a record.
    public init(id: String, hostname: String, pid: Int32, startedAt: Double, heartbeatAge: Double, maxUnits: Int) {
        self.id = id
        self.hostname = hostname
        self.pid = pid
        self.startedAt = startedAt
        self.heartbeatAge = heartbeatAge
        self.maxUnits = maxUnits
    }
}

/// The shared queue of `ferry serve --worker`: each (site, pipeline) is a unit with a due
/// time; workers claim due units with a lease, renew it while they run them, and release
/// them with their next due time. A worker that stops renewing loses its units after the
/// lease time and another worker takes them.
///
/// Only a store shared by every machine can be the queue: the PostgreSQL store implements
/// it (rows of `work_units` and `workers`, claimed with `FOR UPDATE SKIP LOCKED`); SQLite does not.
public protocol WorkUnitQueue: AnyObject, Sendable {
    /// How long a unit's lease lasts without a heartbeat (the state URL's `lease_seconds`).
    var unitLeaseSeconds: Double { get }

    /// Records this worker (started now, with a heartbeat); refuses an id a live worker on
    /// another process still uses.
    /// - Parameters:
    ///   - id: the worker's id.
    ///   - holder: its process.
    ///   - maxUnits: how many units it runs at once.
    func registerWorker(id: String, holder: LeaseHolder, maxUnits: Int) throws

    /// Adds the units the queue does not know yet and updates the order, dependencies and
    /// schedule of those it knows (a changed schedule takes the new first due time).
    /// - Parameter units: the units of this worker's configuration.
    func declareUnits(_ units: [WorkUnitDeclaration]) throws

    /// Claims up to `limit` due units among `candidates` that nobody holds (or whose lease
    /// expired) and whose dependencies are not due before them or running; oldest due first.
    /// - Parameters:
    ///   - worker: the claiming worker's id.
    ///   - candidates: the units this worker can run.
    ///   - now: the worker's time (seconds since 1970).
    ///   - limit: how many at most.
    /// - Returns: the units now leased to `worker`.
    func claimUnits(worker: String, among candidates: [PipelineID], now: Double, limit: Int) throws -> [ClaimedUnit]

    /// The worker's heartbeat: renews its own row and the leases of the units it runs.
    /// - Parameters:
    ///   - worker: the worker's id.
    ///   - units: the units it is running.
    /// - Returns: those of `units` it no longer holds (their lease expired and another worker took them).
    func heartbeat(worker: String, units: [PipelineID]) throws -> [PipelineID]

    /// Gives a unit back.
    /// - Parameters:
    ///   - unit: the unit.
    ///   - worker: the worker that held it.
    ///   - nextDue: its next due time; nil leaves it unscheduled.
    ///   - notBefore: no worker claims it before this time (a retry after a busy start), if set.
    ///   - status: how its run ended, when it ran (nil: it did not run, the last status stays).
    /// - Returns: false when the worker no longer held it (another took it over): nothing changed.
    @discardableResult
    func releaseUnit(_ unit: PipelineID, worker: String, nextDue: Double?, notBefore: Double?, status: String?) throws
        -> Bool

    /// Forgets a stopping worker (its units must be released first).
    /// - Parameter id: the worker's id.
    func unregisterWorker(_ id: String) throws

    /// Every unit, by site then position.
    func workUnits() throws -> [WorkUnitRecord]

    /// Every registered worker, by id.
    func workers() throws -> [WorkerRecord]
}
