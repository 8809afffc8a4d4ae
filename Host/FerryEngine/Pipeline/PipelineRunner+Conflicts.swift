import FerryCore
import FerryJSON
import FerryPluginSDK
import Foundation

/// What the two-way stage of one batch leaves to commit, for the records that are delivered.
struct TwoWayChanges {
    var versions: [SyncedVersion] = []
    var conflicts: [ConflictRecord] = []
    var closed: [(key: String, id: Int64, status: ConflictRecord.Status)] = []

    /// Adds the changes of the records the destination accepted (those that keep a hash) to `commit`.
    func record(in commit: inout BatchCommit, delivered hashes: [(key: String, hash: UInt64)]) {
        guard !versions.isEmpty || !closed.isEmpty else { return }
        let delivered = Set(hashes.map(\.key))
        commit.syncedVersions = versions.filter { delivered.contains($0.key) }
        commit.conflicts = conflicts.filter { delivered.contains($0.key) }
        commit.closedConflicts = closed.filter { delivered.contains($0.key) }.map { ($0.id, $0.status) }
    }
}

/// Stage 3b (between `skipUnchanged` and `deliver`): two-way sync. Each outgoing record is
/// merged with the destination's current one by the field rules of `RecordMerge`, against
/// the versions of its last sync; fields nobody decided become conflicts and keep the
/// destination's value. docs/relational.md describes it for users.
extension PipelineRunner {
    func reconcileConflicts(in outgoing: inout OutgoingBatch) throws -> TwoWayChanges {
        guard let twoWay = plan.conflicts, outgoing.count > 0 else { return TwoWayChanges() }
        let records = outgoing.materialized()
        let keys = records.compactMap(\.key)
        let bases = try store.syncedVersions(for: plan.id, stream: plan.sourceStream, keys: keys)
        let pending = Dictionary(
            grouping: try store.pendingConflicts(for: plan.id, stream: plan.sourceStream, keys: keys), by: \.key)
        if twoWay.destinationRecords == nil { twoWay.destinationRecords = try readDestination(twoWay) }
        var changes = TwoWayChanges()
        let now = Date().timeIntervalSince1970
        var kept = 0
        var merged: [OutgoingRecord] = []
        merged.reserveCapacity(records.count)
        for var record in records {
            guard let key = record.key, case .object(let source) = try parser.parse(record.line) else {
                merged.append(record)
                continue
            }
            let base = try bases[key].map { version in
                RecordMerge.Base(
                    source: try parser.parse(version.sourceRecord).objectValue ?? JSONObject(),
                    written: try parser.parse(version.writtenRecord).objectValue ?? JSONObject())
            }
            var resolutions: [String: RecordMerge.Resolution] = [:]
            for conflict in pending[key] ?? [] where conflict.status == .resolved {
                resolutions[conflict.field] = RecordMerge.Resolution(
                    sourceValue: try conflict.sourceValue.map { try parser.parse($0) },
                    value: try conflict.resolution.map { try parser.parse($0) })
            }
            let index = try destinationIndex(ofKey: key, twoWay)
            let destination = index.flatMap { twoWay.destinationRecords?[$0] }
            let outcome = twoWay.merge.merge(
                source: source, base: base, destination: destination, resolutions: resolutions)
            changes.versions.append(
                SyncedVersion(
                    key: key, sourceRecord: String(decoding: record.line, as: UTF8.self),
                    writtenRecord: writer.encodeString(.object(outcome.merged))))
            if outcome.merged != source {
                record.line = writer.encode(.object(outcome.merged))
                record.hash = nil
            }
            kept += outcome.keptDestination.count
            for conflict in pending[key] ?? [] {
                let sourceMovedOn = !RecordMerge.same(
                    try conflict.sourceValue.map { try parser.parse($0) }, source[conflict.field])
                let foundAgain = outcome.conflicts.contains { $0.field == conflict.field }
                if outcome.appliedResolutions.contains(conflict.field) && conflict.status == .resolved {
                    changes.closed.append((key, conflict.id, .applied))
                } else if outcome.staleResolutions.contains(conflict.field)
                    || (conflict.status == .open && !foundAgain && sourceMovedOn)
                {
                    // The source moved on since the conflict was seen: the field was decided afresh.
                    changes.closed.append((key, conflict.id, .superseded))
                }
            }
            for conflict in outcome.conflicts {
                changes.conflicts.append(
                    ConflictRecord(
                        pipeline: plan.id, stream: plan.sourceStream, key: key, field: conflict.field,
                        base: conflict.base.map(writer.encodeString),
                        sourceValue: conflict.source.map(writer.encodeString),
                        destinationValue: conflict.destination.map(writer.encodeString), seenAt: now))
            }
            // A key met again in this run compares with what this run wrote.
            var written = destination ?? JSONObject()
            for (field, value) in outcome.merged { written[field] = value }
            if let index { twoWay.destinationRecords?[index] = written }
            merged.append(record)
        }
        if kept > 0 || !changes.conflicts.isEmpty {
            logger.info(
                "Merged records with the destination's.",
                metadata: [
                    "kept_destination_fields": "\(kept)", "conflicts": "\(changes.conflicts.count)",
                ])
        }
        outgoing = OutgoingBatch(records: merged)
        return changes
    }

    /// Where a record's destination version is filed in `destinationRecords`: its key, or with
    /// `destination_id_field` the id the ID map holds for it (nil: not created yet).
    func destinationIndex(ofKey key: String, _ twoWay: ConflictPlan) throws -> String? {
        guard twoWay.settings.destinationIDField != nil else { return key }
        return try store.destinationID(scope: plan.idMapScope, sourceID: RecordKey.idMapText(ofKey: key))
    }

    /// The destination's current records by primary key (or by their assigned id, with
    /// `destination_id_field`), read whole; none while its catalog does not list the stream
    /// yet (a first run, before the table exists).
    func readDestination(_ twoWay: ConflictPlan) throws -> [String: JSONObject] {
        guard try twoWay.connection.discover().stream(named: twoWay.stream) != nil else {
            logger.info(
                "The destination holds no such stream yet; every record is new to it.",
                metadata: [
                    "connection": "\(twoWay.connection.connectionName)", "stream": "\(twoWay.stream)",
                ])
            return [:]
        }
        let reader = try twoWay.connection.read(ReadRequest(stream: twoWay.stream, fullRefresh: true, batchSize: 5000))
        defer { reader.close() }
        var records: [String: JSONObject] = [:]
        while let batch = try reader.next() {
            let lines = LineIndex(batch.records)
            for index in 0..<lines.count {
                guard case .object(var record) = try parser.parse(lines.bytes(of: index)) else { continue }
                if let transform = twoWay.destinationTransform {
                    guard let shaped = try transform.apply(record) else { continue }
                    record = shaped
                }
                if let idField = twoWay.settings.destinationIDField {
                    switch record[idField] {
                    case .string(let id)?: records[id] = record
                    case .int(let id)?: records[String(id)] = record
                    default: continue
                    }
                } else if let key = try? RecordKey.text(
                    of: plan.primaryKey.map { record[$0] }, fields: plan.primaryKey, writer: writer)
                {
                    records[key] = record
                }
            }
        }
        logger.debug(
            "Read the destination's records for two-way sync.",
            metadata: [
                "connection": "\(twoWay.connection.connectionName)", "stream": "\(twoWay.stream)",
                "records": "\(records.count)",
            ])
        return records
    }
}
