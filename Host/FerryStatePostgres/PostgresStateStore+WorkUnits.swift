import FerryCore
import Foundation

/// The work queue of `ferry serve --worker` (tables `work_units` and `workers`).
///
/// A claim is one transaction: `SELECT … FOR UPDATE SKIP LOCKED` picks due rows no other
/// claimer has locked at that moment, then marks them held with a lease that expires
/// `lease_seconds` later by the database's clock. Two workers claiming at once therefore
/// never get the same unit, and neither waits for the other.
extension PostgresStateStore: WorkUnitQueue {
    public var unitLeaseSeconds: Double { url.leaseSeconds }

    public func registerWorker(id: String, holder: LeaseHolder, maxUnits: Int) throws {
        try transaction("register worker \(id)") { db in
            if let row = try db.query(
                """
                SELECT hostname, pid, holder_started, heartbeat_at > clock_timestamp() - make_interval(secs => $2)
                FROM workers WHERE id = $1 FOR UPDATE
                """, [id.pgValue, url.leaseSeconds.pgValue], purpose: "read worker \(id)"
            ).first {
                let other = LeaseHolder(
                    pid: Int32(truncatingIfNeeded: row.int64(1)), hostname: row.string(0),
                    startTime: row.optionalInt64(2))
                if row.bool(3) && other != holder && !other.hasEnded {
                    throw StateError(
                        .storage,
                        "Worker id '\(id)' is in use by \(other) (its last heartbeat is less than "
                            + "\(Int(url.leaseSeconds)) s old); give each worker its own --worker-id")
                }
            }
            try db.query(
                """
                INSERT INTO workers (id, hostname, pid, holder_started, started_at, heartbeat_at, max_units)
                VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6)
                ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, pid = excluded.pid,
                    holder_started = excluded.holder_started, started_at = excluded.started_at,
                    heartbeat_at = excluded.heartbeat_at, max_units = excluded.max_units
                """,
                [
                    id.pgValue, holder.hostname.pgValue, holder.pid.pgValue, holder.startTime.pgValue,
                    Self.now.pgValue, maxUnits.pgValue,
                ], purpose: "register worker \(id)")
        }
    }

    public func declareUnits(_ units: [WorkUnitDeclaration]) throws {
        guard !units.isEmpty else { return }
        try transaction("declare \(units.count) work units") { db in
            for unit in units {
                // A new unit takes its first due time; a known one keeps its due time unless its schedule changed.
                try db.query(
                    """
                    INSERT INTO work_units (site, pipeline, position, after_pipelines, schedule, due_at)
                    VALUES ($1, $2, $3, $4::text[], $5, $6)
                    ON CONFLICT (site, pipeline) DO UPDATE SET position = excluded.position,
                        after_pipelines = excluded.after_pipelines, schedule = excluded.schedule,
                        due_at = CASE WHEN work_units.schedule IS DISTINCT FROM excluded.schedule
                                      THEN excluded.due_at ELSE work_units.due_at END
                    """,
                    [
                        unit.pipeline.site.pgValue, unit.pipeline.pipeline.pgValue, unit.position.pgValue,
                        PGArray.text(unit.after).pgValue, unit.schedule.pgValue, unit.firstDue.pgValue,
                    ], purpose: "declare the work unit \(unit.pipeline)")
            }
        }
    }

    public func claimUnits(worker: String, among candidates: [PipelineID], now: Double, limit: Int) throws
        -> [ClaimedUnit]
    {
        guard limit > 0, !candidates.isEmpty else { return [] }
        return try transaction("claim work units for worker \(worker)") { db in
            // A unit waits for the pipelines it runs after while they are due no later than it
            // (they run first in the same round) or held by a live worker.
            let rows = try db.query(
                """
                SELECT u.site, u.pipeline, u.due_at,
                    (SELECT min(d.pipeline) FROM work_units d
                     WHERE d.site = u.site AND d.pipeline = ANY(u.after_pipelines)
                       AND d.last_finished >= u.due_at
                       AND d.last_status NOT IN ('succeeded', 'dead_lettered'))
                FROM work_units u
                WHERE u.due_at <= $1 AND COALESCE(u.not_before, 0) <= $1
                  AND (u.holder IS NULL OR u.lease_expires < clock_timestamp())
                  AND (u.site, u.pipeline) IN (SELECT * FROM unnest($2::text[], $3::text[]))
                  AND NOT EXISTS (
                    SELECT 1 FROM work_units d
                    WHERE d.site = u.site AND d.pipeline = ANY(u.after_pipelines)
                      AND (d.due_at <= u.due_at OR (d.holder IS NOT NULL AND d.lease_expires >= clock_timestamp())))
                ORDER BY u.due_at, u.site, u.position
                LIMIT $4
                FOR UPDATE OF u SKIP LOCKED
                """,
                [
                    now.pgValue, PGArray.text(candidates.map(\.site)).pgValue,
                    PGArray.text(candidates.map(\.pipeline)).pgValue, limit.pgValue,
                ], purpose: "find due work units")
            let claimed = rows.map { row in
                ClaimedUnit(
                    pipeline: PipelineID(site: row.string(0), pipeline: row.string(1)), due: row.double(2),
                    blockedBy: row.optionalString(3))
            }
            guard !claimed.isEmpty else { return [] }
            try db.query(
                """
                UPDATE work_units SET holder = $1, claimed_at = $2, not_before = NULL,
                    lease_expires = clock_timestamp() + make_interval(secs => $3)
                WHERE (site, pipeline) IN (SELECT * FROM unnest($4::text[], $5::text[]))
                """,
                [
                    worker.pgValue, now.pgValue, url.leaseSeconds.pgValue,
                    PGArray.text(claimed.map(\.pipeline.site)).pgValue,
                    PGArray.text(claimed.map(\.pipeline.pipeline)).pgValue,
                ], purpose: "lease the claimed work units to worker \(worker)")
            return claimed
        }
    }

    public func heartbeat(worker: String, units: [PipelineID]) throws -> [PipelineID] {
        try transaction("renew the leases of worker \(worker)") { db in
            try db.query(
                "UPDATE workers SET heartbeat_at = clock_timestamp() WHERE id = $1", [worker.pgValue],
                purpose: "renew the heartbeat of worker \(worker)")
            guard !units.isEmpty else { return [] }
            let renewed = try db.query(
                """
                UPDATE work_units SET lease_expires = clock_timestamp() + make_interval(secs => $2)
                WHERE holder = $1 AND (site, pipeline) IN (SELECT * FROM unnest($3::text[], $4::text[]))
                RETURNING site, pipeline
                """,
                [
                    worker.pgValue, url.leaseSeconds.pgValue, PGArray.text(units.map(\.site)).pgValue,
                    PGArray.text(units.map(\.pipeline)).pgValue,
                ], purpose: "renew the work unit leases of worker \(worker)"
            ).map { PipelineID(site: $0.string(0), pipeline: $0.string(1)) }
            return units.filter { !renewed.contains($0) }
        }
    }

    @discardableResult
    public func releaseUnit(_ unit: PipelineID, worker: String, nextDue: Double?, notBefore: Double?, status: String?)
        throws -> Bool
    {
        try transaction("release the work unit \(unit)") { db in
            try db.query(
                """
                UPDATE work_units SET holder = NULL, lease_expires = NULL, due_at = $4, not_before = $5,
                    last_status = COALESCE($6, last_status),
                    last_finished = CASE WHEN $6::text IS NULL THEN last_finished ELSE $7 END
                WHERE site = $1 AND pipeline = $2 AND holder = $3
                RETURNING 1
                """,
                [
                    unit.site.pgValue, unit.pipeline.pgValue, worker.pgValue, nextDue.pgValue, notBefore.pgValue,
                    status.pgValue, Self.now.pgValue,
                ], purpose: "release the work unit \(unit)"
            ).count == 1
        }
    }

    public func unregisterWorker(_ id: String) throws {
        try transaction("unregister worker \(id)") { db in
            try db.query("DELETE FROM workers WHERE id = $1", [id.pgValue], purpose: "unregister worker \(id)")
        }
    }

    public func workUnits() throws -> [WorkUnitRecord] {
        try transaction("list the work units") { db in
            try db.query(
                """
                SELECT site, pipeline, due_at, holder, COALESCE(lease_expires < clock_timestamp(), false),
                    last_status, last_finished
                FROM work_units ORDER BY site, position, pipeline
                """, purpose: "list the work units"
            ).map { row in
                WorkUnitRecord(
                    pipeline: PipelineID(site: row.string(0), pipeline: row.string(1)), due: row.optionalDouble(2),
                    holder: row.optionalString(3), leaseExpired: row.bool(4), lastStatus: row.optionalString(5),
                    lastFinished: row.optionalDouble(6))
            }
        }
    }

    public func workers() throws -> [WorkerRecord] {
        try transaction("list the workers") { db in
            try db.query(
                """
                SELECT id, hostname, pid, started_at, EXTRACT(EPOCH FROM clock_timestamp() - heartbeat_at), max_units
                FROM workers ORDER BY id
                """, purpose: "list the workers"
            ).map { row in
                WorkerRecord(
                    id: row.string(0), hostname: row.string(1), pid: Int32(truncatingIfNeeded: row.int64(2)),
                    startedAt: row.double(3), heartbeatAge: row.double(4), maxUnits: row.int(5))
            }
        }
    }
}
