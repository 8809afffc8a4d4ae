import CFerryPlugin
import FerryCore
import FerryJSON
import FerryPluginSDK
import FerryTime
import Foundation
import Logging

/// Runs one pipeline: source → transforms → destination, one batch at a time.
///
/// The rule that makes crashes harmless: a batch's checkpoint, counts, ID
/// mappings, dead letters and record hashes are committed to state in one
/// transaction, and only after the destination acknowledged the batch. A crash
/// before that commit re-reads the batch on the next run (upserts make the
/// redelivery idempotent; a destination that keeps checkpoints with its rows
/// lets an append run resume where the destination's data ends); a crash after
/// it never re-reads it. With one batch (or commit group) being written, a bounded
/// read-ahead (`SourceReadAhead`) and at most one group's state commit running behind
/// (`StateCommitBehind`), memory is bounded by the batch and group sizes, not the stream
/// length. docs/guarantees.md says what survives what.
public final class PipelineRunner {
    let plan: PipelinePlan
    let store: any StateStore
    /// The run's options; `run()` resolves relative `since`/`until` in them once.
    private(set) var options: RunOptions
    let cancellation: Cancellation
    let logger: Logger
    /// Called after each committed batch with the run's totals so far.
    var onProgress: ((BatchCounts) -> Void)?
    /// Fingerprints of dead letters still waiting for replay, so a full re-read
    /// that meets the same bad record again does not store it twice.
    var knownDeadLetters = Set<UInt64>()
    /// Whether `skipUnchanged` looks stored hashes up; decided when the run starts (see
    /// `mayLoadWithoutLookups`).
    var looksUpHashes = true
    let parser = JSONParser()
    lazy var keyFieldBytes: [[UInt8]] = plan.primaryKey.map { Array($0.utf8) }
    let writer = JSONWriter()
    /// A dry run's diff (`RunOptions.diffLimit`), filled batch by batch (PipelineRunner+Diff.swift).
    public internal(set) lazy var diff: PipelineDiff? =
        options.dryRun
        ? options.diffLimit.map {
            PipelineDiff(pipeline: plan.id, limit: $0, mirror: plan.writeMode == .mirror)
        } : nil
    /// Fan-out: the rows each replace-children output holds per record, read once per run.
    var fanOutChildren = FanOutChildren()
    /// The batches written since the last commit (CommitGroup.swift).
    var commitGroup = CommitGroup(limits: CommitLimits(), spansBatches: false)
    /// The transaction the batch being processed writes under, when its group spans batches.
    var groupWrite: WriteTransaction?
    /// The last group's state commit while it runs behind the next group (StateCommitBehind.swift).
    var stateCommitBehind: StateCommitBehind?
    /// Counts of groups whose state commit landed, not yet in the run's totals.
    var landedCounts = BatchCounts()
    /// Sleeps between retries; tests replace it.
    var sleep: (Double) -> Void = { seconds in Thread.sleep(forTimeInterval: seconds) }

    public init(
        plan: PipelinePlan, store: any StateStore, options: RunOptions = RunOptions(),
        cancellation: Cancellation = Cancellation(), logger: Logger, onProgress: ((BatchCounts) -> Void)? = nil
    ) {
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
        options = try options.resolved(for: plan, now: started)
        let runID = options.dryRun ? 0 : try store.beginRun(plan.id)
        var totals = BatchCounts()
        do {
            try syncIDMapMirrors(importing: true)
            let status: RunOutcome.Status
            do { status = try runBatches(runID: runID, totals: &totals) } catch {
                landStateCommitAfterFailure(totals: &totals)
                throw error
            }
            try syncIDMapMirrors(importing: false)
            let report = RunReport(
                pipeline: plan.id, runID: runID, status: status, counts: totals,
                seconds: Date().timeIntervalSince(started), message: nil)
            if !options.dryRun {
                try store.finishRun(runID, outcome: RunOutcome(status: status, message: report.summaryLine))
            }
            return report
        } catch let error as PluginCallError where endsByCancellation(error) {
            // A plugin call the cancel reached (a write, a lookup): what was committed stays, the
            // rest is read again by the next run, as after a cancel at a batch boundary.
            logger.info(
                "Run cancelled during a plugin call; committed batches are kept.", metadata: ["call": "\(error.slot)"])
            return stopped(runID, .cancelled, nil, counts: totals, since: started)
        } catch let error as PluginCallError where error.status == FERRY_ERR_RATE_LIMITED {
            // A quota that retries cannot outwait (a daily budget): stop cleanly, keeping every
            // committed checkpoint, and say when to come back.
            logger.warning(
                "Run stopped by a rate limit; committed batches are kept.", metadata: ["error": "\(error.message)"])
            return stopped(
                runID, .rateLimited, "stopped: rate budget used up: \(error.message)", counts: totals, since: started)
        } catch {
            if !options.dryRun { finish(runID, RunOutcome(status: .failed, message: String(describing: error))) }
            mirrorCommittedMappings()
            throw PipelineFailure(
                pipeline: plan.id, runID: options.dryRun ? nil : runID, counts: totals, underlying: error)
        }
    }

    /// A run a plugin call stopped without failing it (a cancel, a used-up quota): records how
    /// it ended (`message`, else the counts, as a run that ends between batches) and keeps the
    /// mappings its committed batches made.
    private func stopped(
        _ runID: RunID, _ status: RunOutcome.Status, _ message: String?, counts: BatchCounts, since started: Date
    ) -> RunReport {
        let report = RunReport(
            pipeline: plan.id, runID: runID, status: status, counts: counts,
            seconds: Date().timeIntervalSince(started), message: message)
        if !options.dryRun { finish(runID, RunOutcome(status: status, message: message ?? report.summaryLine)) }
        mirrorCommittedMappings()
        return report
    }

    /// Whether a plugin call's error ends the run as cancelled rather than failed: once a cancel
    /// was asked for, a call that stopped for it (FERRY_ERR_CANCELLED) or failed transiently
    /// (it would have been retried, but a cancelled run does not retry) did not fail the run.
    func endsByCancellation(_ error: Error) -> Bool {
        guard cancellation.isCancelled, let error = error as? PluginCallError else { return false }
        return error.status == FERRY_ERR_CANCELLED || error.isRetryable
    }

    /// Records how a run ended; a failure to do so is logged, not thrown, so the
    /// original outcome (and its exit code) still reaches the user.
    func finish(_ run: RunID, _ outcome: RunOutcome) {
        do {
            try store.finishRun(run, outcome: outcome)
        } catch {
            logger.error(
                "Could not record how the run ended.",
                metadata: ["status": "\(outcome.status.rawValue)", "error": "\(error)"])
        }
    }

    private func runBatches(runID: RunID, totals: inout BatchCounts) throws -> RunOutcome.Status {
        let fullRefresh = options.fullRefresh || plan.fullSync || plan.writeMode == .mirror
        // A filtered run looks at every record its filters name, wherever the checkpoint stands
        // (as `--id` does); unchanged ones are still skipped unless it is `--full` too.
        let readsFromStart = fullRefresh || !options.filters.isEmpty
        var position = try startingPosition(runID: runID, fullRefresh: readsFromStart)
        var since = options.since
        if since == nil, !fullRefresh, !options.isRanged, let cursorStream = plan.destinationCursor {
            since = try startFromDestination(cursorStream)
        }
        func readRequest(from checkpoint: String?) throws -> ReadRequest {
            ReadRequest(
                stream: plan.sourceStream, checkpoint: try checkpoint.map { try parser.parse($0) },
                fullRefresh: checkpoint == nil && readsFromStart, since: since, until: options.until,
                lookback: plan.lookback, cursorField: plan.cursorField, batchSize: plan.batchSize,
                ids: options.recordIDs.isEmpty ? nil : options.recordIDs,
                filters: options.filters.isEmpty
                    ? nil : options.filters.map { ReadFilter(field: $0.field, value: $0.value) },
                preview: options.dryRun)
        }
        if plan.writeMode == .append && DeliveryGuarantee.appendIsAtLeastOnce(plan.destination) && !options.dryRun {
            logger.warning(
                "\("Append to this destination is at least once: it keeps no checkpoints with its rows, so a crash between its commit and Ferry's can send a batch twice (see `ferry plugins info`).")",
                metadata: ["destination": "\(plan.destination.connectionName)"])
        }
        logger.info(
            "Run started.",
            metadata: [
                "checkpoint": "\(position.checkpoint ?? "none")", "mode": "\(plan.writeMode.rawValue)",
                "full_refresh": "\(fullRefresh)",
            ])
        let firstCheckpoint = position.checkpoint
        let preparation = BatchPreparation(plan: plan, keysLines: keysLinesAhead)
        func open(from checkpoint: String?) throws -> SourceReadAhead {
            SourceReadAhead(
                reader: try plan.source.read(readRequest(from: checkpoint)), preparation: preparation,
                readAheadBytes: readsAhead ? plan.readAheadBytes : 0)
        }
        var reader = try open(from: firstCheckpoint)
        defer { reader.close() }

        // Mirror mode: hashes of the keys present in this full snapshot. 8 bytes a key rather
        // than the key itself keeps memory small for millions of records.
        var seenKeys = Set<UInt64>()
        knownDeadLetters = try openDeadLetterFingerprints()
        let priorAttempts = try takeUpParkedRecords(
            runID: runID, fullRefresh: fullRefresh, seenKeys: &seenKeys, totals: &totals)
        // A batch is named by the checkpoint it starts from (and its place among batches that
        // carried no new checkpoint), so a batch re-read after a crash gets the same id and an
        // idempotent destination can recognise it.
        var batchesSinceCheckpoint = 0
        var lastCheckpoint = firstCheckpoint
        commitGroup = CommitGroup(limits: plan.commitLimits, spansBatches: groupsBatches)
        looksUpHashes = try !mayLoadWithoutLookups || store.hasRecordHashes(for: plan.id, stream: plan.sourceStream)
        var readFailures = RetrySchedule()
        while true {
            if cancellation.isCancelled {
                try commitOpenGroup(totals: &totals, endsRun: true)
                return .cancelled
            }
            // A source that stalls (a rate-limit wait, a slow page) must not hold the written rows
            // uncommitted in the destination's transaction, its locks taken, past `commit_seconds`.
            if let deadline = commitGroup.deadline, !reader.awaitNext(until: deadline) {
                try commitOpenGroup(totals: &totals, endsRun: false)
                continue
            }
            var batch: SourceBatch
            var keyedLines: [KeyedLine]?
            do {
                let next: PreparedBatch?
                do {
                    next = try reader.next()
                } catch let error as PluginCallError where error.isRetryable && !error.retriesSpent {
                    try waitToRetry(&readFailures, after: error, call: "read_next")
                    if !plan.source.repeatableReads {
                        // The reader may have moved past the batch it failed to deliver: start again where
                        // the delivered data ends, never where the reader happens to be. A ranged run keeps
                        // no checkpoint, so it re-reads its range (batch ids repeat, appends stay idempotent).
                        reader.close()
                        if options.isRanged { lastCheckpoint = firstCheckpoint }
                        batchesSinceCheckpoint = 0
                        reader = try open(from: lastCheckpoint)
                    }
                    continue
                }
                guard let read = next else { break }
                batch = read.batch
                keyedLines = read.keyedLines
                readFailures = RetrySchedule()
                FailPoints.hit("after_read")
                if let violation = read.violation { throw violation }
                if !options.filters.isEmpty {
                    keyedLines = nil
                    batch = try keepingMatches(of: batch)
                    if batch.count == 0 {
                        // Nothing of this batch is for this run (a ranged run: no checkpoint to store).
                        if let next = batch.checkpoint {
                            lastCheckpoint = next
                            batchesSinceCheckpoint = 0
                        } else {
                            batchesSinceCheckpoint += 1
                        }
                        continue
                    }
                }
            } catch {
                // The cancel reached the source while it waited for its next batch (after the check
                // above): the batches read before it are whole, so the run ends as a cancel there does.
                if endsByCancellation(error) {
                    try commitOpenGroup(totals: &totals, endsRun: true)
                    return .cancelled
                }
                throw commitOpenGroup(before: error, totals: &totals)
            }
            batchesSinceCheckpoint += 1
            var complete = true
            if let limit = options.limit, totals.read + commitGroup.recordsRead + batch.count > limit {
                batch = truncated(batch, to: limit - totals.read - commitGroup.recordsRead)
                keyedLines = nil
                complete = false
            }
            let batchID =
                "\(plan.id)/\(plan.sourceStream)/\(stableDigest(lastCheckpoint ?? ""))/\(batchesSinceCheckpoint)"
            // A cut batch has records past the limit that were never delivered, and a ranged run
            // must leave the stored checkpoint where it was: neither moves the checkpoint.
            let outgoing = complete && !options.isRanged && !options.dryRun ? batch.checkpoint : nil
            var durable: DurableCheckpoint?
            if let outgoing {
                position.sequence += 1
                durable = DurableCheckpoint(
                    scope: plan.checkpointScope, sequence: position.sequence, value: try parser.parse(outgoing))
            }
            // A cut batch ends the run, so it ends its group too.
            let closesGroup = !complete || commitGroup.closes(withBatchOf: batch.count)
            groupWrite = commitGroup.transaction(for: batchID, commit: closesGroup)
            // The destination stores the checkpoint with the write that commits; the state of the
            // group before lands first, so the destination is never two groups ahead of it.
            let writeCheckpoint = closesGroup ? durable ?? commitGroup.checkpoint : nil
            if closesGroup { try landStateCommit(totals: &totals) }
            var commit = try process(
                batch, batchID: batchID, runID: runID, seenKeys: &seenKeys, checkpoint: writeCheckpoint,
                priorAttempts: priorAttempts, keyedLines: keyedLines)
            groupWrite = nil
            commit.checkpoint = outgoing
            commit.checkpointSequence = durable?.sequence
            FailPoints.hit("after_write")
            // The run's start is behind it: what it alone touched of the code need not stay resident.
            StartupPages.release(afterBatchCommitting: closesGroup, logger: logger)
            let rejected = commit.counts.rejected
            let firstError = commit.deadLetters.first?.error
            commitGroup.add(commit, records: batch.count, checkpoint: durable)
            if complete, let next = batch.checkpoint {
                lastCheckpoint = next
                batchesSinceCheckpoint = 0
            }
            let stops = !complete || options.limit.map({ totals.read + commitGroup.recordsRead >= $0 }) == true
            let fails = plan.failOnReject && rejected > 0
            if closesGroup || stops || fails { try commitOpenGroup(totals: &totals, endsRun: stops || fails) }
            if fails {
                throw RecordRejected(
                    "\(rejected) record(s) rejected and on_error is 'fail': \(firstError ?? "")")
            }
            if stops { return totals.rejected > 0 ? .deadLettered : .succeeded }
        }
        try commitOpenGroup(totals: &totals, endsRun: true)
        if plan.writeMode == .mirror && !cancellation.isCancelled {
            guard reader.reader.isComplete else { throw IncompleteSnapshot(plan: plan) }
            totals += try deleteVanished(seenKeys: seenKeys, runID: runID)
            onProgress?(totals)
        }
        return totals.rejected > 0 ? .deadLettered : .succeeded
    }

    /// Whether a commit may span several source batches: the destination keeps one transaction
    /// open across writes (ABI 1.2). Fan-out batches already share one transaction each, and
    /// two-way sync reads the state each batch commits before the next, and so does a pipeline
    /// whose lookups read the ID mappings it assigns itself (a parent and its children in one
    /// stream): a group's mappings reach the state store only when it commits.
    private var groupsBatches: Bool {
        !options.dryRun && !plan.fansOut && plan.conflicts == nil && plan.destination.transactionalWrites
            && plan.commitLimits.records > 1
            && !(plan.transform?.lookupScopes.contains(plan.idMapScopeName) ?? false)
    }

    /// Whether the source's next batch is read (and checked and keyed) while the run writes the one
    /// before (SourceReadAhead.swift). Not when it would read a batch the run may not need (a
    /// `--limit`), nor when a connection the run calls meanwhile is the source's own instance
    /// (the ABI allows one call per instance at a time), nor for two-way sync, whose batches read
    /// both sides.
    private var readsAhead: Bool {
        let source = plan.source
        return options.limit == nil && plan.conflicts == nil && plan.destination !== source
            && !plan.transformPlugins.contains { $0 === source } && !plan.outputs.contains { $0.destination === source }
    }

    /// Whether the lines' keys and hashes are worked out as each batch is read: what the first
    /// stage needs when it only keys the records (`shape`), for batches that reach it as read.
    private var keysLinesAhead: Bool {
        plan.transform == nil && plan.detectsChanges && !plan.fansOut && options.filters.isEmpty
    }

    /// Whether a first load (no hash stored for the stream yet) may skip the hash lookups: none
    /// can find a hash unless the load itself sent the key before, and an upsert of such a
    /// repeat leaves the same row (it is written again and counted as created again). A
    /// million lookups were 14% of a first load's CPU (docs/performance.md). Mirror and append
    /// runs, and two-way sync, depend on what a lookup finds and always look up.
    private var mayLoadWithoutLookups: Bool {
        plan.detectsChanges && plan.writeMode == .upsert && plan.conflicts == nil && !plan.fansOut
    }

    /// Where a run starts: the stored checkpoint and its sequence number, reconciled
    /// with the checkpoint a destination keeps beside its rows.
    ///
    /// When a crash came between the destination's commit and the state's, the
    /// destination is one checkpoint ahead. An append run must then start where the
    /// destination's data ends: re-reading the batch could return other records
    /// (the source changed) that the destination's batch-id check would drop. Upsert
    /// and mirror re-send the batch instead: idempotent by key, and it restores the
    /// batch's ID mappings and hashes that the lost state commit held.
    private func startingPosition(runID: RunID, fullRefresh: Bool) throws -> (checkpoint: String?, sequence: Int64) {
        var checkpoint = fullRefresh ? nil : try store.checkpoint(for: plan.id, stream: plan.sourceStream)
        var sequence = try store.checkpointSequence(for: plan.id, stream: plan.sourceStream)
        guard !options.dryRun, plan.destination.storesCheckpoints,
            let stored = try plan.destination.storedCheckpoint(scope: plan.checkpointScope), stored.sequence > sequence
        else {
            return (checkpoint, sequence)
        }
        let adopt = plan.writeMode == .append && !fullRefresh && !options.isRanged
        logger.warning(
            "The destination holds a later checkpoint than the state: the last run stopped between the two commits.",
            metadata: [
                "state_sequence": "\(sequence)", "destination_sequence": "\(stored.sequence)",
                "action": "\(adopt ? "resume where the destination's data ends" : "re-send the last batch")",
            ])
        if adopt {
            let text = writer.encodeString(stored.value)
            try store.commit(
                BatchCommit(
                    run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: text,
                    checkpointSequence: stored.sequence, counts: BatchCounts()))
            checkpoint = text
        }
        // Later checkpoints are numbered past the destination's either way, so its copy never looks ahead again.
        sequence = stored.sequence
        return (checkpoint, sequence)
    }

    // MARK: Parked records

    /// Takes up the records that wait for a parent's mapping, before the source's new
    /// records: an incremental run sends them through the pipeline again (those still
    /// without a mapping are parked anew, one run older); a full run reads them from the
    /// source anyway, so it only forgets the old copies. Returns how many runs each
    /// waited, by the hash of its bytes, so a record re-read in a full run keeps its count.
    private func takeUpParkedRecords(
        runID: RunID, fullRefresh: Bool, seenKeys: inout Set<UInt64>,
        totals: inout BatchCounts
    ) throws -> [UInt64: Int] {
        // A filtered run writes only what its filters name; waiting records wait for the next run.
        guard !options.dryRun, options.filters.isEmpty else { return [:] }
        let waiting = try store.parkedRecords(for: plan.id, limit: Int.max)
        guard !waiting.isEmpty else { return [:] }
        let attempts = Dictionary(waiting.map { (XXHash64.hash($0.recordBytes), $0.attempts) }, uniquingKeysWith: max)
        logger.info("Taking up records that wait for a mapping.", metadata: ["parked": "\(waiting.count)"])
        if fullRefresh {
            try store.commit(
                BatchCommit(
                    run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: nil,
                    counts: BatchCounts(), unparked: waiting.map(\.id)))
            return attempts
        }
        totals += try resend(
            waiting.map { ($0.id, $0.recordBytes) }, as: "parked", runID: runID, seenKeys: &seenKeys,
            priorAttempts: attempts
        ) { commit, ids in commit.unparked = ids }
        return attempts
    }

    /// Sends stored records (dead letters, parked records) through the pipeline again, in
    /// batches. Each batch's write, its new dead letters and parked records, and the marks
    /// `mark` sets on its stored ids commit in one transaction; a batch's id comes from its
    /// records' ids, so one repeated after a crash is recognised by an idempotent destination.
    private func resend(
        _ records: [(id: Int64, bytes: [UInt8])], as kind: String, runID: RunID, seenKeys: inout Set<UInt64>,
        priorAttempts: [UInt64: Int] = [:], mark: (inout BatchCommit, [Int64]) -> Void
    ) throws -> BatchCounts {
        var totals = BatchCounts()
        for start in stride(from: 0, to: records.count, by: plan.batchSize) {
            let chunk = records[start..<min(start + plan.batchSize, records.count)]
            let batch = SourceBatch(records: joinedLines(chunk.map(\.bytes)), count: chunk.count, checkpoint: nil)
            let batchID = "\(plan.id)/\(kind)/\(stableDigest(chunk.map { String($0.id) }.joined(separator: ",")))"
            var commit = try process(
                batch, batchID: batchID, runID: runID, seenKeys: &seenKeys, checkpoint: nil,
                priorAttempts: priorAttempts)
            mark(&commit, chunk.map(\.id))
            FailPoints.hit("after_write")
            try store.commit(commit)
            FailPoints.hit("after_commit")
            totals += commit.counts
            onProgress?(totals)
        }
        return totals
    }

    // MARK: Replay

    /// Sends dead-lettered records through the pipeline again (transforms and
    /// destination), after a fix. Each chunk's destination write, its new dead
    /// letters and the "replayed" marks of its letters commit like a batch; a
    /// chunk's batch id comes from its letters' ids, so a replay repeated after a
    /// crash is recognised by an idempotent destination.
    public func replay(_ letters: [DeadLetter]) throws -> RunReport {
        let started = Date()
        let runID = try store.beginRun(plan.id)
        var totals = BatchCounts()
        do {
            var seenKeys = Set<UInt64>()
            // A letter that fails again must be stored again, not matched against itself.
            let replaying = Set(letters.map(\.id))
            knownDeadLetters = Set(
                try store.deadLetters(for: plan.id, includeReplayed: false, limit: Int.max)
                    .filter { !replaying.contains($0.id) }.map(DeadLetterFingerprint.of))
            totals += try resend(
                letters.map { ($0.id, $0.recordBytes) }, as: "replay", runID: runID, seenKeys: &seenKeys
            ) {
                commit, ids in commit.replayedDeadLetters = ids
            }
            let status: RunOutcome.Status = totals.rejected > 0 ? .deadLettered : .succeeded
            let report = RunReport(
                pipeline: plan.id, runID: runID, status: status, counts: totals,
                seconds: Date().timeIntervalSince(started), message: "replay")
            try store.finishRun(runID, outcome: RunOutcome(status: status, message: "replay: " + report.summaryLine))
            return report
        } catch {
            finish(runID, RunOutcome(status: .failed, message: "replay: \(error)"))
            throw PipelineFailure(pipeline: plan.id, runID: runID, counts: totals, underlying: error)
        }
    }

    // MARK: Helpers

    /// Where the data in the destination ends, less the lookback, as an ISO 8601 `since`;
    /// nil when the destination holds nothing yet (the source then makes its first-run choice).
    /// The destination's catalog says which field of the stream's record holds that end.
    private func startFromDestination(_ stream: String) throws -> String? {
        let connection = plan.destination.connectionName
        guard let field = try plan.destination.discover().stream(named: stream)?.cursorField else {
            throw DestinationCursorError(
                "destination_cursor: connection '\(connection)' offers no stream '\(stream)' with a "
                    + "cursor_field in its catalog (`ferry discover \(connection)` lists its streams)")
        }
        let reader = try plan.destination.read(ReadRequest(stream: stream, batchSize: 1))
        defer { reader.close() }
        guard let batch = try reader.next(), let line = LineIndex(batch.records).first,
            case .object(let record) = try parser.parse(line), let time = record[field]?.stringValue
        else {
            logger.info(
                "The destination holds no data yet; the source starts as on a first run.",
                metadata: ["cursor_stream": "\(stream)"])
            return nil
        }
        guard let end = ISO8601DateFormatter().date(from: time) else {
            throw DestinationCursorError(
                "destination_cursor: stream '\(stream)' of connection '\(connection)' gave "
                    + "\(field) '\(time)', which is not an ISO 8601 time")
        }
        let start = end.addingTimeInterval(-Double(plan.lookback ?? 0))
        let since = UTCTimestamp.string(secondsSince1970: start.timeIntervalSince1970)
        logger.info(
            "Starting from where the destination's data ends.", metadata: ["latest": "\(time)", "since": "\(since)"])
        return since
    }

    private func openDeadLetterFingerprints() throws -> Set<UInt64> {
        guard !options.dryRun else { return [] }
        return Set(
            try store.deadLetters(for: plan.id, includeReplayed: false, limit: Int.max).map(DeadLetterFingerprint.of))
    }

    /// The batch's records that every `--filter` matches, with the batch's checkpoint (which
    /// a filtered run never stores: it only marks where a retried read starts again).
    private func keepingMatches(of batch: SourceBatch) throws -> SourceBatch {
        let lines = LineIndex(batch.records)
        var kept: [[UInt8]] = []
        for index in 0..<lines.count {
            let bytes = lines.bytes(of: index)
            let record = try parser.parse(bytes)
            if options.filters.allSatisfy({ $0.matches(record) }) { kept.append(bytes) }
        }
        return SourceBatch(records: joinedLines(kept), count: kept.count, checkpoint: batch.checkpoint)
    }

    private func truncated(_ batch: SourceBatch, to count: Int) -> SourceBatch {
        let lines = LineIndex(batch.records)
        let kept = max(0, min(count, lines.count))
        return SourceBatch(records: joinedLines((0..<kept).map(lines.bytes(of:))), count: kept, checkpoint: nil)
    }

    /// Runs a plugin call, retrying transient failures, unless the host's HTTP
    /// service already spent the request's retries (one budget per request).
    func withRetries<T>(_ what: String, _ body: () throws -> T) throws -> T {
        var schedule = RetrySchedule()
        while true {
            do {
                return try body()
            } catch let error as PluginCallError {
                try waitToRetry(&schedule, after: error, call: what)
            }
        }
    }

    /// After a plugin call failed: logs it and sleeps the schedule's wait, or throws the error
    /// when it is not transient, the host's HTTP service already spent the request's retries,
    /// the schedule gives up, or the run was cancelled (before the wait or during it).
    func waitToRetry(_ schedule: inout RetrySchedule, after error: PluginCallError, call: String) throws {
        guard !error.retriesSpent,
            case .retry(let seconds) = schedule.failed(retryable: error.isRetryable, retryAfter: error.retryAfter)
        else { throw error }
        logger.warning(
            "Retrying after a transient failure.",
            metadata: [
                "call": "\(call)", "attempt": "\(schedule.attempts)", "wait_s": "\(seconds)",
                "error": "\(error.message)",
            ])
        // A cancel ends the wait (a Retry-After may ask for minutes) and the run with it.
        guard sleepUnlessCancelled(seconds, isCancelled: { cancellation.isCancelled }, sleep: sleep) else {
            throw error
        }
    }
}

/// A `destination_cursor` the destination cannot answer.
public struct DestinationCursorError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
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
            + (counts.parked > 0 ? ", waiting for a mapping \(counts.parked)" : "")
    }
}

/// A run that stopped on an error, with what it had committed before.
public struct PipelineFailure: Error, CustomStringConvertible {
    public var pipeline: PipelineID
    /// The run it recorded, nil for a dry run (which records none).
    public var runID: RunID?
    public var counts: BatchCounts
    public var underlying: Error
    public var description: String { "pipeline '\(pipeline)' failed: \(underlying)" }
}
