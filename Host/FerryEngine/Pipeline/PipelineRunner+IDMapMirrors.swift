import FerryCore

/// The run's part in `id_map_mirrors:` (IDMapMirror.swift): before the first batch, tables due
/// for an import fill their scopes and every table catches up with its scope (pairs a command
/// or an interrupted run added); after the last batch, the pairs the run committed are written.
extension PipelineRunner {
    func syncIDMapMirrors(importing: Bool) throws {
        guard !options.dryRun else { return }
        for mirror in plan.idMapMirrors {
            if importing {
                let imported = try withRetries("id_map_mirror import") { try mirror.importIfDue() }
                if imported > 0 {
                    logger.info(
                        "ID mappings imported from their table.",
                        metadata: [
                            "scope": "\(mirror.config.scope)", "table": "\(mirror.tableName)", "pairs": "\(imported)",
                        ])
                }
            }
            let written = try withRetries("id_map_mirror write") { try mirror.export() }
            if written > 0 {
                logger.info(
                    "ID mappings written to their table.",
                    metadata: [
                        "scope": "\(mirror.config.scope)", "table": "\(mirror.tableName)", "pairs": "\(written)",
                    ])
            }
        }
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
