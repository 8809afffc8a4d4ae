import FerryCore
import FerryJSON
import FerryPluginSDK

/// The dry-run diff (`ferry run --dry-run --diff`): what `deliver` would write, classified
/// per record as a create, an update (the fields that differ) or unchanged, and in mirror
/// mode the deletes. Nothing is written and no state is committed: these stages only read.
///
/// Where the destination's connector is also a source of the destination stream (sqlite,
/// postgres, postgrest, rest with streams), its records are read and compared field by
/// field. Memory stays bounded by the batch: for each batch with records to classify, the
/// destination stream is read once and only the records with the batch's keys are kept
/// (so a run costs one destination read per such batch, and none for batches whose records
/// all had unchanged hashes). A key the destination does not return is an update when the
/// ID map or a stored hash knows it (a destination that assigns its own ids), else a create.
extension PipelineRunner {
    /// Classifies the records `deliver` would write (its dry-run branch).
    func diffBatch(_ outgoing: OutgoingBatch, ledger: BatchLedger) throws {
        guard var diff else { return }
        defer { self.diff = diff }
        diff.unchanged += ledger.counts.unchanged
        guard outgoing.count > 0 else { return }
        // As the destination would receive them: without the `mirror_only:` fields.
        let records = outgoing.materialized().map { record in
            OutgoingRecord(
                sourceIndex: record.sourceIndex, key: record.key, line: plan.mirrorOnly.sendable(record.line))
        }
        guard plan.writeMode != .append, !plan.primaryKey.isEmpty else {
            // Appends (or records without a key) are always new rows.
            for record in records {
                diff.add(RecordDiff(kind: .create, key: record.key, record: parsedLine(record.line)))
            }
            return
        }
        let keyed = records.map { record in (record, record.key ?? (try? key(ofLine: record.line))) }
        let keys = keyed.compactMap(\.1)
        let current = try destinationRecords(keys: Set(keys), diff: &diff)
        let stored = try store.recordHashes(for: plan.id, stream: plan.sourceStream, keys: keys)
        for (record, key) in keyed {
            guard let key else {
                diff.add(RecordDiff(kind: .create, key: nil, record: parsedLine(record.line)))
                continue
            }
            if let old = current[key] {
                let changes =
                    parsedLine(record.line)?.objectValue.map { FieldComparison.changes(from: old, to: $0) } ?? []
                if changes.isEmpty {
                    diff.unchanged += 1
                } else {
                    diff.add(RecordDiff(kind: .update, key: key, changes: changes))
                }
                continue
            }
            let mapped =
                try stored[key] != nil
                || store.destinationID(scope: plan.idMapScope, sourceID: RecordKey.idMapText(ofKey: key)) != nil
            if mapped {
                diff.add(RecordDiff(kind: .update, key: key))
            } else {
                diff.add(RecordDiff(kind: .create, key: key, record: parsedLine(record.line)))
            }
        }
    }

    /// Mirror mode's deletes in the diff: the vanished keys, and whether `max_delete` would refuse them.
    func diffVanished(_ vanished: [String], known: Int, limit: DeleteLimit) {
        guard var diff else { return }
        for key in vanished { diff.add(RecordDiff(kind: .delete, key: key)) }
        diff.deletes =
            limit.allows(deleting: vanished.count, of: known)
            ? .computed
            : .refused(MassDeleteRefused(plan: plan, deleting: vanished.count, known: known, limit: limit).description)
        self.diff = diff
    }

    /// The destination's records with the given keys, by key; empty when the destination
    /// connector cannot read the destination stream (asked once per run).
    private func destinationRecords(keys: Set<String>, diff: inout PipelineDiff) throws -> [String: JSONObject] {
        if diff.readable == nil {
            let catalog = plan.destination.api.pointee.read_open == nil ? nil : try? plan.destination.discover()
            diff.readable = catalog?.stream(named: plan.destinationStream) != nil
            if diff.readable == false {
                logger.info(
                    "The destination cannot be read: the diff tells creates from updates by the ID map and stored hashes.",
                    metadata: [
                        "destination": "\(plan.destination.connectionName)", "stream": "\(plan.destinationStream)",
                    ])
            }
        }
        guard diff.readable == true, !keys.isEmpty else { return [:] }
        let reader = try plan.destination.read(
            ReadRequest(stream: plan.destinationStream, fullRefresh: true, batchSize: plan.batchSize))
        defer { reader.close() }
        var found: [String: JSONObject] = [:]
        while found.count < keys.count, let batch = try reader.next() {
            let lines = LineIndex(batch.records)
            for index in 0..<lines.count {
                let line = lines.bytes(of: index)
                guard let key = try? key(ofLine: line), keys.contains(key),
                    case .object(let record)? = try? parser.parse(line)
                else { continue }
                found[key] = record
            }
        }
        return found
    }

    private func parsedLine(_ line: [UInt8]) -> JSONValue? { try? parser.parse(line) }
}
