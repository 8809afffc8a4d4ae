import FerryCore
import FerrySQLite
import Foundation

/// Two-way sync: synced versions and conflicts (tables `synced_records` and `conflicts`).
extension SQLiteStateStore {
    private static let conflictColumns = """
        SELECT id, site, pipeline, stream, key, field, base, source_value, destination_value, seen_at, status,
               resolution, resolved_at FROM conflicts
        """

    private static func conflict(_ row: SQLiteStatement) -> ConflictRecord {
        ConflictRecord(
            id: row.int64(at: 0), pipeline: PipelineID(site: row.string(at: 1), pipeline: row.string(at: 2)),
            stream: row.string(at: 3), key: row.string(at: 4), field: row.string(at: 5),
            base: row.optionalString(at: 6), sourceValue: row.optionalString(at: 7),
            destinationValue: row.optionalString(at: 8), seenAt: row.double(at: 9),
            status: ConflictRecord.Status(rawValue: row.string(at: 10)) ?? .open,
            resolution: row.optionalString(at: 11), resolvedAt: row.optionalDouble(at: 12))
    }

    public func syncedVersions(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String:
        SyncedVersion]
    {
        guard !keys.isEmpty else { return [:] }
        return try withDatabase { db in
            try db.transaction("read the synced versions of \(pipeline) stream \(stream)", kind: .deferred) {
                var found: [String: SyncedVersion] = [:]
                try db.withStatement(
                    """
                    SELECT source_record, written_record FROM synced_records WHERE site = ? AND pipeline = ? AND stream = ? AND key = ?
                    """, purpose: "read the synced versions of \(pipeline) stream \(stream)"
                ) { statement in
                    try statement.bind(text: pipeline.site, at: 1)
                    try statement.bind(text: pipeline.pipeline, at: 2)
                    try statement.bind(text: stream, at: 3)
                    for key in keys {
                        try statement.bind(text: key, at: 4)
                        if try statement.step() {
                            found[key] = SyncedVersion(
                                key: key, sourceRecord: statement.string(at: 0), writtenRecord: statement.string(at: 1))
                        }
                        statement.reset()
                    }
                }
                return found
            }
        }
    }

    public func conflicts(for pipeline: PipelineID?, includeClosed: Bool, limit: Int) throws -> [ConflictRecord] {
        guard limit > 0 else { return [] }
        let pending = includeClosed ? "" : " AND status IN ('open', 'resolved')"
        return try withDatabase { db in
            if let pipeline {
                return try db.query(
                    "\(Self.conflictColumns) WHERE site = ? AND pipeline = ?\(pending) ORDER BY id LIMIT ?",
                    pipeline.site, pipeline.pipeline, limit, purpose: "list the conflicts of \(pipeline)",
                    row: Self.conflict)
            }
            return try db.query(
                "\(Self.conflictColumns) WHERE 1\(pending) ORDER BY id LIMIT ?", limit,
                purpose: "list the conflicts", row: Self.conflict)
        }
    }

    public func pendingConflicts(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [ConflictRecord] {
        guard !keys.isEmpty else { return [] }
        return try withDatabase { db in
            var found: [ConflictRecord] = []
            try db.withStatement(
                """
                \(Self.conflictColumns) WHERE site = ? AND pipeline = ? AND stream = ? AND key = ? AND status IN ('open', 'resolved')
                ORDER BY id
                """, purpose: "read the pending conflicts of \(pipeline) stream \(stream)"
            ) { statement in
                try statement.bind(text: pipeline.site, at: 1)
                try statement.bind(text: pipeline.pipeline, at: 2)
                try statement.bind(text: stream, at: 3)
                for key in Set(keys) {
                    try statement.bind(text: key, at: 4)
                    while try statement.step() { found.append(Self.conflict(statement)) }
                    statement.reset()
                }
            }
            return found
        }
    }

    public func resolveConflict(_ id: Int64, resolution: String) throws -> ConflictRecord {
        try withDatabase { db in
            try db.transaction("resolve conflict \(id)") {
                guard
                    var conflict = try db.query(
                        "\(Self.conflictColumns) WHERE id = ? AND status IN ('open', 'resolved')", id,
                        purpose: "read conflict \(id)", row: Self.conflict
                    ).first
                else {
                    throw StateError(.notFound, "No open conflict with id \(id).")
                }
                let now = Self.now
                try db.run(
                    "UPDATE conflicts SET status = 'resolved', resolution = ?, resolved_at = ? WHERE id = ?",
                    resolution, now, id, purpose: "resolve conflict \(id)")
                if let streamID = try hashStreamID(conflict.pipeline, conflict.stream, creating: false, in: db) {
                    try removeHashes(
                        [conflict.key], streamID: streamID,
                        purpose: "forget the hash of the record of conflict \(id), so that it is sent again", in: db)
                }
                conflict.status = .resolved
                conflict.resolution = resolution
                conflict.resolvedAt = now
                return conflict
            }
        }
    }

    /// The two-way part of a batch's commit, inside its transaction.
    func commitTwoWay(_ batch: BatchCommit, at now: Double, in db: SQLiteDatabase) throws {
        let pipeline = batch.pipeline
        for closed in batch.closedConflicts {
            try db.run(
                "UPDATE conflicts SET status = ? WHERE id = ?", closed.status.rawValue, closed.id,
                purpose: "close conflict \(closed.id)")
        }
        for conflict in batch.conflicts {
            try db.run(
                """
                UPDATE conflicts SET status = 'superseded'
                WHERE site = ? AND pipeline = ? AND stream = ? AND key = ? AND field = ? AND status IN ('open', 'resolved')
                """, pipeline.site, pipeline.pipeline, batch.stream, conflict.key, conflict.field,
                purpose: "supersede the earlier conflict of a field")
            try db.run(
                """
                INSERT INTO conflicts (site, pipeline, stream, key, field, base, source_value, destination_value, seen_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')
                """, pipeline.site, pipeline.pipeline, batch.stream, conflict.key, conflict.field, conflict.base,
                conflict.sourceValue, conflict.destinationValue, conflict.seenAt, purpose: "record a conflict")
        }
        if !batch.syncedVersions.isEmpty {
            try db.withStatement(
                """
                INSERT INTO synced_records (site, pipeline, stream, key, source_record, written_record, synced_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (site, pipeline, stream, key) DO UPDATE SET source_record = excluded.source_record,
                    written_record = excluded.written_record, synced_at = excluded.synced_at
                """, purpose: "store the batch's synced versions"
            ) { statement in
                for version in batch.syncedVersions {
                    try statement.bind([
                        pipeline.site, pipeline.pipeline, batch.stream, version.key, version.sourceRecord,
                        version.writtenRecord, now,
                    ])
                    try statement.run()
                    statement.reset()
                }
            }
        }
        for key in batch.removedHashKeys {
            try db.run(
                "DELETE FROM synced_records WHERE site = ? AND pipeline = ? AND stream = ? AND key = ?",
                pipeline.site, pipeline.pipeline, batch.stream, key,
                purpose: "forget the synced version of a deleted record")
        }
    }
}
