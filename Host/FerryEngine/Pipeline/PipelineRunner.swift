import CFerryPlugin
import FerryCore
import FerryJSON
import FerryPluginSDK
import Foundation
import Logging

/// Runs one pipeline: source → transforms → destination, one batch at a time.
///
/// The rule that makes crashes harmless: a batch's checkpoint, counts, ID
/// mappings, dead letters and record hashes are committed to state in one
/// transaction, and only after the destination acknowledged the batch. A crash
/// before that commit re-reads the batch on the next run (upserts make the
/// redelivery idempotent); a crash after it never re-reads it. With one batch in
/// flight, memory is bounded by the batch size, not the stream length.
public final class PipelineRunner {
    let plan: PipelinePlan
    let store: any StateStore
    let options: RunOptions
    let cancellation: Cancellation
    let logger: Logger
    /// Called after each committed batch with the run's totals so far.
    var onProgress: ((BatchCounts) -> Void)?
    /// Fingerprints of dead letters still waiting for replay, so a full re-read
    /// that meets the same bad record again does not store it twice.
    private var knownDeadLetters = Set<UInt64>()
    private let parser = JSONParser()
    private lazy var keyFieldBytes: [[UInt8]] = plan.primaryKey.map { Array($0.utf8) }
    private let writer = JSONWriter()
    /// Sleeps between retries; tests replace it.
    var sleep: (Double) -> Void = { seconds in Thread.sleep(forTimeInterval: seconds) }

    public init(plan: PipelinePlan, store: any StateStore, options: RunOptions = RunOptions(),
                cancellation: Cancellation = Cancellation(), logger: Logger, onProgress: ((BatchCounts) -> Void)? = nil) {
        self.plan = plan
        self.store = store
        self.options = options
        self.cancellation = cancellation
        self.logger = logger
        self.onProgress = onProgress
    }

    /// Runs to the end of the stream, a cancellation, the `--limit`, or an error.
    public func run() throws -> RunReport {
        let started = Date()
        let runID = options.dryRun ? 0 : try store.beginRun(plan.id)
        var totals = BatchCounts()
        do {
            let status = try runBatches(runID: runID, totals: &totals)
            let report = RunReport(pipeline: plan.id, runID: runID, status: status, counts: totals,
                                   seconds: Date().timeIntervalSince(started), message: nil)
            if !options.dryRun { try store.finishRun(runID, outcome: RunOutcome(status: status, message: report.summaryLine)) }
            return report
        } catch let error as PluginCallError where error.status == FERRY_ERR_RATE_LIMITED {
            // A quota that retries cannot outwait (a daily budget): stop cleanly, keeping every
            // committed checkpoint, and say when to come back.
            let message = "stopped: rate budget used up: \(error.message)"
            logger.warning("Run stopped by a rate limit; committed batches are kept.", metadata: ["error": "\(error.message)"])
            if !options.dryRun { finish(runID, RunOutcome(status: .rateLimited, message: message)) }
            return RunReport(pipeline: plan.id, runID: runID, status: .rateLimited, counts: totals,
                             seconds: Date().timeIntervalSince(started), message: message)
        } catch {
            if !options.dryRun { finish(runID, RunOutcome(status: .failed, message: String(describing: error))) }
            throw PipelineFailure(pipeline: plan.id, counts: totals, underlying: error)
        }
    }

    /// Records how a run ended; a failure to do so is logged, not thrown, so the
    /// original outcome (and its exit code) still reaches the user.
    private func finish(_ run: RunID, _ outcome: RunOutcome) {
        do {
            try store.finishRun(run, outcome: outcome)
        } catch {
            logger.error("Could not record how the run ended.", metadata: ["status": "\(outcome.status.rawValue)", "error": "\(error)"])
        }
    }

    private func runBatches(runID: RunID, totals: inout BatchCounts) throws -> RunOutcome.Status {
        let fullRefresh = options.fullRefresh || plan.fullSync || plan.writeMode == .mirror
        let checkpointText = fullRefresh ? nil : try store.checkpoint(for: plan.id, stream: plan.sourceStream)
        let checkpoint = try checkpointText.map { try parser.parse($0) }
        var since = options.since
        if since == nil, !fullRefresh, let cursorStream = plan.destinationCursor {
            since = try startFromDestination(cursorStream)
        }
        let request = ReadRequest(stream: plan.sourceStream, checkpoint: checkpoint, fullRefresh: fullRefresh,
                                  since: since, until: options.until, lookback: plan.lookback,
                                  cursorField: plan.cursorField, batchSize: plan.batchSize)
        logger.info("Run started.", metadata: [
            "checkpoint": "\(checkpointText ?? "none")", "mode": "\(plan.writeMode.rawValue)", "full_refresh": "\(fullRefresh)",
        ])
        let reader = try plan.source.read(request)
        defer { reader.close() }

        // Mirror mode: hashes of the keys present in this full snapshot. 8 bytes a key rather
        // than the key itself keeps memory small for millions of records.
        var seenKeys = Set<UInt64>()
        knownDeadLetters = try openDeadLetterFingerprints()
        // A batch is named by the checkpoint it starts from (and its place among batches that
        // carried no new checkpoint), so a batch re-read after a crash gets the same id and an
        // idempotent destination can recognise it.
        var batchesSinceCheckpoint = 0
        var lastCheckpoint = checkpointText
        while true {
            if cancellation.isCancelled { return .cancelled }
            guard var batch = try withRetries("read_next", { try reader.next() }) else { break }
            FailPoints.hit("after_read")
            batchesSinceCheckpoint += 1
            var complete = true
            if let limit = options.limit, totals.read + batch.count > limit {
                batch = truncated(batch, to: limit - totals.read)
                complete = false
            }
            let batchID = "\(plan.id)/\(plan.sourceStream)/\(stableDigest(lastCheckpoint ?? ""))/\(batchesSinceCheckpoint)"
            var commit = try process(batch, batchID: batchID, runID: runID, seenKeys: &seenKeys)
            // A cut batch has records past the limit that were never delivered: keep the old checkpoint.
            commit.checkpoint = complete ? batch.checkpoint : nil
            FailPoints.hit("after_write")
            if !options.dryRun { try store.commit(commit) }
            FailPoints.hit("after_commit")
            if complete, let next = batch.checkpoint {
                lastCheckpoint = next
                batchesSinceCheckpoint = 0
            }
            totals += commit.counts
            onProgress?(totals)
            if plan.failOnReject && commit.counts.rejected > 0 {
                throw RecordRejected("\(commit.counts.rejected) record(s) rejected and on_error is 'fail': \(commit.deadLetters.first?.error ?? "")")
            }
            if !complete || options.limit.map({ totals.read >= $0 }) == true { return totals.rejected > 0 ? .deadLettered : .succeeded }
        }
        if plan.writeMode == .mirror && !cancellation.isCancelled {
            totals += try deleteVanished(seenKeys: seenKeys, runID: runID)
            onProgress?(totals)
        }
        return totals.rejected > 0 ? .deadLettered : .succeeded
    }

    /// Sends dead-lettered records through the pipeline again (transforms and
    /// destination), after a fix. Records that fail again become new dead
    /// letters; the replayed ones are marked replayed either way.
    public func replay(_ letters: [DeadLetter]) throws -> RunReport {
        let started = Date()
        let runID = try store.beginRun(plan.id)
        var totals = BatchCounts()
        do {
            var seenKeys = Set<UInt64>()
            for chunk in stride(from: 0, to: letters.count, by: plan.batchSize).map({ Array(letters[$0..<min($0 + plan.batchSize, letters.count)]) }) {
                var bytes: [UInt8] = []
                for letter in chunk {
                    bytes += Array(letter.record.utf8)
                    bytes.append(UInt8(ascii: "\n"))
                }
                let batch = SourceBatch(records: bytes, count: chunk.count, checkpoint: nil)
                let commit = try process(batch, batchID: "replay/\(runID)/\(chunk[0].id)", runID: runID, seenKeys: &seenKeys)
                try store.commit(commit)
                try store.markReplayed(chunk.map(\.id))
                totals += commit.counts
            }
            let status: RunOutcome.Status = totals.rejected > 0 ? .deadLettered : .succeeded
            let report = RunReport(pipeline: plan.id, runID: runID, status: status, counts: totals,
                                   seconds: Date().timeIntervalSince(started), message: "replay")
            try store.finishRun(runID, outcome: RunOutcome(status: status, message: "replay: " + report.summaryLine))
            return report
        } catch {
            finish(runID, RunOutcome(status: .failed, message: "replay: \(error)"))
            throw PipelineFailure(pipeline: plan.id, counts: totals, underlying: error)
        }
    }

    // MARK: One batch

    /// A record on its way through the batch, remembering where it came from.
    private struct Pending {
        var sourceIndex: Int
        var key: String?
        var line: [UInt8]
    }

    private func process(_ batch: SourceBatch, batchID: String, runID: RunID, seenKeys: inout Set<UInt64>) throws -> BatchCommit {
        var counts = BatchCounts(read: batch.count)
        var deadLetters: [DeadLetter] = []
        var repeatedDeadLetters = 0
        // Line boundaries are found only when something needs single records.
        var lineIndex: LineIndex?
        func lines() -> LineIndex {
            if let lineIndex { return lineIndex }
            let index = LineIndex(batch.records)
            lineIndex = index
            return index
        }
        func deadLetter(_ index: Int, stage: String, _ error: String) {
            let letter = DeadLetter(pipeline: plan.id, stream: plan.sourceStream, stage: stage, error: error,
                                    record: lines().text(of: index), createdAt: Date().timeIntervalSince1970)
            if knownDeadLetters.insert(fingerprint(letter)).inserted {
                deadLetters.append(letter)
            } else {
                repeatedDeadLetters += 1
            }
        }
        // Keys are needed up front only for change detection; for ID mappings they are
        // taken from the few records the destination assigned ids to.
        let needsParsing = plan.transform != nil || plan.detectsChanges
        var idMappings: [(scope: String, sourceID: String, destinationID: String)] = []

        // The fast path: nothing looks inside the records, so the source's bytes go to the destination as they are.
        if !needsParsing && plan.transformPlugins.isEmpty {
            if !options.dryRun && batch.count > 0 {
                let outcome = try write(batch.records, batchID: batchID)
                for rejection in outcome.rejections where rejection.index < lines().count {
                    deadLetter(rejection.index, stage: "destination", rejection.error)
                }
                for assigned in outcome.assignedIDs where assigned.index < lines().count {
                    if let key = try? key(ofLine: lines().bytes(of: assigned.index)) {
                        idMappings.append((plan.idMapScope, key, assigned.destinationID))
                    }
                }
                counts.written = batch.count - deadLetters.count - repeatedDeadLetters
            } else {
                counts.written = options.dryRun ? batch.count : 0
            }
            counts.rejected = deadLetters.count + repeatedDeadLetters
            return BatchCommit(run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: batch.checkpoint,
                               counts: counts, idMappings: idMappings, deadLetters: deadLetters)
        }

        // 1. Config transforms and keys.
        var pending: [Pending] = []
        let sourceLines = lines()
        counts.read = sourceLines.count
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
                guard case .object(let record) = try parser.parse(line) else { throw RecordRejected("record is not a JSON object") }
                guard let kept = try transform.apply(record) else { continue }
                pending.append(Pending(sourceIndex: index, key: try recordKey(kept), line: writer.encode(.object(kept))))
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
                    throw RecordRejected("transform plugin \(plugin.connectionName) returned a line that is not a JSON object: \(error)")
                }
            }
        }

        // 3. Change detection: skip records whose content hash is unchanged.
        var hashes: [(key: String, hash: UInt64)] = []
        if plan.detectsChanges && !pending.isEmpty {
            let keys = pending.compactMap(\.key)
            if plan.writeMode == .mirror {
                for key in keys { seenKeys.insert(XXHash64.hash(Array(key.utf8))) }
            }
            let stored = try store.recordHashes(for: plan.id, stream: plan.destinationStream, keys: keys)
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
        if !pending.isEmpty && !options.dryRun {
            let outcome = try write(joinedLines(pending.map(\.line)), batchID: batchID)
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
                    idMappings.append((plan.idMapScope, key, assigned.destinationID))
                }
            }
            // A rejected record must be sent again next time, so its hash is not stored.
            hashes.removeAll { rejectedKeys.contains($0.key) }
            counts.written = pending.count - rejectedCount
        } else if options.dryRun {
            counts.written = pending.count
        }
        counts.rejected = deadLetters.count + repeatedDeadLetters
        return BatchCommit(run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: batch.checkpoint,
                           counts: counts, idMappings: idMappings, deadLetters: deadLetters, hashes: hashes)
    }

    private func write(_ payload: [UInt8], batchID: String) throws -> WriteOutcome {
        let request = WriteRequest(stream: plan.destinationStream, operation: plan.writeMode == .append ? .append : .upsert,
                                   primaryKey: plan.primaryKey, schema: plan.schema, batchID: batchID)
        return try withRetries("write") { try plan.destination.write(request, records: payload) }
    }

    private func joinedLines(_ lines: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
        for line in lines {
            bytes += line
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    // MARK: Mirror deletions

    private func deleteVanished(seenKeys: Set<UInt64>, runID: RunID) throws -> BatchCounts {
        let vanished = try store.allHashedKeys(for: plan.id, stream: plan.destinationStream)
            .filter { !seenKeys.contains(XXHash64.hash(Array($0.utf8))) }
        var counts = BatchCounts()
        for chunk in stride(from: 0, to: vanished.count, by: plan.batchSize).map({ Array(vanished[$0..<min($0 + plan.batchSize, vanished.count)]) }) {
            let payload = joinedLines(chunk.map { writer.encode(.object(keyRecord(fromKey: $0))) })
            if !options.dryRun {
                let request = WriteRequest(stream: plan.destinationStream, operation: .delete, primaryKey: plan.primaryKey,
                                           schema: plan.schema, batchID: "\(plan.id)/delete/\(stableDigest(chunk.joined(separator: "\n")))")
                _ = try withRetries("write") { try plan.destination.write(request, records: payload) }
                try store.commit(BatchCommit(run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: nil,
                                             counts: BatchCounts(deleted: chunk.count), removedHashKeys: chunk))
            }
            counts.deleted += chunk.count
        }
        if counts.deleted > 0 { logger.info("Deleted records that vanished from the source.", metadata: ["deleted": "\(counts.deleted)"]) }
        return counts
    }

    // MARK: Helpers

    /// Where the data in the destination ends, less the lookback, as an ISO 8601 `since`;
    /// nil when the destination holds nothing yet (the source then makes its first-run choice).
    private func startFromDestination(_ stream: String) throws -> String? {
        let reader = try plan.destination.read(ReadRequest(stream: stream, batchSize: 1))
        defer { reader.close() }
        guard let batch = try reader.next(), let line = LineIndex(batch.records).first,
              case .object(let record) = try parser.parse(line), let time = record["time"]?.stringValue else {
            logger.info("The destination holds no data yet; the source starts as on a first run.", metadata: ["cursor_stream": "\(stream)"])
            return nil
        }
        guard let end = ISO8601DateFormatter().date(from: time) else {
            throw RecordRejected("destination cursor stream '\(stream)' gave a time that is not ISO 8601: \(time)")
        }
        let start = end.addingTimeInterval(-Double(plan.lookback ?? 0))
        let since = ISO8601DateFormatter().string(from: start)
        logger.info("Starting from where the destination's data ends.", metadata: ["latest": "\(time)", "since": "\(since)"])
        return since
    }

    private func openDeadLetterFingerprints() throws -> Set<UInt64> {
        guard !options.dryRun else { return [] }
        return Set(try store.deadLetters(for: plan.id, includeReplayed: false, limit: Int.max).map(fingerprint))
    }

    private func fingerprint(_ letter: DeadLetter) -> UInt64 {
        XXHash64.hash(Array("\(letter.stream)\u{0}\(letter.stage)\u{0}\(letter.error)\u{0}\(letter.record)".utf8))
    }

    /// The primary key as a string: the JSON text of the key field, or of the
    /// array of key fields. JSON text keeps 42 and "42" apart and can be turned
    /// back into a key record for deletions.
    func recordKey(_ record: JSONObject) throws -> String? {
        guard !plan.primaryKey.isEmpty else { return nil }
        return try keyString(plan.primaryKey.map { record[$0] })
    }

    private func keyString(_ values: [JSONValue?]) throws -> String {
        let present = try zip(plan.primaryKey, values).map { field, value -> JSONValue in
            guard let value, !value.isNull else { throw RecordRejected("primary key field '\(field)' is missing or null") }
            return value
        }
        return writer.encodeString(present.count == 1 ? present[0] : .array(present))
    }

    /// The primary key of a record given as its JSON line, reading only the key fields.
    func key(ofLine line: [UInt8]) throws -> String? {
        guard !plan.primaryKey.isEmpty else { return nil }
        let values = try line.withUnsafeBytes { bytes in try JSONTopLevelScanner.values(of: keyFieldBytes, in: bytes) }
        return try keyString(values)
    }

    func keyRecord(fromKey key: String) -> JSONObject {
        let value = (try? parser.parse(key)) ?? .string(key)
        if plan.primaryKey.count == 1 { return JSONObject([(plan.primaryKey[0], value)]) }
        let parts = value.arrayValue ?? []
        return JSONObject(zip(plan.primaryKey, parts).map { (key: $0.0, value: $0.1) })
    }

    private func truncated(_ batch: SourceBatch, to count: Int) -> SourceBatch {
        let lines = LineIndex(batch.records)
        let kept = max(0, min(count, lines.count))
        return SourceBatch(records: joinedLines((0..<kept).map(lines.bytes(of:))), count: kept, checkpoint: nil)
    }

    private func withRetries<T>(_ what: String, _ body: () throws -> T) throws -> T {
        var schedule = RetrySchedule()
        while true {
            do {
                return try body()
            } catch let error as PluginCallError {
                switch schedule.failed(retryable: error.isRetryable, retryAfter: error.retryAfter) {
                case .giveUp: throw error
                case .retry(let seconds):
                    logger.warning("Retrying after a transient failure.", metadata: [
                        "call": "\(what)", "attempt": "\(schedule.attempts)", "wait_s": "\(seconds)", "error": "\(error.message)",
                    ])
                    if cancellation.isCancelled { throw error }
                    sleep(seconds)
                }
            }
        }
    }
}

/// A short stable digest used to name batches.
func stableDigest(_ text: String) -> String {
    String(XXHash64.hash(Array(text.utf8)), radix: 16)
}

/// What a finished run reports.
public struct RunReport: Sendable {
    public var pipeline: PipelineID
    public var runID: RunID
    public var status: RunOutcome.Status
    public var counts: BatchCounts
    public var seconds: Double
    public var message: String?

    public var summaryLine: String {
        "read \(counts.read), written \(counts.written), unchanged \(counts.unchanged), deleted \(counts.deleted), dead letters \(counts.rejected)"
    }
}

/// A run that stopped on an error, with what it had committed before.
public struct PipelineFailure: Error, CustomStringConvertible {
    public var pipeline: PipelineID
    public var counts: BatchCounts
    public var underlying: Error
    public var description: String { "pipeline '\(pipeline)' failed: \(underlying)" }
}
