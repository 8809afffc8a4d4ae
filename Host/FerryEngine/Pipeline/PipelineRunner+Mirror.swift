import FerryCore
import FerryJSON
import FerryPluginSDK

/// Mirror mode's last step: delete what vanished from a complete snapshot.
extension PipelineRunner {
    /// Deletes the records with a stored hash that the snapshot did not contain,
    /// unless that is more than `max_delete` allows (then nothing is deleted).
    func deleteVanished(seenKeys: Set<UInt64>, runID: RunID) throws -> BatchCounts {
        let known = try store.allHashedKeys(for: plan.id, stream: plan.sourceStream)
        let vanished = known.filter { !seenKeys.contains(XXHash64.hash(Array($0.utf8))) }
        let limit = options.maxDelete ?? plan.maxDelete
        if options.dryRun { diffVanished(vanished, known: known.count, limit: limit) }
        guard limit.allows(deleting: vanished.count, of: known.count) else {
            throw MassDeleteRefused(plan: plan, deleting: vanished.count, known: known.count, limit: limit)
        }
        var counts = BatchCounts()
        for start in stride(from: 0, to: vanished.count, by: plan.batchSize) {
            let chunk = Array(vanished[start..<min(start + plan.batchSize, vanished.count)])
            let payload = joinedLines(chunk.map { writer.encode(.object(keyRecord(fromKey: $0))) })
            if !options.dryRun {
                let request = WriteRequest(
                    stream: plan.destinationStream, operation: .delete, primaryKey: plan.primaryKey,
                    schema: plan.schema, batchID: "\(plan.id)/delete/\(stableDigest(chunk.joined(separator: "\n")))",
                    idMapScope: plan.idMapScopeName)
                _ = try withRetries("write") { try plan.destination.write(request, records: payload) }
                var commit = BatchCommit(
                    run: runID, pipeline: plan.id, stream: plan.sourceStream, checkpoint: nil,
                    counts: BatchCounts(deleted: chunk.count), removedHashKeys: chunk)
                commit.removedIDMappings = chunk.map { (plan.idMapScope, RecordKey.idMapText(ofKey: $0)) }
                try store.commit(commit)
            }
            counts.deleted += chunk.count
        }
        if counts.deleted > 0 && !options.dryRun {
            logger.info("Deleted records that vanished from the source.", metadata: ["deleted": "\(counts.deleted)"])
        }
        return counts
    }
}
