import FerryCore
import FerryJSON
import Foundation

/// One record on its way from the source batch to the destination, remembering
/// where it came from (for its dead letter) and its primary key (for hashes and ID maps).
struct OutgoingRecord {
    /// Its line's index in the source batch.
    var sourceIndex: Int
    /// The primary key as exact JSON text (`RecordKey`), when a stage needed it.
    var key: String?
    /// The record as it will be sent: one JSON object, no newline.
    var line: [UInt8]
    /// `XXHash64` of `line`, when it was worked out ahead (`SourceReadAhead`).
    var hash: UInt64?

    init(sourceIndex: Int, key: String? = nil, line: [UInt8], hash: UInt64? = nil) {
        self.sourceIndex = sourceIndex
        self.key = key
        self.line = line
        self.hash = hash
    }
}

/// The records of one batch that will go to the destination. While no stage has
/// looked inside them, they are the source batch's bytes, untouched: sent as they
/// came, without splitting and joining every line (the common case and the fast one).
struct OutgoingBatch {
    private var untouched: SourceBatch?
    private var lines: LineIndex?
    private var records: [OutgoingRecord]

    /// The source's records as they are.
    init(untouched batch: SourceBatch, lines: LineIndex) {
        self.untouched = batch
        self.lines = lines
        records = []
    }

    /// Records a stage produced.
    init(records: [OutgoingRecord]) {
        self.records = records
    }

    var count: Int { untouched?.count ?? records.count }

    /// The NDJSON bytes to send.
    var bytes: [UInt8] {
        untouched?.records ?? joinedLines(records.map(\.line))
    }

    /// The record at `index` of what is sent (its key unknown while untouched).
    func record(at index: Int) -> OutgoingRecord {
        if untouched != nil, let lines { return OutgoingRecord(sourceIndex: index, line: lines.bytes(of: index)) }
        return records[index]
    }

    /// Every record, split out of the untouched bytes when needed.
    func materialized() -> [OutgoingRecord] {
        guard untouched != nil else { return records }
        return (0..<count).map(record(at:))
    }
}

/// What one batch's stages record besides its records: counts and dead letters.
struct BatchLedger {
    let sourceLines: LineIndex
    private let plan: PipelinePlan
    var counts: BatchCounts
    private(set) var deadLetters: [DeadLetter] = []
    /// Fingerprints of the open dead letters, so a full re-read that meets the same
    /// bad record again does not store it twice (it is counted as rejected all the same).
    private(set) var knownDeadLetters: Set<UInt64>
    /// Records that wait for a parent's mapping, to park with the batch.
    private(set) var parked: [ParkedRecord] = []
    /// Their primary keys, which a mirror run must count as present.
    private(set) var parkedKeys: [String] = []
    /// Runs each record already waited, by the hash of its bytes (records parked before).
    private let priorAttempts: [UInt64: Int]

    init(batch: SourceBatch, plan: PipelinePlan, knownDeadLetters: Set<UInt64>, priorAttempts: [UInt64: Int] = [:]) {
        sourceLines = LineIndex(batch.records)
        self.plan = plan
        counts = BatchCounts(read: batch.count)
        self.knownDeadLetters = knownDeadLetters
        self.priorAttempts = priorAttempts
    }

    /// Parks the source record at `index` to wait for a mapping, or dead-letters it once it
    /// has waited `limit` runs.
    mutating func park(_ index: Int, key: String?, reason: String, limit: Int) {
        let bytes = sourceLines.bytes(of: index)
        let attempts = (priorAttempts[XXHash64.hash(bytes)] ?? 0) + 1
        guard attempts <= limit else {
            deadLetter(index, stage: "transform", "\(reason); still no mapping after \(limit) runs (defer_limit)")
            return
        }
        parked.append(
            ParkedRecord(
                pipeline: plan.id, stream: plan.sourceStream, reason: reason, recordBytes: bytes,
                attempts: attempts, parkedAt: Date().timeIntervalSince1970))
        if let key { parkedKeys.append(key) }
        counts.parked += 1
    }

    /// Rejects the source record at `index`, keeping its exact bytes for replay.
    mutating func deadLetter(_ index: Int, stage: String, _ error: String) {
        let letter = DeadLetter(
            pipeline: plan.id, stream: plan.sourceStream, stage: stage, error: error,
            recordBytes: sourceLines.bytes(of: index), createdAt: Date().timeIntervalSince1970)
        if knownDeadLetters.insert(DeadLetterFingerprint.of(letter)).inserted {
            deadLetters.append(letter)
        }
        counts.rejected += 1
    }
}

/// Identifies a dead letter by what it says (stream, stage, error, record), not by its id.
enum DeadLetterFingerprint {
    static func of(_ letter: DeadLetter) -> UInt64 {
        XXHash64.hash(Array("\(letter.stream)\u{0}\(letter.stage)\u{0}\(letter.error)\u{0}".utf8) + letter.recordBytes)
    }
}

/// NDJSON: each line followed by a newline.
func joinedLines(_ lines: [[UInt8]]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
    for line in lines {
        bytes += line
        bytes.append(UInt8(ascii: "\n"))
    }
    return bytes
}
