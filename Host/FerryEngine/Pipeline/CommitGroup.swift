import FerryCore
import FerryPluginSDK
import Foundation

/// How many source batches one commit may span (config `commit_records`, `commit_seconds`).
///
/// With random keys nearly every record of a batch dirties a B-tree leaf of its own, and each
/// commit writes every page it dirtied to the WAL: committing many batches at once writes a
/// leaf once for several of its records (docs/performance.md). A group ends when it holds
/// `records` records or has been open `seconds` seconds (checked as each batch arrives), at the
/// end of the stream, and wherever the run must stop at a committed state.
public struct CommitLimits: Sendable, Equatable {
    public var records: Int
    public var seconds: Double

    public init(
        records: Int = PipelineConfig.defaultCommitRecords,
        seconds: Double = Double(PipelineConfig.defaultCommitSeconds)
    ) {
        self.records = records
        self.seconds = seconds
    }
}

/// The batches written since the last commit, when a destination keeps one transaction open
/// across them (ABI 1.2 `transaction`): their state changes merged into one `BatchCommit`, the
/// destination's transaction id, and the checkpoint the group commits with (the last batch's
/// that carried one). Only the state changes are held, never the records: the destination
/// holds the written rows in its open transaction.
struct CommitGroup {
    let limits: CommitLimits
    /// Whether the group may span batches: the destination keeps one transaction open across
    /// writes. Otherwise every batch is a group of its own, committed as it is written.
    let spansBatches: Bool
    /// The open transaction's id: the batch id of the group's first batch, so a rerun after a
    /// crash names it the same.
    private(set) var transactionID: String?
    /// Whether a write joined the transaction and it is not committed yet.
    private(set) var uncommittedWrites = false
    private(set) var batches = 0
    private(set) var records = 0
    private var opened = Date()
    /// The state changes of the group's batches, merged.
    private(set) var pending: BatchCommit?
    /// The latest checkpoint of the group's batches, as the destination stores it.
    private(set) var checkpoint: DurableCheckpoint?
    /// Where each key's latest hash is in `pending.hashes`: records written in the group are
    /// not in the state store yet, so a key met twice in one group is compared with its newer hash.
    private var hashIndex = PendingHashIndex()

    init(limits: CommitLimits, spansBatches: Bool) {
        self.limits = limits
        self.spansBatches = spansBatches
    }

    /// The next group: the same limits, nothing in it. Its hash index starts at this group's
    /// size: groups are alike, and growing through every size again rehashes every key.
    var next: CommitGroup {
        var group = CommitGroup(limits: limits, spansBatches: spansBatches)
        group.hashIndex = PendingHashIndex(minimumCapacity: hashIndex.count)
        return group
    }

    /// Whether records written in the group left hashes to compare with (`pendingHash(of:)`).
    var hasPendingHashes: Bool { !hashIndex.isEmpty }

    /// The hash of the latest record with `key` written in the group, if any.
    func pendingHash(of key: String) -> UInt64? {
        guard let pending else { return nil }
        return hashIndex.hash(of: key, in: pending.hashes)
    }

    var isEmpty: Bool { batches == 0 }

    /// The source records the group's batches read, not yet in the run's committed totals.
    var recordsRead: Int { pending?.counts.read ?? 0 }

    /// When the open group is due to commit though no batch arrived: `commit_seconds` after its
    /// first write. Nil when nothing waits uncommitted in the destination's transaction.
    var deadline: Date? {
        uncommittedWrites ? opened.addingTimeInterval(limits.seconds) : nil
    }

    /// Whether a batch of `count` records arriving now is the group's last.
    func closes(withBatchOf count: Int, now: Date = Date()) -> Bool {
        !spansBatches || records + count >= limits.records
            || (!isEmpty && now.timeIntervalSince(opened) >= limits.seconds)
    }

    /// The transaction a write of the batch named `batchID` joins (`commit` when it ends the
    /// group), nil when the group does not span batches.
    mutating func transaction(for batchID: String, commit: Bool) -> WriteTransaction? {
        guard spansBatches else { return nil }
        let id = transactionID ?? batchID
        transactionID = id
        return WriteTransaction(id: id, commit: commit)
    }

    /// A write under the group's transaction returned.
    mutating func wrote(_ transaction: WriteTransaction) { uncommittedWrites = !transaction.commit }

    /// Adds a processed batch's state changes and its checkpoint.
    mutating func add(_ commit: BatchCommit, records count: Int, checkpoint durable: DurableCheckpoint?) {
        if isEmpty { opened = Date() }
        batches += 1
        records += count
        if let durable { checkpoint = durable }
        let first = pending?.hashes.count ?? 0
        if pending == nil {
            pending = commit
            // Room for the whole group at once: grown by doubling, each larger copy left the
            // smaller one behind as heap the allocator kept (virtual until written).
            if spansBatches { pending!.hashes.reserveCapacity(min(limits.records, 1 << 20)) }
        } else {
            pending!.absorb(commit)
        }
        if spansBatches, let list = pending?.hashes {
            for position in first..<list.count { hashIndex.insert(position, of: list) }
        }
    }
}

extension BatchCommit {
    /// Folds a later batch's changes into this one, as if both had been one batch.
    mutating func absorb(_ later: BatchCommit) {
        if let next = later.checkpoint {
            checkpoint = next
            checkpointSequence = later.checkpointSequence
        }
        counts += later.counts
        // Per-record state: later entries win where keys repeat, as they would batch by batch.
        // Appended in place: `a = a + b` copied the group's whole list again for every batch.
        hashes.append(contentsOf: later.hashes)
        removedHashKeys.append(contentsOf: later.removedHashKeys)
        idMappings.append(contentsOf: later.idMappings)
        removedIDMappings.append(contentsOf: later.removedIDMappings)
        deadLetters.append(contentsOf: later.deadLetters)
        replayedDeadLetters.append(contentsOf: later.replayedDeadLetters)
        parked.append(contentsOf: later.parked)
        unparked.append(contentsOf: later.unparked)
        // Two-way sync (not grouped today: its batches read what the previous one committed).
        syncedVersions += later.syncedVersions
        conflicts += later.conflicts
        closedConflicts += later.closedConflicts
    }
}
