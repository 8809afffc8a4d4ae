import FerryCore
import FerryJSON
import FerryPluginSDK
import Foundation

/// Fan-out (`outputs:`, docs/fan-out.md): each source record becomes rows of several
/// destination streams, written parents first, and the batch commits once, after every
/// output acknowledged its rows.
///
/// One transaction where the destination supports it: when every output writes to one
/// connection whose plugin commits the writes of one `transaction` id together (ABI 1.2,
/// sqlite and postgres), the batch's writes share a transaction that a last, empty write
/// commits with the checkpoint: a crash anywhere leaves the destination without any of the
/// batch's rows. Otherwise (outputs on several connections, an older plugin) each output is
/// its own transaction, and that is safe too: every output is written with upsert by its key,
/// and the source checkpoint, hashes and ID mappings commit only after the last output's
/// write, so a crash between two outputs' writes leaves the batch uncommitted and the rerun
/// sends every output's rows again, which replace themselves. Append could promise neither
/// (the first output's rows would land twice), so the configuration refuses it.
extension PipelineRunner {
    /// `process` for a fan-out pipeline: the same stages, with the record split into rows
    /// between the transforms and change detection.
    func processFanOut(
        _ batch: SourceBatch, batchID: String, runID: RunID, checkpoint: DurableCheckpoint?,
        priorAttempts: [UInt64: Int]
    ) throws -> BatchCommit {
        var ledger = BatchLedger(
            batch: batch, plan: plan, knownDeadLetters: knownDeadLetters, priorAttempts: priorAttempts)
        defer { knownDeadLetters = ledger.knownDeadLetters }
        var records = try shape(batch, ledger: &ledger)
        try applyTransformPlugins(to: &records, ledger: &ledger)
        let split = try fanOut(records.materialized(), ledger: &ledger)
        try loadStoredChildren()
        let deletions = try plannedDeletions(split)

        var delivery = FanOutDelivery(transaction: sharedTransaction(batchID))
        for (index, output) in plan.outputs.enumerated() {
            if index > 0 { FailPoints.hit("between_outputs") }
            let rows = split.rows[index].filter { !delivery.rejectedSources.contains($0.sourceIndex) }
            try deliver(rows, to: output, batchID: batchID, checkpoint: checkpoint, into: &delivery, ledger: &ledger)
        }
        // Children before their parents, as a database with foreign keys needs.
        for deletion in deletions.reversed() {
            try delete(deletion, batchID: batchID, checkpoint: checkpoint, into: &delivery, ledger: &ledger)
        }
        try commitSharedTransaction(delivery, batchID: batchID, checkpoint: checkpoint)
        rememberChildren(split, rejected: delivery.rejectedSources)

        var commit = BatchCommit(
            run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: batch.checkpoint,
            counts: ledger.counts, idMappings: delivery.idMappings, deadLetters: ledger.deadLetters,
            hashes: delivery.hashes.filter { !delivery.rejectedSources.contains($0.sourceIndex) }.map {
                ($0.key, $0.hash)
            },
            removedHashKeys: delivery.removedHashKeys, parked: ledger.parked)
        commit.removedIDMappings = delivery.removedIDMappings
        return commit
    }

    // MARK: Splitting records into rows

    /// Cuts every record into its outputs' rows and runs each output's transforms. A record
    /// that any output rejects is dead-lettered once, with that output's name, and none of its
    /// rows go anywhere; one whose lookup must wait is parked whole.
    func fanOut(_ records: [OutgoingRecord], ledger: inout BatchLedger) throws -> FanOutSplit {
        var split = FanOutSplit(outputs: plan.outputs.count)
        for record in records {
            let rootKey: String
            let object: JSONObject
            do {
                rootKey = try record.key ?? key(ofLine: record.line) ?? ""
                guard case .object(let parsed) = try parser.parse(record.line) else {
                    throw RecordRejected("the record is not a JSON object")
                }
                object = parsed
            } catch {
                ledger.deadLetter(record.sourceIndex, stage: "transform", String(describing: error))
                continue
            }
            do {
                let rows = try plan.outputs.map { output in
                    try self.rows(of: object, for: output, rootKey: rootKey, sourceIndex: record.sourceIndex)
                }
                for (index, outputRows) in rows.enumerated() { split.rows[index] += outputRows }
                split.roots.append((record.sourceIndex, rootKey))
            } catch let stop as TransformStopped {
                throw stop
            } catch let deferral as RecordDeferred {
                ledger.park(record.sourceIndex, key: rootKey, reason: deferral.reason, limit: deferral.limit)
            } catch {
                ledger.deadLetter(record.sourceIndex, stage: "transform", String(describing: error))
            }
        }
        return split
    }

    /// One output's rows of one record, transformed and keyed.
    private func rows(of record: JSONObject, for output: OutputPlan, rootKey: String, sourceIndex: Int) throws
        -> [FanOutRow]
    {
        let exploded: [JSONObject]
        do {
            exploded = try output.explosion.rows(of: record)
        } catch {
            throw RecordRejected("output '\(output.name)': \(error)")
        }
        var rows: [FanOutRow] = []
        for (offset, row) in exploded.enumerated() {
            let place =
                output.explosion.explode == nil ? "output '\(output.name)'" : "output '\(output.name)' row \(offset)"
            do {
                guard let kept = try output.transform.map({ try $0.apply(row) }) ?? row else { continue }
                let key = try RecordKey.text(
                    of: output.primaryKey.map { kept[$0] }, fields: output.primaryKey, writer: writer)
                rows.append(
                    FanOutRow(sourceIndex: sourceIndex, rootKey: rootKey, key: key, line: writer.encode(.object(kept))))
            } catch let stop as TransformStopped {
                throw TransformStopped(description: "\(place): \(stop.description)")
            } catch let deferral as RecordDeferred {
                throw RecordDeferred(reason: "\(place): \(deferral.reason)", limit: deferral.limit)
            } catch {
                throw RecordRejected("\(place): \(error)")
            }
        }
        return rows
    }

    // MARK: Writing

    /// Change detection, the write and its outcome for one output's rows.
    private func deliver(
        _ rows: [FanOutRow], to output: OutputPlan, batchID: String, checkpoint: DurableCheckpoint?,
        into delivery: inout FanOutDelivery, ledger: inout BatchLedger
    ) throws {
        var sending = rows
        var hashes: [FanOutDelivery.Hash] = []
        var stored: [String: UInt64] = [:]
        // Rows of `sending` that change detection had no hash for: created, unless refused.
        var new: Set<Int> = []
        if plan.changeDetection && !rows.isEmpty {
            let keys = rows.map { FanOutHashKey.make(output: output.name, root: $0.rootKey, row: $0.key) }
            stored = try store.recordHashes(for: plan.id, stream: plan.sourceStream, keys: keys)
            sending = []
            for (row, hashKey) in zip(rows, keys) {
                let hash = XXHash64.hash(row.line)
                if !options.fullRefresh, stored[hashKey] == hash {
                    ledger.counts.unchanged += 1
                    continue
                }
                if stored[hashKey] == nil { new.insert(sending.count) }
                sending.append(row)
                hashes.append(FanOutDelivery.Hash(sourceIndex: row.sourceIndex, key: hashKey, hash: hash))
            }
        }
        guard !options.dryRun else {
            try diffRows(sending, of: output, stored: Set(stored.keys), unchanged: rows.count - sending.count)
            ledger.counts.written += sending.count
            ledger.counts.created += new.count
            return
        }
        delivery.hashes += hashes
        guard !sending.isEmpty else { return }
        let request = WriteRequest(
            stream: output.destinationStream, operation: .upsert, primaryKey: output.primaryKey,
            batchID: "\(batchID)/\(output.name)", checkpoint: delivery.transaction == nil ? checkpoint : nil,
            idMapScope: output.idMapScopeName,
            transaction: delivery.transaction.map { WriteTransaction(id: $0, commit: false) })
        let outcome = try withRetries("write") {
            try output.destination.write(request, records: joinedLines(output.mirrorOnly.sendable(sending.map(\.line))))
        }
        delivery.wroteInTransaction = delivery.transaction != nil
        var rejectedRows = 0
        for rejection in outcome.rejections where sending.indices.contains(rejection.index) {
            let row = sending[rejection.index]
            rejectedRows += 1
            new.remove(rejection.index)
            if delivery.rejectedSources.insert(row.sourceIndex).inserted {
                ledger.deadLetter(
                    row.sourceIndex, stage: "destination", "output '\(output.name)' key \(row.key): \(rejection.error)")
            }
        }
        for assigned in outcome.assignedIDs where sending.indices.contains(assigned.index) {
            let row = sending[assigned.index]
            delivery.idMappings.append(
                (output.idMapScope, RecordKey.idMapText(ofKey: row.key), assigned.destinationID))
        }
        let refused = Set(outcome.rejections.map(\.index))
        delivery.idMappings += plan.idMapMirrors.columnEntries(
            scope: output.idMapScope,
            rows: sending.indices.filter { !refused.contains($0) }.map { (sending[$0].key, sending[$0].line) })
        ledger.counts.written += sending.count - rejectedRows
        ledger.counts.created += new.count
        logger.debug(
            "Output written.",
            metadata: ["output": "\(output.name)", "rows": "\(sending.count)", "rejected": "\(rejectedRows)"])
    }

    /// Deletes the children one output no longer has (replace-children), unless their record
    /// was rejected in this batch.
    private func delete(
        _ deletion: ChildDeletion, batchID: String, checkpoint: DurableCheckpoint?,
        into delivery: inout FanOutDelivery, ledger: inout BatchLedger
    ) throws {
        let output = plan.outputs[deletion.output]
        let vanished = deletion.rows.filter { !delivery.rejectedSources.contains($0.sourceIndex) }
        delivery.removedHashKeys += deletion.moved.map(\.hashKey)
        guard !vanished.isEmpty else { return }
        if options.dryRun {
            if var diff {
                for row in vanished { diff.add(RecordDiff(kind: .delete, key: row.key, output: output.name)) }
                self.diff = diff
            }
        } else {
            let payload = joinedLines(
                vanished.map { writer.encode(.object(keyRecord(fromKey: $0.key, fields: output.primaryKey))) })
            let request = WriteRequest(
                stream: output.destinationStream, operation: .delete, primaryKey: output.primaryKey,
                batchID: "\(batchID)/\(output.name)/delete", checkpoint: delivery.transaction == nil ? checkpoint : nil,
                idMapScope: output.idMapScopeName,
                transaction: delivery.transaction.map { WriteTransaction(id: $0, commit: false) })
            _ = try withRetries("write") { try output.destination.write(request, records: payload) }
            delivery.wroteInTransaction = delivery.transaction != nil
            logger.info(
                "Deleted children their record no longer has.",
                metadata: ["output": "\(output.name)", "deleted": "\(vanished.count)"])
        }
        delivery.removedHashKeys += vanished.map(\.hashKey)
        delivery.removedIDMappings += vanished.map { (output.idMapScope, RecordKey.idMapText(ofKey: $0.key)) }
        ledger.counts.deleted += vanished.count
        fanOutChildren.deleted[deletion.output] += vanished.count
    }

    /// The id of the transaction the batch's writes share, when every output writes to one
    /// connection that commits a transaction's writes together; nil for per-output writes.
    private func sharedTransaction(_ batchID: String) -> String? {
        guard !options.dryRun, let first = plan.outputs.first?.destination, first.transactionalWrites,
            plan.outputs.allSatisfy({ $0.destination === first })
        else { return nil }
        return batchID
    }

    /// Commits the shared transaction, with the batch's checkpoint, by a last write without
    /// records (the outputs' writes may each have had nothing to send).
    private func commitSharedTransaction(_ delivery: FanOutDelivery, batchID: String, checkpoint: DurableCheckpoint?)
        throws
    {
        guard let transaction = delivery.transaction, delivery.wroteInTransaction, let first = plan.outputs.first else {
            return
        }
        let request = WriteRequest(
            stream: first.destinationStream, operation: .upsert, primaryKey: first.primaryKey,
            batchID: "\(batchID)/commit", checkpoint: checkpoint, idMapScope: first.idMapScopeName,
            transaction: WriteTransaction(id: transaction, commit: true))
        _ = try withRetries("write") { try first.destination.write(request, records: []) }
    }

    /// The record (of the given key fields) a delete sends for a key.
    func keyRecord(fromKey key: String, fields: [String]) -> JSONObject {
        let value = (try? parser.parse(key)) ?? .string(key)
        if fields.count == 1 { return JSONObject([(fields[0], value)]) }
        let parts = value.arrayValue ?? []
        return JSONObject(zip(fields, parts).map { (key: $0.0, value: $0.1) })
    }
}

/// One row of one output, on its way.
struct FanOutRow {
    /// The source record's line in the batch (its dead letter holds that record whole).
    var sourceIndex: Int
    /// The source record's key, which groups its children.
    var rootKey: String
    /// The row's own key as exact JSON text.
    var key: String
    /// The row as it will be sent.
    var line: [UInt8]
}

/// A batch's records cut into rows: `rows[i]` for `plan.outputs[i]`, and the records that
/// made it through every output (their source index and key).
struct FanOutSplit {
    var rows: [[FanOutRow]]
    var roots: [(sourceIndex: Int, key: String)] = []

    init(outputs: Int) { rows = Array(repeating: [], count: outputs) }
}

/// What one batch's writes leave to commit.
struct FanOutDelivery {
    /// The transaction the writes share (ABI 1.2), or nil for per-output writes.
    var transaction: String?
    /// Whether a write joined that transaction, which must then be committed.
    var wroteInTransaction = false
    struct Hash {
        var sourceIndex: Int
        var key: String
        var hash: UInt64
    }
    var hashes: [Hash] = []
    var idMappings: [(scope: String, sourceID: String, destinationID: String)] = []
    /// Records a destination refused a row of: dead-lettered once, their later rows not sent.
    var rejectedSources = Set<Int>()
    var removedHashKeys: [String] = []
    var removedIDMappings: [(scope: String, sourceID: String)] = []
}
