import FerryCore
import Foundation

/// `ferry status`'s view of `serve --worker`: the workers, what each holds, and how late
/// the due units are (their lag: now minus their due time).
struct WorkerStatus {
    var workers: [WorkerRecord]
    var units: [WorkUnitRecord]
    var now: Double
    /// A heartbeat older than this belongs to a worker that stopped without leaving (killed, frozen, cut off).
    var leaseSeconds: Double

    /// Reads the queue when the state store is one (PostgreSQL); nil otherwise or when no worker ever ran.
    init?(store: any StateStore, now: Double = Date().timeIntervalSince1970) throws {
        guard let queue = store as? any WorkUnitQueue else { return nil }
        workers = try queue.workers()
        units = try queue.workUnits()
        self.now = now
        leaseSeconds = queue.unitLeaseSeconds
        if workers.isEmpty && units.isEmpty { return nil }
    }

    func isStale(_ worker: WorkerRecord) -> Bool { worker.heartbeatAge > leaseSeconds }

    /// Seconds a unit is overdue (0 when not due yet or unscheduled).
    func lag(_ unit: WorkUnitRecord) -> Double { unit.due.map { max(0, now - $0) } ?? 0 }

    /// Units due now that no live worker holds.
    var waiting: [WorkUnitRecord] { units.filter { lag($0) > 0 && ($0.holder == nil || $0.leaseExpired) } }

    var json: [String: Any] {
        [
            "workers": workers.map { worker -> [String: Any] in
                [
                    "id": worker.id, "host": worker.hostname, "pid": Int(worker.pid),
                    "started": Timestamps.text(worker.startedAt),
                    "heartbeat_seconds_ago": (worker.heartbeatAge * 10).rounded() / 10,
                    "max_units": worker.maxUnits, "stale": isStale(worker),
                    "holds": units.filter { $0.holder == worker.id }.map(unitJSON),
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
        if let due = unit.due { entry["due"] = Timestamps.text(due) }
        if let holder = unit.holder { entry["holder"] = holder }
        if let status = unit.lastStatus { entry["last_status"] = status }
        return entry
    }

    /// The tables `ferry status` prints after the pipelines.
    var rendered: String {
        var table = Table("WORKER", "HOST", "PID", "HEARTBEAT", "HOLDS (LAG)")
        for worker in workers {
            let held = units.filter { $0.holder == worker.id }
                .map { "\($0.pipeline)\($0.leaseExpired ? " expired" : "") (\(Int(lag($0))) s)" }
            table.add(
                worker.id, worker.hostname, "\(worker.pid)",
                "\(Int(worker.heartbeatAge.rounded())) s ago" + (isStale(worker) ? " (stale)" : ""),
                held.isEmpty ? "-" : held.joined(separator: ", "))
        }
        var lines = ["Workers:", table.rendered]
        let late = waiting.sorted { lag($0) > lag($1) }
        lines.append(
            "Units: \(units.count), due and waiting for a worker: \(late.count)"
                + (late.isEmpty ? "" : " (most late: \(late[0].pipeline), \(Int(lag(late[0]))) s)"))
        return lines.joined(separator: "\n")
    }
}
