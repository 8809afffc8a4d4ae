import ArgumentParser
import FerryCore
import FerryEngine
import FerryJSON
import Foundation

/// `ferry run --dry-run --diff`: the diff of each pipeline, as text before the summary
/// table, or as the `diffs` member of the `--json` document (docs/relational.md).
extension Run {
    func validateDiff() throws {
        if let diffLimit, diffLimit < 0 {
            throw ValidationError("--diff-limit must be zero or a positive number, got \(diffLimit)")
        }
        if diffLimit != nil && !diff && !confirm { throw ValidationError("--diff-limit needs --diff or --confirm") }
    }

    /// One block per pipeline: its counts, then one line per listed change, then "… N more".
    func printDiffs(_ diffs: [PipelineDiff]) {
        for diff in diffs {
            var counts = ["\(diff.created) to create", "\(diff.updated) to update", "\(diff.unchanged) unchanged"]
            if diff.deletes != .none { counts.append("\(diff.deleted) to delete") }
            if diff.conflicts > 0 { counts.append("\(diff.conflicts) in conflict") }
            print("Diff of \(diff.pipeline.pipeline) (dry run, nothing written): " + counts.joined(separator: ", "))
            for change in diff.listed { print("  " + Self.line(change)) }
            if diff.omitted > 0 { print("  … \(diff.omitted) more (--diff-limit)") }
            switch diff.deletes {
            case .none, .computed: break
            case .notReached: print("  deletes: none computed, the run ended before a complete snapshot")
            case .refused(let reason): print("  deletes refused: \(reason)")
            }
            if !diff.destinationRead && diff.updated > 0 {
                print(
                    "  (the destination cannot be read back: updates are known from the ID map and stored hashes, without fields)"
                )
            }
        }
    }

    static func line(_ change: RecordDiff) -> String {
        let key = (change.output.map { "\($0) " } ?? "") + (change.key ?? "(no key)")
        switch change.kind {
        case .create: return "+ create \(key)"
        case .delete: return "- delete \(key)"
        case .conflict: return "! conflict \(key)"
        case .update:
            guard !change.changes.isEmpty else { return "~ update \(key)" }
            let fields = change.changes.map { "\($0.path): \(text($0.old)) → \(text($0.new))" }
            return "~ update \(key): " + fields.joined(separator: ", ")
        }
    }

    private static func text(_ value: JSONValue?) -> String {
        guard let value else { return "(absent)" }
        let text = JSONWriter().encodeString(value)
        return text.count > 80 ? String(text.prefix(77)) + "…" : text
    }

    /// The machine form. Keys are stable: `pipeline`, `site`, the counts `create`, `update`,
    /// `unchanged`, `delete`, `conflict`, `omitted`, `destination_read`, `deletes`
    /// (`none`, `not_reached`, `computed`, `refused`), `deletes_refused` (the reason), and
    /// `changes`: `{kind, key, fields: [{path, old, new}], record}`, an absent value left out.
    func diffJSON(_ diff: PipelineDiff) -> [String: Any] {
        var document: [String: Any] = [
            "pipeline": diff.pipeline.pipeline, "site": diff.pipeline.site,
            "create": diff.created, "update": diff.updated, "unchanged": diff.unchanged, "delete": diff.deleted,
            "conflict": diff.conflicts, "omitted": diff.omitted, "destination_read": diff.destinationRead,
        ]
        switch diff.deletes {
        case .none: document["deletes"] = "none"
        case .notReached: document["deletes"] = "not_reached"
        case .computed: document["deletes"] = "computed"
        case .refused(let reason):
            document["deletes"] = "refused"
            document["deletes_refused"] = reason
        }
        document["changes"] = diff.listed.map { change -> [String: Any] in
            var entry: [String: Any] = ["kind": change.kind.rawValue]
            if let output = change.output { entry["output"] = output }
            entry["key"] = change.key.map { key in (try? JSONParser().parse(key)).map(Self.foundation) ?? key }
            if change.kind == .update {
                entry["fields"] = change.changes.map { field -> [String: Any] in
                    var item: [String: Any] = ["path": field.path]
                    item["old"] = field.old.map(Self.foundation)
                    item["new"] = field.new.map(Self.foundation)
                    return item
                }
            }
            entry["record"] = change.record.map(Self.foundation)
            return entry
        }
        return document
    }

    /// A JSON value as the Foundation objects `JSONSerialization` writes.
    static func foundation(_ value: JSONValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let flag): return flag
        case .int(let integer): return integer
        case .double(let number): return number
        case .string(let text): return text
        case .array(let items): return items.map(foundation)
        case .object(let object):
            return Dictionary(object.members.map { ($0.key, foundation($0.value)) }, uniquingKeysWith: { $1 })
        }
    }
}
