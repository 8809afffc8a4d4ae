import FerryCore
import FerryJSON
import FerryPluginSDK
import Foundation

/// One batch through the stages: keys and config transforms → transform plugins →
/// change detection → destination. Returns what the batch changes in state.
extension PipelineRunner {
    /// A record on its way through the batch, remembering where it came from.
    struct Pending {
        var sourceIndex: Int
        /// The primary key as exact JSON text (see `keyText(of:)`), when known.
        var key: String?
        var line: [UInt8]
    }

    func process(_ batch: SourceBatch, batchID: String, runID: RunID, seenKeys: inout Set<UInt64>,
                 checkpoint: DurableCheckpoint?) throws -> BatchCommit {
        var counts = BatchCounts(read: batch.count)
        var deadLetters: [DeadLetter] = []
        var repeatedDeadLetters = 0
        let sourceLines = LineIndex(batch.records)
        func deadLetter(_ index: Int, stage: String, _ error: String) {
            let letter = DeadLetter(pipeline: plan.id, stream: plan.sourceStream, stage: stage, error: error,
                                    recordBytes: sourceLines.bytes(of: index), createdAt: Date().timeIntervalSince1970)
            if knownDeadLetters.insert(fingerprint(letter)).inserted {
                deadLetters.append(letter)
            } else {
                repeatedDeadLetters += 1
            }
        }
        func commit(hashes: [(key: String, hash: UInt64)] = [], idMappings: [(scope: String, sourceID: String, destinationID: String)]) -> BatchCommit {
            counts.rejected = deadLetters.count + repeatedDeadLetters
            return BatchCommit(run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: batch.checkpoint,
                               counts: counts, idMappings: idMappings, deadLetters: deadLetters, hashes: hashes)
        }
        let needsParsing = plan.transform != nil || plan.detectsChanges

        // The fast path: nothing looks inside the records, so the source's bytes go to the destination as they are.
        if !needsParsing && plan.transformPlugins.isEmpty {
            var idMappings: [(scope: String, sourceID: String, destinationID: String)] = []
            if !options.dryRun && batch.count > 0 {
                let outcome = try write(batch.records, batchID: batchID, checkpoint: checkpoint)
                for rejection in outcome.rejections where rejection.index < sourceLines.count {
                    deadLetter(rejection.index, stage: "destination", rejection.error)
                }
                for assigned in outcome.assignedIDs where assigned.index < sourceLines.count {
                    if let key = try? key(ofLine: sourceLines.bytes(of: assigned.index)) {
                        idMappings.append((plan.idMapScope, RecordKey.idMapText(ofKey: key), assigned.destinationID))
                    }
                }
                counts.written = batch.count - deadLetters.count - repeatedDeadLetters
            } else {
                counts.written = options.dryRun ? batch.count : 0
            }
            return commit(idMappings: idMappings)
        }

        // 1. Keys and config transforms. A line that is not a JSON object breaks the
        // source protocol (SourceBatchCheck); a record without a usable key, or one a
        // transform refuses, is the record's own fault and becomes a dead letter.
        var pending: [Pending] = []
        pending.reserveCapacity(sourceLines.count)
        for index in 0..<sourceLines.count {
            let line = sourceLines.bytes(of: index)
            guard needsParsing else {
                pending.append(Pending(sourceIndex: index, line: line))
                continue
            }
            do {
                guard let transform = plan.transform else {
                    // Only the key is needed: read just those fields, and send the bytes as they came.
                    pending.append(Pending(sourceIndex: index, key: try key(ofLine: line), line: line))
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
                pending.append(Pending(sourceIndex: index, key: try recordKey(kept), line: writer.encode(.object(kept))))
            } catch let violation as SourceProtocolViolation {
                throw violation
            } catch let error as JSONParseError {
                throw SourceProtocolViolation(plan: plan, record: index, "is not a JSON object: \(error)")
            } catch {
                deadLetter(index, stage: "transform", String(describing: error))
            }
        }

        // 2. Transform plugins, in order.
        for plugin in plan.transformPlugins where !pending.isEmpty {
            let input = joinedLines(pending.map(\.line))
            let result = try withRetries("transform") { try plugin.transform(TransformRequest(stream: plan.sourceStream), records: input) }
            let rejected = Set(result.rejections.map(\.index))
            for rejection in result.rejections where pending.indices.contains(rejection.index) {
                deadLetter(pending[rejection.index].sourceIndex, stage: plugin.connectionName, rejection.error)
            }
            // A transform may add, drop or reorder records; provenance survives only when it maps one to one.
            let survivors = pending.enumerated().filter { !rejected.contains($0.offset) }.map(\.element)
            let output = LineIndex(result.records)
            let oneToOne = output.count == survivors.count
            pending = try (0..<output.count).map { offset in
                let line = output.bytes(of: offset)
                let origin = oneToOne ? survivors[offset].sourceIndex : survivors.first?.sourceIndex ?? 0
                guard needsParsing else { return Pending(sourceIndex: origin, line: line) }
                do {
                    return Pending(sourceIndex: origin, key: try key(ofLine: line), line: line)
                } catch {
                    throw RecordRejected("transform plugin \(plugin.connectionName) returned a line that is not a JSON object with a key: \(error)")
                }
            }
        }

        // 3. Change detection: skip records whose content hash is unchanged. Hashes are filed
        // under the source stream, like the checkpoint they are committed with.
        var hashes: [(key: String, hash: UInt64)] = []
        if plan.detectsChanges && !pending.isEmpty {
            let keys = pending.compactMap(\.key)
            if plan.writeMode == .mirror {
                for key in keys { seenKeys.insert(XXHash64.hash(Array(key.utf8))) }
            }
            let stored = try store.recordHashes(for: plan.id, stream: plan.sourceStream, keys: keys)
            pending = pending.filter { item in
                guard let key = item.key else { return true }
                // The hash of the bytes that would be sent: exactly what the destination would see,
                // and several times cheaper than re-encoding the record canonically.
                let hash = XXHash64.hash(item.line)
                if !options.fullRefresh, stored[key] == hash {
                    counts.unchanged += 1
                    return false
                }
                hashes.append((key, hash))
                return true
            }
        }

        // 4. The destination.
        var idMappings: [(scope: String, sourceID: String, destinationID: String)] = []
        if !pending.isEmpty && !options.dryRun {
            let outcome = try write(joinedLines(pending.map(\.line)), batchID: batchID, checkpoint: checkpoint)
            var rejectedKeys = Set<String>()
            var rejectedCount = 0
            for rejection in outcome.rejections where pending.indices.contains(rejection.index) {
                rejectedCount += 1
                if let key = pending[rejection.index].key { rejectedKeys.insert(key) }
                deadLetter(pending[rejection.index].sourceIndex, stage: "destination", rejection.error)
            }
            for assigned in outcome.assignedIDs where pending.indices.contains(assigned.index) {
                let item = pending[assigned.index]
                if let key = item.key ?? (try? key(ofLine: item.line)) {
                    idMappings.append((plan.idMapScope, RecordKey.idMapText(ofKey: key), assigned.destinationID))
                }
            }
            // A rejected record must be sent again next time, so its hash is not stored.
            hashes.removeAll { rejectedKeys.contains($0.key) }
            counts.written = pending.count - rejectedCount
        } else if options.dryRun {
            counts.written = pending.count
        }
        return commit(hashes: hashes, idMappings: idMappings)
    }

    func write(_ payload: [UInt8], batchID: String, checkpoint: DurableCheckpoint?) throws -> WriteOutcome {
        let request = WriteRequest(stream: plan.destinationStream, operation: plan.writeMode == .append ? .append : .upsert,
                                   primaryKey: plan.primaryKey, schema: plan.schema, batchID: batchID, checkpoint: checkpoint)
        return try withRetries("write") { try plan.destination.write(request, records: payload) }
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
        guard !plan.primaryKey.isEmpty else { return nil }
        let values = try line.withUnsafeBytes { bytes in try JSONTopLevelScanner.values(of: keyFieldBytes, in: bytes) }
        return try RecordKey.text(of: values, fields: plan.primaryKey, writer: writer)
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
    static func text(of values: [JSONValue?], fields: [String], writer: JSONWriter) throws -> String {
        let present = try zip(fields, values).map { field, value -> JSONValue in
            guard let value, !value.isNull else { throw RecordRejected("primary key field '\(field)' is missing or null") }
            switch value {
            case .string, .int: return value
            case .double(let number):
                throw RecordRejected("primary key field '\(field)' is \(number): a key must be a string or an integer "
                                     + "within 64 bits (a fraction or a larger number is not stored exactly)")
            case .bool, .array, .object, .null:
                throw RecordRejected("primary key field '\(field)' is \(writer.encodeString(value)): a key must be a string or an integer")
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
