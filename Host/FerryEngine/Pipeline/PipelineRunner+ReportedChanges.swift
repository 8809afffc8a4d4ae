import FerryCore
import FerryJSON
import Foundation

/// `destination_wins_reported` for records the source did not change. Change detection drops
/// them before the merge (`reconcileConflicts`), so a field the destination changed on its own
/// would be kept without anyone hearing of it; here each one is compared with the destination
/// anyway, and a change there becomes a conflict (committed with the batch), once: a field
/// whose open conflict already holds the destination's value is not recorded again.
extension PipelineRunner {
    /// The conflicts of the records change detection skipped.
    /// - Parameters:
    ///   - candidates: The batch's records before change detection.
    ///   - sent: The keys of the records it kept (the merge looks at those).
    func reportedDestinationChanges(
        among candidates: [OutgoingRecord], sent: Set<String>
    ) throws -> [ConflictRecord] {
        guard let twoWay = plan.conflicts, twoWay.settings.reportsDestinationChanges else { return [] }
        let skipped = candidates.filter { $0.key.map { !sent.contains($0) } ?? false }
        let keys = skipped.compactMap(\.key)
        guard !keys.isEmpty else { return [] }
        let bases = try store.syncedVersions(for: plan.id, stream: plan.sourceStream, keys: keys)
        guard !bases.isEmpty else { return [] }
        let pending = Dictionary(
            grouping: try store.pendingConflicts(for: plan.id, stream: plan.sourceStream, keys: keys), by: \.key)
        if twoWay.destinationRecords == nil { twoWay.destinationRecords = try readDestination(twoWay) }
        let now = Date().timeIntervalSince1970
        var conflicts: [ConflictRecord] = []
        for record in skipped {
            guard let key = record.key, let base = bases[key],
                let destination = try destinationIndex(ofKey: key, twoWay).flatMap({ twoWay.destinationRecords?[$0] }),
                case .object(let source) = try parser.parse(record.line)
            else { continue }
            let written = try parser.parse(base.writtenRecord).objectValue ?? JSONObject()
            for (field, value) in source
            where twoWay.settings.policy(of: field) == .destinationWinsReported
                && !RecordMerge.same(destination[field], written[field])
                && !RecordMerge.same(destination[field], value)
            {
                let known = (pending[key] ?? []).contains { conflict in
                    conflict.field == field
                        && RecordMerge.same(
                            try? conflict.destinationValue.map { try parser.parse($0) }, destination[field])
                }
                if known { continue }
                conflicts.append(
                    ConflictRecord(
                        pipeline: plan.id, stream: plan.sourceStream, key: key, field: field,
                        base: written[field].map(writer.encodeString), sourceValue: writer.encodeString(value),
                        destinationValue: destination[field].map(writer.encodeString), seenAt: now))
            }
        }
        if !conflicts.isEmpty {
            logger.info(
                "The destination changed fields it keeps but reports; recorded as conflicts.",
                metadata: ["conflicts": "\(conflicts.count)"])
        }
        return conflicts
    }
}
