import FerryCore
import Foundation

/// Change-detection hashes, dead letters, parked records and the reset of a pipeline.
extension PostgresStateStore {
    public func recordHashes(for pipeline: PipelineID, stream: String, keys: [String]) throws -> [String: UInt64] {
        guard !keys.isEmpty else { return [:] }
        return try transaction("read the record hashes of \(pipeline) stream \(stream)") { db in
            guard let streamID = try hashStreamID(pipeline, stream, creating: false, in: db) else { return [:] }
            var found: [String: UInt64] = [:]
            found.reserveCapacity(keys.count)
            // One round trip per 10,000 keys, not one per key.
            for start in stride(from: 0, to: keys.count, by: 10_000) {
                let chunk = keys[start..<min(start + 10_000, keys.count)]
                let rows = try db.query(
                    "SELECT key, hash FROM record_hashes WHERE stream_id = $1 AND key = ANY($2::text[])",
                    [streamID.pgValue, PGArray.text(chunk).pgValue],
                    purpose: "read the record hashes of \(pipeline) stream \(stream)")
                for row in rows.rows { found[row[0] ?? ""] = UInt64(bitPattern: Int64(row[1] ?? "") ?? 0) }
            }
            return found
        }
    }

    public func hasRecordHashes(for pipeline: PipelineID, stream: String) throws -> Bool {
        try transaction("look for record hashes of \(pipeline) stream \(stream)") { db in
            guard let streamID = try hashStreamID(pipeline, stream, creating: false, in: db) else { return false }
            let rows = try db.query(
                "SELECT 1 FROM record_hashes WHERE stream_id = $1 LIMIT 1", [streamID.pgValue],
                purpose: "look for record hashes of \(pipeline) stream \(stream)")
            return !rows.rows.isEmpty
        }
    }

    public func allHashedKeys(for pipeline: PipelineID, stream: String) throws -> [String] {
        try transaction("list the hashed keys of \(pipeline) stream \(stream)") { db in
            try db.query(
                """
                SELECT key FROM record_hashes WHERE stream_id =
                    (SELECT id FROM hash_streams WHERE site = $1 AND pipeline = $2 AND stream = $3)
                ORDER BY key COLLATE "C"
                """, [pipeline.site.pgValue, pipeline.pipeline.pgValue, stream.pgValue],
                purpose: "list the hashed keys of \(pipeline) stream \(stream)"
            ).map { $0.string(0) }
        }
    }

    // MARK: Dead letters

    public func deadLetters(for pipeline: PipelineID?, includeReplayed: Bool, limit: Int) throws -> [DeadLetter] {
        guard limit > 0 else { return [] }
        var sql =
            "SELECT id, site, pipeline, stream, stage, error, record, created_at, replayed_at FROM dead_letters WHERE true"
        var parameters: [PGValue] = []
        if let pipeline {
            sql += " AND site = $1 AND pipeline = $2"
            parameters += [pipeline.site.pgValue, pipeline.pipeline.pgValue]
        }
        if !includeReplayed { sql += " AND replayed_at IS NULL" }
        parameters.append(limit.pgValue)
        sql += " ORDER BY id LIMIT $\(parameters.count)"
        return try transaction("list dead letters") { db in
            try db.query(sql, parameters, purpose: "list dead letters").map { row in
                DeadLetter(
                    id: row.int64(0), pipeline: PipelineID(site: row.string(1), pipeline: row.string(2)),
                    stream: row.string(3), stage: row.string(4), error: row.string(5), recordBytes: row.bytes(6),
                    createdAt: row.double(7), replayedAt: row.optionalDouble(8))
            }
        }
    }

    public func markReplayed(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try transaction("mark dead letters as replayed") { db in try markReplayed(ids, in: db) }
    }

    func markReplayed(_ ids: [Int64], in db: PGConnection) throws {
        try db.query(
            "UPDATE dead_letters SET replayed_at = $1 WHERE id = ANY($2::bigint[]) AND replayed_at IS NULL",
            [Self.now.pgValue, PGArray.integers(ids.map { Optional($0) }).pgValue],
            purpose: "mark dead letters as replayed")
    }

    public func discardDeadLetters(_ ids: [Int64]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try transaction("discard dead letters") { db in
            try db.query(
                "DELETE FROM dead_letters WHERE id = ANY($1::bigint[]) RETURNING id",
                [PGArray.integers(ids.map { Optional($0) }).pgValue], purpose: "discard dead letters"
            ).count
        }
    }

    // MARK: Parked records

    public func parkedRecords(for pipeline: PipelineID, limit: Int) throws -> [ParkedRecord] {
        try transaction("list the parked records of \(pipeline)") { db in
            try db.query(
                """
                SELECT id, stream, reason, record, attempts, parked_at FROM parked_records
                WHERE site = $1 AND pipeline = $2 ORDER BY id LIMIT $3
                """, [pipeline.site.pgValue, pipeline.pipeline.pgValue, max(limit, 0).pgValue],
                purpose: "list the parked records of \(pipeline)"
            ).map { row in
                ParkedRecord(
                    id: row.int64(0), pipeline: pipeline, stream: row.string(1), reason: row.string(2),
                    recordBytes: row.bytes(3), attempts: row.int(4), parkedAt: row.double(5))
            }
        }
    }

    public func parkedCount(for pipeline: PipelineID) throws -> Int {
        try transaction("count the parked records of \(pipeline)") { db in
            try db.query(
                "SELECT COUNT(*) FROM parked_records WHERE site = $1 AND pipeline = $2",
                [pipeline.site.pgValue, pipeline.pipeline.pgValue], purpose: "count the parked records of \(pipeline)"
            ).first?.int(0) ?? 0
        }
    }

    // MARK: Maintenance

    public func reset(_ pipeline: PipelineID) throws {
        try transaction("reset \(pipeline)") { db in
            let parameters = [pipeline.site.pgValue, pipeline.pipeline.pgValue]
            try db.query(
                """
                DELETE FROM record_hashes WHERE stream_id IN (SELECT id FROM hash_streams WHERE site = $1 AND pipeline = $2)
                """, parameters, purpose: "forget the record hashes of \(pipeline)")
            for (table, what) in [
                ("checkpoints", "checkpoints"), ("hash_streams", "hashed streams"), ("dead_letters", "dead letters"),
                ("parked_records", "parked records"),
            ] {
                try db.query(
                    "DELETE FROM \(table) WHERE site = $1 AND pipeline = $2", parameters,
                    purpose: "forget the \(what) of \(pipeline)")
            }
        }
    }
}
