import FerryServe

extension WorkerFleet {
    /// The tables `ferry status` prints after the pipelines.
    var rendered: String {
        var table = Table("WORKER", "HOST", "PID", "HEARTBEAT", "HOLDS (LAG)")
        for worker in workers {
            let held = units(heldBy: worker)
                .map { "\($0.pipeline)\($0.leaseExpired ? " expired" : "") (\(Int(lag($0))) s)" }
            table.add(
                worker.id, worker.hostname, "\(worker.pid)",
                "\(Int(worker.heartbeatAge.rounded())) s ago" + (isStale(worker) ? " (stale)" : ""),
                held.isEmpty ? "-" : held.joined(separator: ", "))
        }
        var lines = ["Workers:", table.rendered]
        let late = waiting
        lines.append(
            "Units: \(units.count), due and waiting for a worker: \(late.count)"
                + (late.isEmpty ? "" : " (most late: \(late[0].pipeline), \(Int(lag(late[0]))) s)"))
        return lines.joined(separator: "\n")
    }
}
