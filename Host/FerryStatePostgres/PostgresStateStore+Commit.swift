import FerryCore
import Foundation

/// Checkpoints and the atomic per-batch commit.
extension PostgresStateStore {
    public func checkpoint(for pipeline: PipelineID, stream: String) throws -> String? {
        try transaction("read the checkpoint of \(pipeline) stream \(stream)") { db in
            try db.query(
                "SELECT checkpoint FROM checkpoints WHERE site = $1 AND pipeline = $2 AND stream = $3",
                [pipeline.site.pgValue, pipeline.pipeline.pgValue, stream.pgValue],
                purpose: "read the checkpoint of \(pipeline) stream \(stream)"
            ).first?.string(0)
        }
    }

    public func checkpointSequence(for pipeline: PipelineID, stream: String) throws -> Int64 {
        try transaction("read the checkpoint sequence of \(pipeline) stream \(stream)") { db in
            try db.query(
                "SELECT sequence FROM checkpoint_sequences WHERE site = $1 AND pipeline = $2 AND stream = $3",
                [pipeline.site.pgValue, pipeline.pipeline.pgValue, stream.pgValue],
                purpose: "read the checkpoint sequence of \(pipeline) stream \(stream)"
            ).first?.int64(0) ?? 0
        }
    }

    public func commit(_ batch: BatchCommit) throws {
        let pipeline = batch.pipeline
        let hook = commitFaultHook
        try transaction("commit a batch of \(pipeline) stream \(batch.stream)") { db in
            let now = Self.now
            let site = pipeline.site.pgValue, name = pipeline.pipeline.pgValue, stream = batch.stream.pgValue
            if let checkpoint = batch.checkpoint {
                try db.query(
                    """
                    INSERT INTO checkpoints (site, pipeline, stream, checkpoint, updated_at) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (site, pipeline, stream) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at
                    """, [site, name, stream, checkpoint.pgValue, now.pgValue],
                    purpose: "store the checkpoint of \(pipeline) stream \(batch.stream)")
                try db.query(
                    """
                    INSERT INTO checkpoint_sequences AS s (site, pipeline, stream, sequence) VALUES ($1, $2, $3, COALESCE($4::bigint, 1))
                    ON CONFLICT (site, pipeline, stream) DO UPDATE SET sequence = COALESCE($4::bigint, s.sequence + 1)
                    """, [site, name, stream, batch.checkpointSequence.pgValue],
                    purpose: "number the checkpoint of \(pipeline) stream \(batch.stream)")
            }
            try hook?("checkpoint")

            let counts = batch.counts
            let updated = try db.query(
                """
                UPDATE runs SET read_count = read_count + $1, written_count = written_count + $2,
                    unchanged_count = unchanged_count + $3, deleted_count = deleted_count + $4, rejected_count = rejected_count + $5,
                    created_count = created_count + $9
                WHERE id = $6 AND site = $7 AND pipeline = $8 AND status = 'running' RETURNING id
                """,
                [
                    counts.read.pgValue, counts.written.pgValue, counts.unchanged.pgValue, counts.deleted.pgValue,
                    counts.rejected.pgValue, batch.run.pgValue, site, name, counts.created.pgValue,
                ], purpose: "add the batch's counts to run \(batch.run)")
            if updated.count == 0 { try explainUncommittableRun(batch.run, pipeline: pipeline, in: db) }
            // A committing run is alive: its lease lasts another full period.
            try db.query(
                "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $1) WHERE run_id = $2",
                [url.leaseSeconds.pgValue, batch.run.pgValue], purpose: "renew the lease of run \(batch.run)")
            try hook?("counts")

            try storeMappings(batch.idMappings, at: now, in: db)
            try hook?("idMappings")

            for letter in batch.deadLetters {
                try db.query(
                    """
                    INSERT INTO dead_letters (run_id, site, pipeline, stream, stage, error, record, created_at, replayed_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """,
                    [
                        batch.run.pgValue, letter.pipeline.site.pgValue, letter.pipeline.pipeline.pgValue,
                        letter.stream.pgValue, letter.stage.pgValue, letter.error.pgValue, .bytes(letter.recordBytes),
                        letter.createdAt.pgValue, letter.replayedAt.pgValue,
                    ], purpose: "store the batch's dead letters")
            }
            try hook?("deadLetters")

            if !batch.hashes.isEmpty {
                let streamID = try hashStreamID(pipeline, batch.stream, creating: true, in: db)!
                // The last hash of a key wins, as if stored one by one (one statement may touch a row once).
                var latest: [String: UInt64] = [:]
                for (key, hash) in batch.hashes { latest[key] = hash }
                let sorted = latest.sorted { $0.key < $1.key }
                try db.query(
                    """
                    INSERT INTO record_hashes (stream_id, key, hash) SELECT $1, k, h FROM unnest($2::text[], $3::bigint[]) AS t (k, h)
                    ON CONFLICT (stream_id, key) DO UPDATE SET hash = excluded.hash
                    """,
                    [
                        streamID.pgValue, PGArray.text(sorted.map(\.key)).pgValue,
                        PGArray.integers(sorted.map { Int64(bitPattern: $0.value) }).pgValue,
                    ], purpose: "store the batch's record hashes")
            }
            try hook?("hashes")

            if !batch.removedHashKeys.isEmpty,
                let streamID = try hashStreamID(pipeline, batch.stream, creating: false, in: db)
            {
                try db.query(
                    "DELETE FROM record_hashes WHERE stream_id = $1 AND key = ANY($2::text[])",
                    [streamID.pgValue, PGArray.text(batch.removedHashKeys).pgValue],
                    purpose: "forget the hashes of deleted records")
            }
            try hook?("removedHashKeys")

            if !batch.replayedDeadLetters.isEmpty { try markReplayed(batch.replayedDeadLetters, in: db) }
            try hook?("replayedDeadLetters")

            for mapping in batch.removedIDMappings {
                try db.query(
                    "DELETE FROM id_map WHERE scope = $1 AND source_id = $2",
                    [mapping.scope.pgValue, mapping.sourceID.pgValue],
                    purpose: "forget the ID mapping of deleted \(mapping.sourceID) in \(mapping.scope)")
            }
            if !batch.unparked.isEmpty {
                try db.query(
                    "DELETE FROM parked_records WHERE id = ANY($1::bigint[])",
                    [PGArray.integers(batch.unparked.map { Optional($0) }).pgValue], purpose: "take up parked records")
            }
            for record in batch.parked {
                try db.query(
                    """
                    INSERT INTO parked_records (site, pipeline, stream, reason, record, attempts, parked_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """,
                    [
                        record.pipeline.site.pgValue, record.pipeline.pipeline.pgValue, record.stream.pgValue,
                        record.reason.pgValue, .bytes(record.recordBytes), record.attempts.pgValue,
                        record.parkedAt.pgValue,
                    ], purpose: "park the batch's waiting records")
            }
            try hook?("parked")

            try commitTwoWay(batch, at: now, in: db)
            try hook?("twoWay")
        }
    }

    /// Throws the reason why a batch can't be committed to `run`.
    private func explainUncommittableRun(_ run: RunID, pipeline: PipelineID, in db: PGConnection) throws {
        guard
            let found = try db.query(
                "SELECT site, pipeline, status FROM runs WHERE id = $1", [run.pgValue], purpose: "read run \(run)"
            ).first
        else {
            throw StateError(.notFound, "Run \(run) does not exist.")
        }
        let owner = PipelineID(site: found.string(0), pipeline: found.string(1))
        if owner != pipeline {
            throw StateError(.storage, "Run \(run) belongs to pipeline '\(owner)', not '\(pipeline)'.")
        }
        throw StateError(.storage, "Run \(run) has already finished (\(found.string(2))); its batch is not committed.")
    }

    /// The id under which the hashes of a stream are kept, created when asked to.
    func hashStreamID(_ pipeline: PipelineID, _ stream: String, creating: Bool, in db: PGConnection) throws -> Int64? {
        let parameters = [pipeline.site.pgValue, pipeline.pipeline.pgValue, stream.pgValue]
        if creating {
            try db.query(
                "INSERT INTO hash_streams (site, pipeline, stream) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                parameters, purpose: "register stream \(stream) of \(pipeline) for hashes")
        }
        return try db.query(
            "SELECT id FROM hash_streams WHERE site = $1 AND pipeline = $2 AND stream = $3", parameters,
            purpose: "find the hashes of \(pipeline) stream \(stream)"
        ).first?.int64(0)
    }

    /// Stores ID mappings in one statement; the last mapping of a (scope, source id) wins.
    func storeMappings(
        _ mappings: [(scope: String, sourceID: String, destinationID: String)], at now: Double, in db: PGConnection
    ) throws {
        guard !mappings.isEmpty else { return }
        var latest: [String: (scope: String, sourceID: String, destinationID: String)] = [:]
        var order: [String] = []
        for mapping in mappings {
            let id = mapping.scope + "\u{0}" + mapping.sourceID
            if latest.updateValue(mapping, forKey: id) == nil { order.append(id) }
        }
        let unique = order.sorted().map { latest[$0]! }
        try db.query(
            """
            INSERT INTO id_map (scope, source_id, destination_id, updated_at)
            SELECT s, k, d, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t (s, k, d)
            ON CONFLICT (scope, source_id) DO UPDATE SET destination_id = excluded.destination_id, updated_at = excluded.updated_at
            """,
            [
                PGArray.text(unique.map(\.scope)).pgValue, PGArray.text(unique.map(\.sourceID)).pgValue,
                PGArray.text(unique.map(\.destinationID)).pgValue, now.pgValue,
            ], purpose: "store ID mappings")
    }
}
