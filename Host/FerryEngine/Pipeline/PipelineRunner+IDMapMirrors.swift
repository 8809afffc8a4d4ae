import CFerryPlugin
import FerryCore
import Logging

/// The run's part in `id_map_mirrors:` (IDMapMirror.swift): before the first batch, tables due
/// for an import fill their scopes and every table catches up with its scope (pairs a command
/// or an interrupted run added); after the last batch, the pairs the run committed are written.
extension PipelineRunner {
    func syncIDMapMirrors(importing: Bool) throws {
        guard !options.dryRun else { return }
        for mirror in plan.idMapMirrors {
            if importing {
                let imported = try naming(mirror, "reading") {
                    try withRetries("id_map_mirror import") { try mirror.importIfDue() }
                }
                note("ID mappings imported from their table.", imported, mirror)
            }
            let written = try naming(mirror, "writing") {
                try withRetries("id_map_mirror write") { try mirror.export() }
            }
            note("ID mappings written to their table.", written, mirror)
        }
    }

    /// Runs `body`, saying which mirror and table failed; a used-up rate budget stays itself,
    /// so the run stops as rate limited.
    private func naming<T>(_ mirror: IDMapMirror, _ doing: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PluginCallError where error.status == FERRY_ERR_RATE_LIMITED {
            throw error
        } catch {
            throw IDMapMirrorError(
                "id_map_mirrors '\(mirror.config.scope)': \(doing) table \(mirror.tableName) failed: \(error)")
        }
    }

    private func note(_ message: Logger.Message, _ pairs: Int, _ mirror: IDMapMirror) {
        guard pairs > 0 else { return }
        logger.info(
            message,
            metadata: ["scope": "\(mirror.config.scope)", "table": "\(mirror.tableName)", "pairs": "\(pairs)"])
    }

    /// The mirrored columns (`columns:`) of the records of a batch the destination took (those
    /// at `rejected` indices excepted), as ID-map entries to commit with the batch.
    func mirroredColumns(of outgoing: OutgoingBatch, rejected: Set<Int>)
        -> [(scope: String, sourceID: String, destinationID: String)]
    {
        guard plan.idMapMirrors.contains(where: { $0.qualifiedScope == plan.idMapScope && !$0.config.columns.isEmpty })
        else { return [] }
        let rows = (0..<outgoing.count).compactMap { index -> (key: String, line: [UInt8])? in
            guard !rejected.contains(index) else { return nil }
            let record = outgoing.record(at: index)
            guard let key = record.key ?? (try? key(ofLine: record.line)) else { return nil }
            return (key, record.line)
        }
        return plan.idMapMirrors.columnEntries(scope: plan.idMapScope, rows: rows)
    }

    /// After a run that stopped early: the batches it committed stand, so their pairs are
    /// written too. A failure here is logged, not thrown, so the run's own error is the one
    /// reported; the next run writes what is left.
    func mirrorCommittedMappings() {
        do {
            try syncIDMapMirrors(importing: false)
        } catch {
            logger.error("Could not write ID mappings to their table.", metadata: ["error": "\(error)"])
        }
    }
}
