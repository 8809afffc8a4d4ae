import FerryCore
import FerryPluginSDK
import Foundation
import Logging

/// Ending a commit group: the destination's commit, then the group's state commit, in line
/// or behind the next group (`StateCommitBehind`), and landing that state commit before
/// anything depends on it.
extension PipelineRunner {
    /// Ends the open commit group: commits the destination's transaction (with the group's
    /// checkpoint) when its last write left it open, then the group's state changes in one
    /// state transaction — behind the next group when the group spanned batches and a next
    /// group follows (`endsRun` false); the previous group's state commit lands first, so the
    /// destination is at most one group ahead. When it returns with `endsRun`, all state landed.
    func commitOpenGroup(totals: inout BatchCounts, endsRun: Bool) throws {
        try landStateCommit(totals: &totals)
        let group = commitGroup
        commitGroup = group.next
        guard let commit = group.pending else { return }
        if group.uncommittedWrites, let id = group.transactionID {
            let request = WriteRequest(
                stream: plan.destinationStream, operation: plan.writeMode == .append ? .append : .upsert,
                primaryKey: plan.primaryKey, schema: plan.schema, batchID: "\(id)/commit", checkpoint: group.checkpoint,
                idMapScope: plan.idMapScopeName, transaction: WriteTransaction(id: id, commit: true))
            _ = try withRetries("write") { try plan.destination.write(request, records: []) }
        }
        if !endsRun && commitsStateBehind(group, commit) {
            stateCommitBehind = StateCommitBehind(commit, to: store)
            return
        }
        if !options.dryRun { try store.commit(commit) }
        FailPoints.hit("after_commit")
        totals += commit.counts
        onProgress?(totals)
    }

    /// Whether a group's state commit may run behind the next group: a group spanning batches
    /// (whose next group's writes stay uncommitted until it lands) of a run that checks no
    /// `--limit` against committed counts, whose commit holds only what the run reads back after
    /// landing it (hashes, dead letters, counts, the checkpoint). ID mappings stay in line: a
    /// connector reads them while it writes (`id_map_get`), and a mapping not yet landed would
    /// make it create a record twice; so do two-way sync's versions and conflicts, parked
    /// records and fan-out, whose reads are not gated.
    private func commitsStateBehind(_ group: CommitGroup, _ commit: BatchCommit) -> Bool {
        group.spansBatches && !options.dryRun && options.limit == nil && plan.conflicts == nil && !plan.fansOut
            && commit.idMappings.isEmpty && commit.removedIDMappings.isEmpty && commit.syncedVersions.isEmpty
            && commit.conflicts.isEmpty && commit.closedConflicts.isEmpty && commit.parked.isEmpty
            && commit.unparked.isEmpty && commit.replayedDeadLetters.isEmpty
    }

    /// Waits for the state commit running behind, if any, and adds its counts to the totals.
    func landStateCommit(totals: inout BatchCounts) throws {
        try landStateCommit()
        guard landedCounts != BatchCounts() else { return }
        totals += landedCounts
        landedCounts = BatchCounts()
        onProgress?(totals)
    }

    /// Waits for the state commit running behind before something reads what it writes; its
    /// counts join the totals at the next `landStateCommit(totals:)`.
    func landStateCommit() throws {
        guard let behind = stateCommitBehind else { return }
        stateCommitBehind = nil
        try behind.wait()
        landedCounts += behind.counts
    }

    /// The run failed: the state commit running behind still lands (its group is whole), and a
    /// failure of it is logged beside the run's own error.
    func landStateCommitAfterFailure(totals: inout BatchCounts) {
        do { try landStateCommit(totals: &totals) } catch {
            logger.error(
                "Could not commit the last commit group's state; the next run writes it again.",
                metadata: ["error": "\(error)"])
        }
    }

    /// The source failed (or broke the protocol) after batches of the open group were written:
    /// they are whole, so they are committed before the error ends the run, which then stops
    /// with the checkpoint before the failed batch, as with a commit per batch.
    func commitOpenGroup(before error: Error, totals: inout BatchCounts) -> Error {
        do {
            try commitOpenGroup(totals: &totals, endsRun: true)
        } catch let commitError {
            logger.error(
                "Could not commit the batches written before the source failed; the next run reads them again.",
                metadata: ["error": "\(commitError)"])
        }
        return error
    }
}
