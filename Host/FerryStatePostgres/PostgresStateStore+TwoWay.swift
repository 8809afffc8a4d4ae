import FerryCore
import Foundation

/// Two-way sync: synced versions and conflicts (tables `synced_records` and `conflicts`).
extension PostgresStateStore {
    private static let conflictColumns = """
        SELECT id, site, pipeline, stream, key, field, base, source_value, destination_value, seen_at, status,
               resolution, resolved_at FROM conflicts
        """

    private static func conflict(_ row: PGRow) -> ConflictRecord {
        ConflictRecord(
            id: row.int64(0), pipeline: PipelineID(site: row.string(1), pipeline: row.string(2)),
            stream: row.string(3), key: row.string(4), field: row.string(5), base: row.optionalString(6),
            sourceValue: row.optionalString(7), destinationValue: row.optionalString(8), seenAt: row.double(9),
            status: ConflictRecord.Status(rawValue: row.string(10)) ?? .open, resolution: row.optionalString(11),
            resolvedAt: row.optionalDouble(12))
    }

    public func syncedVersions(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String:
        SyncedVersion]
    {
        guard !keys.isEmpty else { return [:] }
        return try transaction("read the synced versions of \(pipeline) stream \(stream)") { db in
            let rows = try db.query(
                """
                SELECT key, source_record, written_record FROM synced_records
                WHERE site = $1 AND pipeline = $2 AND stream = $3 AND key = ANY($4::text[])
                """, [pipeline.site.pgValue, pipeline.pipeline.pgValue, stream.pgValue, PGArray.text(keys).pgValue],
                purpose: "read the synced versions of \(pipeline) stream \(stream)")
            return Dictionary(
                rows.map {
                    (
                        $0.string(0),
                        SyncedVersion(key: $0.string(0), sourceRecord: $0.string(1), writtenRecord: $0.string(2))
                    )
                },
                uniquingKeysWith: { first, _ in first })
        }
    }

    public func conflicts(for pipeline: PipelineID?, includeClosed: Bool, limit: Int) throws -> [ConflictRecord] {
        guard limit > 0 else { return [] }
        let pending = includeClosed ? "" : " AND status IN ('open', 'resolved')"
        return try transaction("list the conflicts") { db in
            if let pipeline {
                return try db.query(
                    "\(Self.conflictColumns) WHERE site = $1 AND pipeline = $2\(pending) ORDER BY id LIMIT $3",
                    [pipeline.site.pgValue, pipeline.pipeline.pgValue, limit.pgValue],
                    purpose: "list the conflicts of \(pipeline)"
                ).map(Self.conflict)
            }
            return try db.query(
                "\(Self.conflictColumns) WHERE true\(pending) ORDER BY id LIMIT $1", [limit.pgValue],
                purpose: "list the conflicts"
            ).map(Self.conflict)
        }
    }

    public func pendingConflicts(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [ConflictRecord] {
        guard !keys.isEmpty else { return [] }
        return try transaction("read the pending conflicts of \(pipeline) stream \(stream)") { db in
            try db.query(
                """
                \(Self.conflictColumns) WHERE site = $1 AND pipeline = $2 AND stream = $3 AND key = ANY($4::text[])
                AND status IN ('open', 'resolved') ORDER BY id
                """,
                [pipeline.site.pgValue, pipeline.pipeline.pgValue, stream.pgValue, PGArray.text(Set(keys)).pgValue],
                purpose: "read the pending conflicts of \(pipeline) stream \(stream)"
            ).map(Self.conflict)
        }
    }

    public func resolveConflict(_ id: Int64, resolution: String) throws -> ConflictRecord {
        try transaction("resolve conflict \(id)") { db in
            guard
                var conflict = try db.query(
                    "\(Self.conflictColumns) WHERE id = $1 AND status IN ('open', 'resolved') FOR UPDATE", [id.pgValue],
                    purpose: "read conflict \(id)"
                ).map(Self.conflict).first
            else {
                throw StateError(.notFound, "No open conflict with id \(id).")
            }
            let now = Self.now
            try db.query(
                "UPDATE conflicts SET status = 'resolved', resolution = $1, resolved_at = $2 WHERE id = $3",
                [resolution.pgValue, now.pgValue, id.pgValue], purpose: "resolve conflict \(id)")
            if let streamID = try hashStreamID(conflict.pipeline, conflict.stream, creating: false, in: db) {
                try db.query(
                    "DELETE FROM record_hashes WHERE stream_id = $1 AND key = $2",
                    [streamID.pgValue, conflict.key.pgValue],
                    purpose: "forget the hash of the record of conflict \(id), so that it is sent again")
            }
            conflict.status = .resolved
            conflict.resolution = resolution
            conflict.resolvedAt = now
            return conflict
        }
    }

    /// The two-way part of a batch's commit, inside its transaction.
    func commitTwoWay(_ batch: BatchCommit, at now: Double, in db: PGConnection) throws {
        let site = batch.pipeline.site.pgValue, name = batch.pipeline.pipeline.pgValue, stream = batch.stream.pgValue
        for closed in batch.closedConflicts {
            try db.query(
                "UPDATE conflicts SET status = $1 WHERE id = $2", [closed.status.rawValue.pgValue, closed.id.pgValue],
                purpose: "close conflict \(closed.id)")
        }
        for conflict in batch.conflicts {
            try db.query(
                """
                UPDATE conflicts SET status = 'superseded'
                WHERE site = $1 AND pipeline = $2 AND stream = $3 AND key = $4 AND field = $5 AND status IN ('open', 'resolved')
                """, [site, name, stream, conflict.key.pgValue, conflict.field.pgValue],
                purpose: "supersede the earlier conflict of a field")
            try db.query(
                """
                INSERT INTO conflicts (site, pipeline, stream, key, field, base, source_value, destination_value, seen_at, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open')
                """,
                [
                    site, name, stream, conflict.key.pgValue, conflict.field.pgValue, conflict.base.pgValue,
                    conflict.sourceValue.pgValue, conflict.destinationValue.pgValue, conflict.seenAt.pgValue,
                ], purpose: "record a conflict")
        }
        if !batch.syncedVersions.isEmpty {
            var latest: [String: SyncedVersion] = [:]
            for version in batch.syncedVersions { latest[version.key] = version }
            let versions = latest.values.sorted { $0.key < $1.key }
            try db.query(
                """
                INSERT INTO synced_records (site, pipeline, stream, key, source_record, written_record, synced_at)
                SELECT $1, $2, $3, k, s, w, $7 FROM unnest($4::text[], $5::text[], $6::text[]) AS t (k, s, w)
                ON CONFLICT (site, pipeline, stream, key) DO UPDATE SET source_record = excluded.source_record,
                    written_record = excluded.written_record, synced_at = excluded.synced_at
                """,
                [
                    site, name, stream, PGArray.text(versions.map(\.key)).pgValue,
                    PGArray.text(versions.map(\.sourceRecord)).pgValue,
                    PGArray.text(versions.map(\.writtenRecord)).pgValue, now.pgValue,
                ], purpose: "store the batch's synced versions")
        }
        if !batch.removedHashKeys.isEmpty {
            try db.query(
                "DELETE FROM synced_records WHERE site = $1 AND pipeline = $2 AND stream = $3 AND key = ANY($4::text[])",
                [site, name, stream, PGArray.text(batch.removedHashKeys).pgValue],
                purpose: "forget the synced versions of deleted records")
        }
    }
}
