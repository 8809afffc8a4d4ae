import FerryCore
import FerryJSON

/// The dry-run diff of a fan-out pipeline: per output row, a create or an update, told
/// apart by the stored row hashes and the output's ID map (the destination is not read back
/// here: one read per output and batch would multiply a dry run's cost), and the children
/// replace-children would delete. Each change names its output.
extension PipelineRunner {
    func diffRows(_ rows: [FanOutRow], of output: OutputPlan, stored: Set<String>, unchanged: Int) throws {
        guard var diff else { return }
        defer { self.diff = diff }
        if plan.outputs.contains(where: \.replaceChildren), diff.deletes == .none { diff.deletes = .computed }
        diff.unchanged += unchanged
        for row in rows {
            let hashKey = FanOutHashKey.make(output: output.name, root: row.rootKey, row: row.key)
            let known =
                try stored.contains(hashKey)
                || store.destinationID(scope: output.idMapScope, sourceID: RecordKey.idMapText(ofKey: row.key)) != nil
            if known {
                diff.add(RecordDiff(kind: .update, key: row.key, output: output.name))
            } else {
                diff.add(
                    RecordDiff(
                        kind: .create, key: row.key, record: try? parser.parse(output.mirrorOnly.sendable(row.line)),
                        output: output.name))
            }
        }
    }
}
