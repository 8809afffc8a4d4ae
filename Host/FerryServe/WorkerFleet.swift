import FerryCore
import Foundation

/// The `serve --worker` fleet as the state store sees it: the workers, what each holds, and
/// how late the due units are (their lag: now minus their due time). `ferry status`, the
/// dashboard and `GET /v1/workers` show it.
public struct WorkerFleet: Sendable {
    public var workers: [WorkerRecord]
    public var units: [WorkUnitRecord]
    public var now: Double
    /// A heartbeat older than this belongs to a worker that stopped without leaving (killed, frozen, cut off).
    public var leaseSeconds: Double

    /// A fleet as given (tests, and views built elsewhere).
    public init(workers: [WorkerRecord], units: [WorkUnitRecord], now: Double, leaseSeconds: Double) {
        self.workers = workers
        self.units = units
        self.now = now
        self.leaseSeconds = leaseSeconds
    }

    /// Reads the queue when the state store is one (PostgreSQL); nil otherwise or when no worker ever ran.
    public init?(store: any StateStore, now: Double = Date().timeIntervalSince1970) throws {
        guard let queue = store as? any WorkUnitQueue else { return nil }
        workers = try queue.workers()
        units = try queue.workUnits()
        self.now = now
        leaseSeconds = queue.unitLeaseSeconds
        if workers.isEmpty && units.isEmpty { return nil }
    }

    public func isStale(_ worker: WorkerRecord) -> Bool { worker.heartbeatAge > leaseSeconds }

    /// Seconds a unit is overdue (0 when not due yet or unscheduled).
    public func lag(_ unit: WorkUnitRecord) -> Double { unit.due.map { max(0, now - $0) } ?? 0 }

    /// The units a worker holds.
    public func units(heldBy worker: WorkerRecord) -> [WorkUnitRecord] { units.filter { $0.holder == worker.id } }

    /// Units due now that no live worker holds, the latest first.
    public var waiting: [WorkUnitRecord] {
        units.filter { lag($0) > 0 && ($0.holder == nil || $0.leaseExpired) }.sorted { lag($0) > lag($1) }
    }

    /// The JSON of `ferry status --json` (`workers`) and `GET /v1/workers`.
    public var json: [String: Any] {
        [
            "workers": workers.map { worker -> [String: Any] in
                [
                    "id": worker.id, "host": worker.hostname, "pid": Int(worker.pid),
                    "started": iso(Date(timeIntervalSince1970: worker.startedAt)),
                    "heartbeat_seconds_ago": (worker.heartbeatAge * 10).rounded() / 10,
                    "max_units": worker.maxUnits, "stale": isStale(worker),
                    "holds": units(heldBy: worker).map(unitJSON),
                ]
            },
            "units_waiting": waiting.count,
            "max_lag_seconds": Int(units.map(lag).max() ?? 0),
            "units": units.map(unitJSON),
        ]
    }

    private func unitJSON(_ unit: WorkUnitRecord) -> [String: Any] {
        var entry: [String: Any] = [
            "site": unit.pipeline.site, "pipeline": unit.pipeline.pipeline, "lag_seconds": Int(lag(unit)),
            "lease_expired": unit.leaseExpired,
        ]
        if let due = unit.due { entry["due"] = iso(Date(timeIntervalSince1970: due)) }
        if let holder = unit.holder { entry["holder"] = holder }
        if let status = unit.lastStatus { entry["last_status"] = status }
        return entry
    }
}
