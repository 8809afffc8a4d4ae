import FerryCore
import FerrySchedule
import Foundation
import Logging

/// `ferry serve --worker`: one of several processes, on one or many machines, that share
/// the pipelines of a configuration through the state store's work queue.
///
/// Each scheduled (site, pipeline) is a unit. The worker claims due units (at most
/// `maxUnits` at a time), runs each with the same run lease as `ferry run`, renews the
/// units' leases from a heartbeat thread while they run, and releases each with its next
/// due time. Nothing is decided in memory that another worker must know: the due times,
/// holders and dependencies' outcomes are rows, so a worker that dies leaves nothing
/// behind but leases that expire.
public final class ServeWorker: @unchecked Sendable {
    /// How the worker runs.
    public struct Options: Sendable {
        /// The worker's id in the `workers` table (unique among live workers).
        public var id: String
        /// How many units it runs at once at most.
        public var maxUnits: Int
        /// How often an idle worker asks the queue for due units (seconds).
        public var pollSeconds: Double
        /// How long a unit whose pipeline is busy elsewhere waits before the next claim (seconds).
        public var busyRetrySeconds: Double

        /// Creates options.
        /// - Parameters:
        ///   - id: the worker's id.
        ///   - maxUnits: units at once.
        ///   - pollSeconds: the idle poll interval.
        ///   - busyRetrySeconds: the wait after a busy start.
        public init(id: String, maxUnits: Int, pollSeconds: Double = 1, busyRetrySeconds: Double = 1) {
            self.id = id
            self.maxUnits = maxUnits
            self.pollSeconds = pollSeconds
            self.busyRetrySeconds = busyRetrySeconds
        }

        /// The default id: this host's name and this process's pid.
        public static var defaultID: String { "\(LeaseHolder.currentHostname)-\(getpid())" }
    }

    private let backend: any ServeBackend
    private let queue: any WorkUnitQueue
    private let options: Options
    private let logger: Logger
    private let schedules: [PipelineID: CronSchedule]
    private let lock = NSLock()
    private let wakeup = Wakeup()
    private let work = DispatchGroup()
    private var running: Set<PipelineID> = []
    private var stopping = false
    private var heartbeat: WorkerHeartbeat?

    /// Registers the worker and declares the configuration's scheduled pipelines as units.
    /// - Parameters:
    ///   - backend: the loaded configuration.
    ///   - queue: the shared work queue (the PostgreSQL state store).
    ///   - options: id and limits.
    ///   - logger: where the worker logs.
    /// - Throws: when the queue refuses the id or cannot be written.
    public init(backend: any ServeBackend, queue: any WorkUnitQueue, options: Options, logger: Logger) throws {
        self.backend = backend
        self.queue = queue
        self.options = options
        var logger = logger
        logger[metadataKey: "worker"] = "\(options.id)"
        self.logger = logger
        var schedules: [PipelineID: CronSchedule] = [:]
        for entry in backend.entries { schedules[entry.key] = entry.schedule }
        self.schedules = schedules
        try queue.registerWorker(id: options.id, holder: .current, maxUnits: options.maxUnits)
        // A unit the queue has never seen is due at once: a new site is synced now, not at its next time.
        let now = Date().timeIntervalSince1970
        try queue.declareUnits(
            backend.entries.enumerated().compactMap { position, entry in
                entry.schedule.map {
                    WorkUnitDeclaration(
                        pipeline: entry.key, position: position, after: backend.dependencies(of: entry.key),
                        schedule: $0.description, firstDue: now)
                }
            })
    }

    /// The units this worker can run: the configuration's scheduled pipelines.
    public var units: [PipelineID] { backend.entries.filter { $0.schedule != nil }.map(\.key) }

    /// Starts the heartbeat and the claim loop; returns at once.
    public func start() {
        let beat = WorkerHeartbeat(interval: queue.unitLeaseSeconds / 3) { [weak self] in self?.beat() }
        lock.withLock { heartbeat = beat }
        let thread = Thread { [self] in claimLoop() }
        thread.name = "ferry-worker-claims"
        thread.start()
        logger.notice(
            "Worker started.",
            metadata: [
                "units": "\(units.count)", "max_units": "\(options.maxUnits)",
                "lease_seconds": "\(Int(queue.unitLeaseSeconds))",
            ])
    }

    private func beat() {
        let held = lock.withLock { Array(running) }
        do {
            for lost in try queue.heartbeat(worker: options.id, units: held) {
                logger.error(
                    "Unit lease lost: another worker may run it; the run's own lease decides which run commits.",
                    metadata: ["site": "\(lost.site)", "pipeline": "\(lost.pipeline)"])
            }
        } catch {
            logger.error(
                "Heartbeat failed; units are lost if this lasts a lease period.", metadata: ["error": "\(error)"])
        }
    }

    private func claimLoop() {
        while true {
            let generation = wakeup.generation
            let (free, stop) = lock.withLock { (options.maxUnits - running.count, stopping) }
            if stop { return }
            if free > 0 {
                do {
                    // A site's pipelines run one at a time, in order, as in `serve` and `ferry run`:
                    // a site busy here is not claimed, and a site's units claimed together share a thread.
                    let busySites = lock.withLock { Set(running.map(\.site)) }
                    let claimed = try queue.claimUnits(
                        worker: options.id, among: units.filter { !busySites.contains($0.site) },
                        now: Date().timeIntervalSince1970, limit: free)
                    var sites: [String] = []
                    for unit in claimed where !sites.contains(unit.pipeline.site) { sites.append(unit.pipeline.site) }
                    for site in sites { run(claimed.filter { $0.pipeline.site == site }) }
                    // A full claim may leave more due units: ask again at once.
                    if claimed.count == free { continue }
                } catch {
                    logger.error("Claiming units failed; retrying.", metadata: ["error": "\(error)"])
                }
            }
            wakeup.wait(after: generation, deadline: Date().addingTimeInterval(options.pollSeconds))
        }
    }

    /// Runs units of one site, in the order claimed, on a thread of their own.
    private func run(_ siteUnits: [ClaimedUnit]) {
        lock.withLock { running.formUnion(siteUnits.map(\.pipeline)) }
        work.enter()
        let thread = Thread { [self] in
            defer {
                work.leave()
                wakeup.signal()
            }
            for unit in siteUnits {
                execute(unit)
                lock.withLock { _ = running.remove(unit.pipeline) }
            }
        }
        thread.name = "ferry-worker-site"
        thread.start()
    }

    private func execute(_ unit: ClaimedUnit) {
        let key = unit.pipeline
        var metadata: Logger.Metadata = [
            "site": "\(key.site)", "pipeline": "\(key.pipeline)",
            "due": "\(iso(Date(timeIntervalSince1970: unit.due)))",
        ]
        if lock.withLock({ stopping }) {
            // Claimed with a unit of its site that ran first; another worker runs it.
            release(key, nextDue: unit.due, notBefore: nil, status: nil)
            return
        }
        if let blocker = unit.blockedBy {
            metadata["after"] = "\(blocker)"
            logger.warning("Unit skipped: a pipeline it runs after failed in this round.", metadata: metadata)
            release(key, nextDue: nextDue(of: key), notBefore: nil, status: "skipped")
            return
        }
        logger.notice("Unit claimed.", metadata: metadata)
        let result = backend.execute(RunRequest(key: key, trigger: .schedule(due: Int64(unit.due))))
        metadata["status"] = "\(result.status)"
        switch result.status {
        case "busy":
            // The run lease of a dead holder outlives its unit lease a little: try again shortly.
            logger.notice("Unit returned: its pipeline is still leased by another run.", metadata: metadata)
            release(
                key, nextDue: unit.due, notBefore: Date().timeIntervalSince1970 + options.busyRetrySeconds,
                status: nil)
        case "cancelled" where lock.withLock({ stopping }):
            // Stopped at a batch boundary: the unit is still due, and another worker continues it.
            logger.notice("Unit returned: this worker is stopping.", metadata: metadata)
            release(key, nextDue: unit.due, notBefore: nil, status: nil)
        default:
            logger.notice("Unit finished.", metadata: metadata)
            release(key, nextDue: nextDue(of: key), notBefore: nil, status: result.status)
        }
    }

    private func nextDue(of key: PipelineID) -> Double? {
        schedules[key]?.next(after: Int64(Date().timeIntervalSince1970)).map(Double.init)
    }

    private func release(_ key: PipelineID, nextDue: Double?, notBefore: Double?, status: String?) {
        do {
            if try !queue.releaseUnit(key, worker: options.id, nextDue: nextDue, notBefore: notBefore, status: status) {
                logger.error(
                    "Unit not released: its lease had expired and another worker holds it.",
                    metadata: ["site": "\(key.site)", "pipeline": "\(key.pipeline)"])
            }
        } catch {
            logger.error(
                "Unit not released; it is claimable again when its lease expires.",
                metadata: ["site": "\(key.site)", "pipeline": "\(key.pipeline)", "error": "\(error)"])
        }
    }

    /// Stops claiming, stops the running units at their next batch boundary, hands them
    /// back, and removes the worker from the queue; returns when done.
    public func stop() {
        lock.withLock { stopping = true }
        wakeup.signal()
        backend.cancelAll()
        work.wait()
        lock.withLock { heartbeat }?.stop()
        do { try queue.unregisterWorker(options.id) } catch {
            logger.error("The worker's row was not removed.", metadata: ["error": "\(error)"])
        }
        logger.notice("Worker stopped.")
    }
}

/// A thread that calls its job every `interval` seconds until stopped.
final class WorkerHeartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var isStopped = false

    init(interval: Double, _ job: @escaping @Sendable () -> Void) {
        let interval = max(interval, 0.2)
        let thread = Thread { [self] in
            while true {
                let done = condition.withLock {
                    if !isStopped { _ = condition.wait(until: Date().addingTimeInterval(interval)) }
                    return isStopped
                }
                if done { return }
                job()
            }
        }
        thread.name = "ferry-worker-heartbeat"
        thread.start()
    }

    func stop() {
        condition.withLock {
            isStopped = true; condition.signal()
        }
    }
}
