import FerryCore
import FerryJSON
import FerryPluginSDK

/// Replace-children (`replace_children: true` on an exploded output): when a record comes
/// again without a child it had (a job deleted from a repair order), that child's row is
/// deleted from the output's stream.
///
/// Which rows a record had is known from the state, not from the destination: every row
/// written has a content hash filed under `<output>\t<record key>\t<row key>`
/// (`FanOutHashKey`), committed with its batch. The keys of the replacing outputs are read
/// once per run (`allHashedKeys`: memory grows with the number of child rows) and kept up
/// to date batch by batch. A delete is sent after every output's upserts, children before
/// parents; its hash and ID mapping are forgotten in the batch's commit, so a crash before
/// that commit sends the delete again on the rerun, where it deletes nothing more.
/// `max_delete` bounds the rows one run deletes per output, as a share of the rows the
/// output held when the run started (or a count): a batch that would pass it stops the run
/// before anything of that batch is written.
extension PipelineRunner {
    /// Reads the stored children of the replacing outputs, once per run.
    func loadStoredChildren() throws {
        guard !fanOutChildren.loaded else { return }
        fanOutChildren = FanOutChildren(outputs: plan.outputs.count)
        fanOutChildren.loaded = true
        let replacing = Dictionary(
            uniqueKeysWithValues: plan.outputs.enumerated().filter { $0.element.replaceChildren }.map {
                ($0.element.name, $0.offset)
            })
        guard !replacing.isEmpty else { return }
        for hashKey in try store.allHashedKeys(for: plan.id, stream: plan.sourceStream) {
            guard let parts = FanOutHashKey.parse(hashKey), let index = replacing[parts.output] else { continue }
            fanOutChildren.byRecord[index][parts.root, default: []].insert(parts.row)
            fanOutChildren.known[index] += 1
        }
    }

    /// The rows each replacing output's records in this batch no longer have, replacing
    /// outputs parents first; throws when they pass `max_delete`.
    func plannedDeletions(_ split: FanOutSplit) throws -> [ChildDeletion] {
        var deletions: [ChildDeletion] = []
        let limit = options.maxDelete ?? plan.maxDelete
        for (index, output) in plan.outputs.enumerated() where output.replaceChildren {
            var current: [String: Set<String>] = [:]
            for row in split.rows[index] { current[row.rootKey, default: []].insert(row.key) }
            let inBatch = Set(split.rows[index].map(\.key))
            var deletion = ChildDeletion(output: index)
            for root in split.roots {
                guard let previous = fanOutChildren.byRecord[index][root.key] else { continue }
                for key in previous.subtracting(current[root.key] ?? []).sorted() {
                    let row = ChildDeletion.Row(
                        sourceIndex: root.sourceIndex, key: key,
                        hashKey: FanOutHashKey.make(output: output.name, root: root.key, row: key))
                    // A child that moved to another record of the batch stays; only its old filing goes.
                    if inBatch.contains(key) { deletion.moved.append(row) } else { deletion.rows.append(row) }
                }
            }
            let known = fanOutChildren.known[index]
            let total = fanOutChildren.deleted[index] + deletion.rows.count
            guard limit.allows(deleting: total, of: known) else {
                let refusal = ChildDeletesRefused(
                    pipeline: plan.id.pipeline, output: output, deleting: total, known: known, limit: limit)
                if var diff {
                    diff.deletes = .refused(refusal.description)
                    self.diff = diff
                }
                throw refusal
            }
            if !deletion.rows.isEmpty || !deletion.moved.isEmpty { deletions.append(deletion) }
        }
        return deletions
    }

    /// After a batch: the rows its records now have become what the next batches compare with.
    func rememberChildren(_ split: FanOutSplit, rejected: Set<Int>) {
        for (index, output) in plan.outputs.enumerated() where output.replaceChildren {
            var current: [String: Set<String>] = [:]
            for row in split.rows[index] { current[row.rootKey, default: []].insert(row.key) }
            for root in split.roots where !rejected.contains(root.sourceIndex) {
                fanOutChildren.byRecord[index][root.key] = current[root.key]
            }
        }
    }
}

/// What a fan-out run knows of the rows its replacing outputs hold, by record.
struct FanOutChildren {
    var loaded = false
    /// Per output (as `plan.outputs`): record key → its rows' keys.
    var byRecord: [[String: Set<String>]]
    /// Per output: rows held when the run started (what `max_delete`'s share is of).
    var known: [Int]
    /// Per output: rows this run deleted so far.
    var deleted: [Int]

    init(outputs: Int = 0) {
        byRecord = Array(repeating: [:], count: outputs)
        known = Array(repeating: 0, count: outputs)
        deleted = Array(repeating: 0, count: outputs)
    }
}

/// The rows one replacing output deletes in a batch.
struct ChildDeletion {
    struct Row {
        var sourceIndex: Int
        var key: String
        var hashKey: String
    }
    /// Index of the output in `plan.outputs`.
    var output: Int
    /// Rows to delete.
    var rows: [Row] = []
    /// Rows that moved to another record of the batch: not deleted, only filed anew.
    var moved: [Row] = []
}

/// Replace-children would delete more than `max_delete` allows.
public struct ChildDeletesRefused: Error, CustomStringConvertible {
    public var description: String

    init(pipeline: String, output: OutputPlan, deleting: Int, known: Int, limit: DeleteLimit) {
        let share = known > 0 ? " (\(Int((Double(deleting) / Double(known) * 100).rounded()))%)" : ""
        description =
            "output '\(output.name)' (replace_children) refused to delete \(deleting) of the \(known) rows it knows"
            + "\(share) in stream '\(output.destinationStream)': more than max_delete \(limit), so this batch was not "
            + "committed and nothing of it was deleted. If the records really lost those children, run once with "
            + "--max-delete \(deleting) (or 100%), or raise max_delete for pipeline '\(pipeline)'"
    }
}
