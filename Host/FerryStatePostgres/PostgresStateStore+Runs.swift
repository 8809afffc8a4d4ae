import FerryCore
import Foundation

/// Runs, the per-pipeline lease and run logs (tables `runs`, `leases`, `run_logs`).
extension PostgresStateStore {
    public func beginRun(_ pipeline: PipelineID) throws -> RunID {
        try transaction("start a run of \(pipeline)") { db in
            let now = Self.now
            // Starters of the same pipeline queue here, so only one sees the lease free; the
            // primary key on (site, pipeline) would refuse a second one anyway.
            try db.query(
                "SELECT pg_advisory_xact_lock($1)",
                [Self.advisoryKey("ferry-lease", url.schema, pipeline.site, pipeline.pipeline).pgValue],
                purpose: "wait for other starters of \(pipeline)")
            let lease = try db.query(
                """
                SELECT run_id, holder_pid, hostname, holder_started, expires_at < clock_timestamp()
                FROM leases WHERE site = $1 AND pipeline = $2 FOR UPDATE
                """, [pipeline.site.pgValue, pipeline.pipeline.pgValue], purpose: "read the lease of \(pipeline)"
            ).first.map { row in
                (
                    run: row.int64(0),
                    holder: LeaseHolder(
                        pid: Int32(truncatingIfNeeded: row.int64(1)), hostname: row.string(2),
                        startTime: row.optionalInt64(3)),
                    expired: row.bool(4)
                )
            }
            if let lease {
                guard lease.expired || lease.holder.hasEnded else {
                    throw StateError.pipelineBusy(pipeline, holder: lease.holder.description)
                }
                let reason =
                    lease.expired
                    ? "Interrupted: the lease of \(lease.holder) expired (no heartbeat for \(Int(url.leaseSeconds)) s)."
                    : "Interrupted: \(lease.holder) ended without finishing the run."
                try db.query(
                    "UPDATE runs SET status = 'failed', finished_at = $1, message = $2 WHERE id = $3 AND status = 'running'",
                    [now.pgValue, reason.pgValue, lease.run.pgValue],
                    purpose: "mark the interrupted run \(lease.run) of \(pipeline) as failed")
                try db.query(
                    "DELETE FROM leases WHERE site = $1 AND pipeline = $2",
                    [pipeline.site.pgValue, pipeline.pipeline.pgValue],
                    purpose: "take over the lease of \(pipeline)")
            }
            let run =
                try db.query(
                    "INSERT INTO runs (site, pipeline, started_at, status) VALUES ($1, $2, $3, 'running') RETURNING id",
                    [pipeline.site.pgValue, pipeline.pipeline.pgValue, now.pgValue],
                    purpose: "record a new run of \(pipeline)"
                ).first?.int64(0) ?? 0
            try db.query(
                """
                INSERT INTO leases (site, pipeline, run_id, holder_pid, hostname, holder_started, acquired_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp() + make_interval(secs => $8))
                """,
                [
                    pipeline.site.pgValue, pipeline.pipeline.pgValue, run.pgValue, holder.pid.pgValue,
                    holder.hostname.pgValue, holder.startTime.pgValue, now.pgValue, url.leaseSeconds.pgValue,
                ], purpose: "take the lease of \(pipeline)")
            holdLease(of: run)
            return run
        }
    }

    public func finishRun(_ run: RunID, outcome: RunOutcome) throws {
        guard outcome.status != .running else {
            throw StateError(.storage, "Run \(run) cannot finish with status 'running'.")
        }
        try transaction("finish run \(run)") { db in
            guard
                let current = try db.query(
                    "SELECT status FROM runs WHERE id = $1 FOR UPDATE", [run.pgValue], purpose: "read run \(run)"
                ).first?.string(0)
            else {
                throw StateError(.notFound, "Run \(run) does not exist.")
            }
            guard current == RunOutcome.Status.running.rawValue else {
                releaseLease(of: run)
                throw StateError(.storage, "Run \(run) has already finished (\(current)).")
            }
            try db.query(
                "UPDATE runs SET status = $1, message = $2, finished_at = $3 WHERE id = $4",
                [outcome.status.rawValue.pgValue, outcome.message.pgValue, Self.now.pgValue, run.pgValue],
                purpose: "record the end of run \(run)")
            try db.query(
                "DELETE FROM leases WHERE run_id = $1", [run.pgValue], purpose: "release the lease of run \(run)")
            releaseLease(of: run)
        }
    }

    public func recentRuns(of pipeline: PipelineID?, limit: Int) throws -> [RunRecord] {
        guard limit > 0 else { return [] }
        let columns = """
            SELECT id, runs.site, runs.pipeline, started_at, finished_at, status, message,
                   read_count, written_count, unchanged_count, deleted_count, rejected_count,
                   leases.holder_pid, leases.hostname, leases.holder_started,
                   leases.expires_at < clock_timestamp(), created_count
            FROM runs LEFT JOIN leases ON leases.run_id = runs.id
            """
        let rows = try transaction("list the latest runs") { db in
            if let pipeline {
                return try db.query(
                    "\(columns) WHERE runs.site = $1 AND runs.pipeline = $2 ORDER BY id DESC LIMIT $3",
                    [pipeline.site.pgValue, pipeline.pipeline.pgValue, limit.pgValue],
                    purpose: "list the runs of \(pipeline)")
            }
            return try db.query(
                "\(columns) ORDER BY id DESC LIMIT $1", [limit.pgValue], purpose: "list the latest runs")
        }
        return rows.map { row in
            var status = RunOutcome.Status(rawValue: row.string(5)) ?? .failed
            var message = row.optionalString(6)
            if status == .running {
                // A run whose lease is gone, expired, or whose holder no longer runs was killed mid-way.
                let holder = row.optionalInt64(12).map {
                    LeaseHolder(
                        pid: Int32(truncatingIfNeeded: $0), hostname: row.string(13), startTime: row.optionalInt64(14))
                }
                if holder == nil || row.bool(15) || holder?.hasEnded == true {
                    status = .interrupted
                    message =
                        "interrupted: \(holder?.description ?? "its process") ended without finishing the run; "
                        + "committed batches stand and the next run continues from them"
                }
            }
            return RunRecord(
                id: row.int64(0), pipeline: PipelineID(site: row.string(1), pipeline: row.string(2)),
                startedAt: row.double(3), finishedAt: row.optionalDouble(4), status: status, message: message,
                counts: BatchCounts(
                    read: row.int(7), written: row.int(8), unchanged: row.int(9), deleted: row.int(10),
                    rejected: row.int(11), created: row.int(16)))
        }
    }

    public func saveRunLog(_ run: RunID, lines: [String], keepingLatest: Int) throws {
        // A JSON array: log lines may hold newlines of their own.
        let text = String(decoding: try JSONEncoder().encode(lines), as: UTF8.self)
        try transaction("keep the log of run \(run)") { db in
            try db.query(
                """
                INSERT INTO run_logs (run_id, lines) VALUES ($1, $2)
                ON CONFLICT (run_id) DO UPDATE SET lines = excluded.lines
                """, [run.pgValue, text.pgValue], purpose: "keep the log of run \(run)")
            try db.query(
                """
                DELETE FROM run_logs WHERE run_id NOT IN (SELECT run_id FROM run_logs ORDER BY run_id DESC LIMIT $1)
                """, [max(keepingLatest, 0).pgValue], purpose: "forget the logs of older runs")
        }
    }

    public func runLog(_ run: RunID) throws -> [String]? {
        let text = try transaction("read the log of run \(run)") { db in
            try db.query(
                "SELECT lines FROM run_logs WHERE run_id = $1", [run.pgValue], purpose: "read the log of run \(run)"
            )
            .first?.string(0)
        }
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode([String].self, from: Data(text.utf8))
        } catch {
            throw StateError(.storage, "the kept log of run \(run) is not a JSON array of lines: \(error)")
        }
    }
}
