import FerryCore
import FerryJSON
import FerryPluginSDK
import Foundation

/// One batch through its stages (docs/architecture.md names them): the source batch
/// is shaped into outgoing records (keys, config transforms, transform plugins), the
/// unchanged ones are skipped, the rest are delivered to the destination, and what the
/// batch changed is returned as a `BatchCommit`.
extension PipelineRunner {
    func process(
        _ batch: SourceBatch, batchID: String, runID: RunID, seenKeys: inout Set<UInt64>,
        checkpoint: DurableCheckpoint?, priorAttempts: [UInt64: Int] = [:], keyedLines: [KeyedLine]? = nil
    ) throws -> BatchCommit {
        if plan.fansOut {
            return try processFanOut(
                batch, batchID: batchID, runID: runID, checkpoint: checkpoint, priorAttempts: priorAttempts)
        }
        var ledger = BatchLedger(
            batch: batch, plan: plan, knownDeadLetters: knownDeadLetters, priorAttempts: priorAttempts)
        defer { knownDeadLetters = ledger.knownDeadLetters }
        var outgoing = try shape(batch, keyedLines: keyedLines, ledger: &ledger)
        if plan.writeMode == .mirror {
            // A record that waits for its parent is still in the snapshot: mirror must not delete it.
            for key in ledger.parkedKeys { seenKeys.insert(XXHash64.hash(Array(key.utf8))) }
        }
        try applyTransformPlugins(to: &outgoing, ledger: &ledger)
        var unknownKeys: [String] = []
        let candidates = plan.conflicts?.settings.reportsDestinationChanges == true ? outgoing.materialized() : []
        var hashes = try skipUnchanged(
            in: &outgoing, seenKeys: &seenKeys, ledger: &ledger, unknownKeys: &unknownKeys)
        try noteKeysBeforeWriting(unknownKeys, runID: runID)
        let reported =
            candidates.isEmpty ? [] : try reportedDestinationChanges(among: candidates, sent: Set(hashes.map(\.key)))
        let twoWay = try reconcileConflicts(in: &outgoing)
        let sentHashes = hashes.count
        let idMappings = try deliver(
            outgoing, batchID: batchID, checkpoint: checkpoint, hashes: &hashes, ledger: &ledger)
        if !plan.detectsChanges {
            // Append adds every record; an upsert without hashes cannot tell, and counts none.
            ledger.counts.created = plan.writeMode == .append ? ledger.counts.written : 0
        } else if options.dryRun || hashes.count == sentHashes {
            // Every unknown key has a hash among those sent, and none was taken back.
            ledger.counts.created = unknownKeys.count
        } else {
            let delivered = Set(hashes.map(\.key))
            ledger.counts.created = unknownKeys.filter { delivered.contains($0) }.count
        }
        var commit = BatchCommit(
            run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: batch.checkpoint,
            counts: ledger.counts, idMappings: idMappings, deadLetters: ledger.deadLetters, hashes: hashes,
            parked: ledger.parked)
        twoWay.record(in: &commit, delivered: hashes)
        if !options.dryRun { commit.conflicts += reported }
        return commit
    }

    /// Stage 1: keys and config transforms. When nothing needs to look inside the records,
    /// the source's bytes go on as they came (no parsing, no copy). A line that is not a
    /// JSON object breaks the source protocol; a record without a usable key, or one a
    /// transform refuses, is the record's own fault and becomes a dead letter, like one the
    /// source marked as rejected (`SourceRejection`: a detail call answered 404, say).
    /// `keyedLines`, when given, are the batch's lines keyed and hashed as it was read (`SourceReadAhead`).
    func shape(_ batch: SourceBatch, keyedLines: [KeyedLine]? = nil, ledger: inout BatchLedger) throws
        -> OutgoingBatch
    {
        let rejections = SourceRejections.find(in: batch.records, lines: ledger.sourceLines)
        guard plan.transform != nil || plan.detectsChanges || !rejections.isEmpty else {
            return OutgoingBatch(untouched: batch, lines: ledger.sourceLines)
        }
        var records: [OutgoingRecord] = []
        records.reserveCapacity(batch.count)
        for index in 0..<ledger.sourceLines.count {
            let line = ledger.sourceLines.bytes(of: index)
            if let error = rejections[index] {
                ledger.deadLetter(index, stage: "source", error)
                continue
            }
            do {
                guard let transform = plan.transform else {
                    guard plan.detectsChanges else {
                        records.append(OutgoingRecord(sourceIndex: index, line: line))
                        continue
                    }
                    if let keyed = keyedLines?[index] {
                        records.append(
                            OutgoingRecord(sourceIndex: index, key: try keyed.key.get(), line: line, hash: keyed.hash))
                        continue
                    }
                    // Only the key is needed: read just those fields, and send the bytes as they came.
                    records.append(OutgoingRecord(sourceIndex: index, key: try key(ofLine: line), line: line))
                    continue
                }
                let parsed: JSONValue
                do { parsed = try parser.parse(line) } catch {
                    throw SourceProtocolViolation(plan: plan, record: index, "is not valid JSON: \(error)")
                }
                guard case .object(let record) = parsed else {
                    throw SourceProtocolViolation(plan: plan, record: index, "is not a JSON object")
                }
                guard let kept = try transform.apply(record) else { continue }
                records.append(
                    OutgoingRecord(sourceIndex: index, key: try recordKey(kept), line: writer.encode(.object(kept))))
            } catch let violation as SourceProtocolViolation {
                throw violation
            } catch let stop as TransformStopped {
                throw stop
            } catch let deferral as RecordDeferred {
                ledger.park(index, key: try? key(ofLine: line), reason: deferral.reason, limit: deferral.limit)
            } catch let error as JSONParseError {
                throw SourceProtocolViolation(plan: plan, record: index, "is not a JSON object: \(error)")
            } catch {
                ledger.deadLetter(index, stage: "transform", String(describing: error))
            }
        }
        return OutgoingBatch(records: records)
    }

    /// Stage 2: transform plugins, in order. A plugin may add, drop or reorder records;
    /// provenance (for dead letters) survives only where it maps one to one.
    func applyTransformPlugins(to outgoing: inout OutgoingBatch, ledger: inout BatchLedger) throws {
        let needsKeys = plan.transform != nil || plan.detectsChanges
        for plugin in plan.transformPlugins where outgoing.count > 0 {
            let records = outgoing.materialized()
            let result = try withRetries("transform") {
                try plugin.transform(TransformRequest(stream: plan.sourceStream), records: outgoing.bytes)
            }
            let rejected = Set(result.rejections.map(\.index))
            for rejection in result.rejections where records.indices.contains(rejection.index) {
                ledger.deadLetter(records[rejection.index].sourceIndex, stage: plugin.connectionName, rejection.error)
            }
            let survivors = records.enumerated().filter { !rejected.contains($0.offset) }.map(\.element)
            let output = LineIndex(result.records)
            let oneToOne = output.count == survivors.count
            outgoing = OutgoingBatch(
                records: try (0..<output.count).map { offset in
                    let line = output.bytes(of: offset)
                    let origin = oneToOne ? survivors[offset].sourceIndex : survivors.first?.sourceIndex ?? 0
                    guard needsKeys else { return OutgoingRecord(sourceIndex: origin, line: line) }
                    do {
                        return OutgoingRecord(sourceIndex: origin, key: try key(ofLine: line), line: line)
                    } catch {
                        throw RecordRejected(
                            "transform plugin \(plugin.connectionName) returned a line that is not a JSON object with a key: \(error)"
                        )
                    }
                })
        }
    }

    /// Stage 3: change detection. Records whose content hash is unchanged are dropped;
    /// returns the hashes of the others, to commit once they are delivered. Hashes are
    /// filed under the source stream, like the checkpoint they are committed with, and
    /// mirror mode notes every key it saw.
    func skipUnchanged(
        in outgoing: inout OutgoingBatch, seenKeys: inout Set<UInt64>,
        ledger: inout BatchLedger, unknownKeys: inout [String]
    ) throws -> [(key: String, hash: UInt64)] {
        guard plan.detectsChanges, outgoing.count > 0 else { return [] }
        let records = outgoing.materialized()
        let keys = records.compactMap(\.key)
        if plan.writeMode == .mirror {
            for key in keys { seenKeys.insert(XXHash64.hash(Array(key.utf8))) }
        }
        if looksUpHashes { try landStateCommit() }
        var stored =
            looksUpHashes ? try store.recordHashes(for: plan.id, stream: plan.sourceStream, keys: keys) : [:]
        // Records an earlier batch of the open commit group wrote: their hashes are not stored yet.
        if commitGroup.hasPendingHashes {
            for key in keys { if let pending = commitGroup.pendingHash(of: key) { stored[key] = pending } }
        }
        var hashes: [(key: String, hash: UInt64)] = []
        outgoing = OutgoingBatch(
            records: records.filter { record in
                guard let key = record.key else { return true }
                // The hash of the bytes that would be sent: exactly what the destination would see,
                // and several times cheaper than re-encoding the record canonically.
                let hash = record.hash ?? XXHash64.hash(record.line)
                // A first load stores nothing yet: no key to hash for a lookup.
                let known = stored.isEmpty ? nil : stored[key]
                if !options.fullRefresh, known == hash {
                    ledger.counts.unchanged += 1
                    return false
                }
                if known == nil { unknownKeys.append(key) }
                hashes.append((key, hash))
                return true
            })
        return hashes
    }

    /// Mirror mode: the keys a batch is about to write that the state does not know yet are
    /// committed first, with a hash no content has. A run killed after the destination took
    /// the batch but before its commit then leaves them known: if the source drops one before
    /// the rerun, the rerun deletes it instead of keeping a record the source no longer has.
    /// (Known keys the rerun sees again are written again, their placeholder hash differing.)
    func noteKeysBeforeWriting(_ keys: [String], runID: RunID) throws {
        guard plan.writeMode == .mirror, !options.dryRun, !keys.isEmpty else { return }
        try landStateCommit()
        try store.commit(
            BatchCommit(
                run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: nil, counts: BatchCounts(),
                hashes: keys.map { ($0, Self.unwrittenHash) }))
    }

    /// The hash of a key noted before its record was written (no record's content hashes to it
    /// but by a 1-in-2^64 chance, which at worst writes an unchanged record once more).
    static let unwrittenHash: UInt64 = 0

    /// Stage 4: the destination. Rejected records become dead letters (and keep no hash,
    /// so they are sent again); ids the destination assigned become ID mappings.
    func deliver(
        _ outgoing: OutgoingBatch, batchID: String, checkpoint: DurableCheckpoint?,
        hashes: inout [(key: String, hash: UInt64)],
        ledger: inout BatchLedger
    ) throws -> [(scope: String, sourceID: String, destinationID: String)] {
        guard !options.dryRun else {
            try diffBatch(outgoing, ledger: ledger)
            ledger.counts.written = outgoing.count
            if plan.destination.previewsWrites && outgoing.count > 0 {
                // The destination says (logs) what it would do with the batch, and changes nothing.
                let outcome = try write(sendable(outgoing), batchID: batchID, checkpoint: nil, preview: true)
                for rejection in outcome.rejections {
                    logger.warning(
                        "Dry run: the destination would reject a record.",
                        metadata: ["index": "\(rejection.index)", "error": "\(rejection.error)"])
                }
            }
            return []
        }
        guard outgoing.count > 0 else { return [] }
        let outcome = try write(sendable(outgoing), batchID: batchID, checkpoint: checkpoint)
        var rejectedKeys = Set<String>()
        var rejectedIndices = Set<Int>()
        var rejectedCount = 0
        for rejection in outcome.rejections where rejection.index >= 0 && rejection.index < outgoing.count {
            let record = outgoing.record(at: rejection.index)
            rejectedCount += 1
            rejectedIndices.insert(rejection.index)
            if let key = record.key { rejectedKeys.insert(key) }
            ledger.deadLetter(record.sourceIndex, stage: "destination", rejection.error)
        }
        var idMappings: [(scope: String, sourceID: String, destinationID: String)] = []
        for assigned in outcome.assignedIDs where assigned.index >= 0 && assigned.index < outgoing.count {
            let record = outgoing.record(at: assigned.index)
            if let key = record.key ?? (try? key(ofLine: record.line)) {
                idMappings.append((plan.idMapScope, RecordKey.idMapText(ofKey: key), assigned.destinationID))
            }
        }
        if !rejectedKeys.isEmpty { hashes.removeAll { rejectedKeys.contains($0.key) } }
        ledger.counts.written = outgoing.count - rejectedCount
        return idMappings + mirroredColumns(of: outgoing, rejected: rejectedIndices)
    }

    /// The batch's bytes as the destination receives them: without the `mirror_only:` fields,
    /// which the mirrors' columns (`mirroredColumns`) still read from the records.
    func sendable(_ outgoing: OutgoingBatch) -> [UInt8] {
        guard !plan.mirrorOnly.names.isEmpty else { return outgoing.bytes }
        return joinedLines(plan.mirrorOnly.sendable(outgoing.materialized().map(\.line)))
    }

    func write(_ payload: [UInt8], batchID: String, checkpoint: DurableCheckpoint?, preview: Bool = false) throws
        -> WriteOutcome
    {
        let request = WriteRequest(
            stream: plan.destinationStream, operation: plan.writeMode == .append ? .append : .upsert,
            primaryKey: plan.primaryKey, schema: plan.schema, batchID: batchID, checkpoint: checkpoint,
            idMapScope: plan.idMapScopeName, transaction: preview ? nil : groupWrite, preview: preview)
        let outcome = try withRetries("write") { try plan.destination.write(request, records: payload) }
        if let transaction = request.transaction { commitGroup.wrote(transaction) }
        return outcome
    }

    // MARK: Keys

    /// The primary key of a record as exact JSON text (see `RecordKey`).
    func recordKey(_ record: JSONObject) throws -> String? {
        guard !plan.primaryKey.isEmpty else { return nil }
        return try RecordKey.text(of: plan.primaryKey.map { record[$0] }, fields: plan.primaryKey, writer: writer)
    }

    /// The primary key of a record given as its JSON line, reading only the key fields.
    /// Throws `JSONParseError` for a line that is not a JSON object, `RecordRejected`
    /// for a key that is missing or not exact.
    func key(ofLine line: [UInt8]) throws -> String? {
        try line.withUnsafeBytes { bytes in
            try Self.key(ofLine: bytes, fields: plan.primaryKey, fieldBytes: keyFieldBytes, writer: writer)
        }
    }

    /// The same for any thread: `fieldBytes` are the key `fields` in UTF-8, `writer` the caller's own.
    static func key(
        ofLine line: UnsafeRawBufferPointer, fields: [String], fieldBytes: [[UInt8]], writer: JSONWriter
    ) throws -> String? {
        guard !fields.isEmpty else { return nil }
        return try key(
            ofRawValues: try JSONTopLevelScanner.rawValues(of: fieldBytes, in: line), fields: fields, writer: writer)
    }

    /// The key from the raw bytes of the key fields' values (`JSONTopLevelScanner.rawValues`).
    static func key(ofRawValues values: [UnsafeRawBufferPointer?], fields: [String], writer: JSONWriter) throws
        -> String?
    {
        guard !fields.isEmpty else { return nil }
        if values.count == 1, let raw = values[0], let text = RecordKey.text(ofPlainInteger: raw) { return text }
        return try RecordKey.text(of: JSONTopLevelScanner.parse(values), fields: fields, writer: writer)
    }

    func keyRecord(fromKey key: String) -> JSONObject {
        let value = (try? parser.parse(key)) ?? .string(key)
        if plan.primaryKey.count == 1 { return JSONObject([(plan.primaryKey[0], value)]) }
        let parts = value.arrayValue ?? []
        return JSONObject(zip(plan.primaryKey, parts).map { (key: $0.0, value: $0.1) })
    }
}

/// Primary keys are exact identities: a string or a 64-bit integer, never a float,
/// a boolean or a structure, which destinations store inexactly or merge (`true`
/// with 1, `1e20` with its neighbours). The state files a key as the JSON text of
/// its value, or of the array of values for a composite key, so 42 and "42" stay apart.
enum RecordKey {
    /// The key text of a single key field whose raw JSON is an integer already written as the
    /// writer writes it (no sign on zero, no leading zero, at most 18 digits): those bytes. The
    /// usual numeric id then needs no value built and encoded again (3,000 instructions a record).
    static func text(ofPlainInteger raw: UnsafeRawBufferPointer) -> String? {
        // `-0` is a plain integer too, but the writer writes it `0`.
        guard let value = JSONNumber.smallInteger(raw), value != 0 || raw.count == 1 else { return nil }
        return String(decoding: raw, as: UTF8.self)
    }

    static func text(of values: [JSONValue?], fields: [String], writer: JSONWriter) throws -> String {
        let present = try zip(fields, values).map { field, value -> JSONValue in
            guard let value, !value.isNull else {
                throw RecordRejected("primary key field '\(field)' is missing or null")
            }
            switch value {
            case .string, .int: return value
            case .double(let number):
                throw RecordRejected(
                    "primary key field '\(field)' is \(number): a key must be a string or an integer "
                        + "within 64 bits (a fraction or a larger number is not stored exactly)")
            case .bool, .array, .object, .null:
                throw RecordRejected(
                    "primary key field '\(field)' is \(writer.encodeString(value)): a key must be a string or an integer"
                )
            }
        }
        return writer.encodeString(present.count == 1 ? present[0] : .array(present))
    }

    /// The text ID mappings are filed and looked up under: a string key as it is
    /// (`VC1`, not `"VC1"`), an integer in decimal, a composite key as its JSON array.
    static func idMapText(ofKey key: String) -> String {
        switch try? JSONParser().parse(key) {
        case .string(let text)?: return text
        case .int(let integer)?: return String(integer)
        default: return key
        }
    }
}
