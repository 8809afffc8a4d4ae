import FerryCore
import FerryJSON
import Foundation

/// Reads the source's next batches on a thread of its own, and does the work on them that
/// needs nothing but their bytes (the protocol check, each line's key and hash), while the run
/// shapes and writes the batches before. The run's one thread was its critical path: the
/// destination's writes and the source's reads and keying took turns, and the source sat idle
/// while a commit group was merged and committed (docs/performance.md, *Reading ahead*).
///
/// Nothing moves early: batches read ahead that the run never takes (it stopped, failed or was
/// killed) are dropped, and their checkpoints were never stored, so the next run reads them
/// again. Every result, error included, reaches the run in the source's order when it asks for
/// it: a failed read is reported after the batches before it were written, as without reading
/// ahead, and nothing more is read after a failure or the end until the run asks again.
final class SourceReadAhead: @unchecked Sendable {
    /// The run's own view of the reader; `isComplete` is read only once `next()` returned nil.
    let reader: PluginReader
    private let preparation: BatchPreparation
    /// At most this many bytes of batches wait for the run; 0 reads each batch in the run's call.
    private let limit: Int
    private let state = NSCondition()
    /// Read, not yet taken, in the source's order (guarded by `state`).
    private var ready: [Result<PreparedBatch?, any Error>] = []
    private var readyBytes = 0
    /// Whether the reading thread runs (guarded by `state`).
    private var reading = false
    private var closing = false

    init(reader: PluginReader, preparation: BatchPreparation, readAheadBytes: Int) {
        self.reader = reader
        self.preparation = preparation
        limit = readAheadBytes
    }

    /// The next batch, prepared; nil at the end of the stream.
    func next() throws -> PreparedBatch? {
        guard limit > 0 else { return try read().get() }
        state.lock()
        defer { state.unlock() }
        _ = awaitReady(until: nil)
        let outcome = ready.removeFirst()
        if case .success(let prepared?) = outcome { readyBytes -= prepared.batch.records.count }
        state.broadcast()
        return try outcome.get()
    }

    /// Waits until the next batch (or the source's error or end) is read, or `deadline` passes;
    /// whether it was read. Without reading ahead it returns at once: the run's own call reads.
    func awaitNext(until deadline: Date) -> Bool {
        guard limit > 0 else { return true }
        state.lock()
        defer { state.unlock() }
        return awaitReady(until: deadline)
    }

    /// Starts reading if nothing is read or being read, and waits until a result is ready or
    /// `deadline` (if any) passes; whether one is ready. Called with `state` locked.
    private func awaitReady(until deadline: Date?) -> Bool {
        if ready.isEmpty && !reading { startReading() }
        while ready.isEmpty {
            guard let deadline else {
                state.wait()
                continue
            }
            if !state.wait(until: deadline) { return !ready.isEmpty }
        }
        return true
    }

    /// Stops reading ahead, waits for a read in flight (the ABI allows one call per instance at a
    /// time), and closes the reader.
    func close() {
        state.lock()
        closing = true
        state.broadcast()
        while reading { state.wait() }
        state.unlock()
        reader.close()
    }

    /// Called with `state` locked.
    private func startReading() {
        reading = true
        let thread = Thread { [self] in readAhead() }
        thread.name = "ferry-read-ahead"
        thread.start()
    }

    private func readAhead() {
        state.lock()
        defer {
            reading = false
            state.broadcast()
            state.unlock()
        }
        while true {
            while readyBytes >= limit && !closing { state.wait() }
            if closing { return }
            state.unlock()
            let outcome = read()
            state.lock()
            ready.append(outcome)
            state.broadcast()
            guard case .success(let prepared?) = outcome else { return }
            readyBytes += prepared.batch.records.count
        }
    }

    private func read() -> Result<PreparedBatch?, any Error> {
        Result { try reader.next().map(preparation.prepare) }
    }
}

/// A source batch with what could be worked out from its bytes alone.
struct PreparedBatch {
    var batch: SourceBatch
    /// How the batch broke the source protocol, if it did: thrown when the run takes it up.
    var violation: SourceProtocolViolation?
    /// Each line with its key and hash, when the run's first stage needs only those (no
    /// transform, change detection on): `PipelineRunner.shape` then takes them as they are.
    var keyedLines: [KeyedLine]?
}

/// One source line's key (or the reason it has none) and its bytes' hash. (The line itself is
/// not kept: a copy of every line would double the memory of the batches waiting.)
struct KeyedLine {
    var key: Result<String?, any Error>
    var hash: UInt64
}

/// What may be worked out ahead: pure functions of a batch's bytes and the plan's settings.
/// (`@unchecked Sendable`: the plan is only read, for the names in a violation's message.)
struct BatchPreparation: @unchecked Sendable {
    let check: SourceBatchCheck
    /// The key fields; nil when no line needs keying ahead.
    let keyFields: [String]?
    /// `keyFields` in UTF-8, as the scanner matches them.
    let keyFieldBytes: [[UInt8]]

    init(plan: PipelinePlan, keysLines: Bool) {
        check = SourceBatchCheck(plan: plan)
        keyFields = keysLines ? plan.primaryKey : nil
        keyFieldBytes = (keyFields ?? []).map { Array($0.utf8) }
    }

    func prepare(_ batch: SourceBatch) -> PreparedBatch {
        var prepared = PreparedBatch(batch: batch)
        do {
            if let keyFields {
                // Keying walks each whole line, which is the structure check too: one walk.
                let writer = JSONWriter()
                var keyedLines: [KeyedLine] = []
                // A line is at least `{}` and a newline; `count` alone is the source's word.
                keyedLines.reserveCapacity(min(batch.count, batch.records.count / 3))
                try check.validate(batch) { line throws(JSONParseError) in
                    let values = try JSONTopLevelScanner.rawValues(of: keyFieldBytes, in: line.bytes)
                    let key = Result<String?, any Error> {
                        try PipelineRunner.key(ofRawValues: values, fields: keyFields, writer: writer)
                    }
                    keyedLines.append(KeyedLine(key: key, hash: XXHash64.hash(line.bytes)))
                }
                prepared.keyedLines = keyedLines
            } else {
                try check.validate(batch)
            }
        } catch let violation as SourceProtocolViolation {
            prepared.violation = violation
        } catch {
            preconditionFailure("SourceBatchCheck throws only SourceProtocolViolation")
        }
        return prepared
    }
}
