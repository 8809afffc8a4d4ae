import FerryJSON
import FerryPluginSDK

/// The weekly work-order report's rows (stream `workorder_report`, `ferry report`): every
/// work order Ferry follows or followed, from this connection's state only (no Yuman request,
/// no budget spent, nothing written), with the history lines seen since the read's `since`.
/// A work order is listed while it is active, or when something changed in the period.
extension WorkOrderDesk {
    func report(since: String?) throws -> RecordBatch {
        var batch = RecordBatch()
        var seen = Set<Int64>()
        for id in try ids("reported") + followedIDs() where seen.insert(id).inserted {
            guard let record = try followed(id) else { continue }
            let changes = record.history.filter { change in
                guard let since else { return true }
                return (change.at ?? "") >= since
            }
            let active = !record.deleted && !["Closed", "Cancelled", "Canceled"].contains(record.status ?? "")
            guard active || !changes.isEmpty else { continue }
            func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
            batch.append([
                "site": optional(record.site), "workorder": .string("n°\(record.number)"),
                "title": optional(record.title), "status": .string(record.deleted ? "Supprimé" : record.status ?? "—"),
                "date_planned": optional(record.datePlanned), "technician": optional(record.technician),
                "tickets": .array(record.tickets.map { .string("#\($0)") }),
                "changes": .array(changes.map { .string(Self.dated($0)) }),
            ])
        }
        return batch
    }

    /// `2026-11-28T18:40:12Z` + text as `28/11/2026 18:40 Statut : Open → Scheduled`.
    static func dated(_ change: FollowedWorkOrder.Change) -> String {
        guard let at = change.at, at.count >= 16 else { return change.text }
        let day = FollowedWorkOrder.french(String(at.prefix(10)))
        return "\(day) \(at.dropFirst(11).prefix(5)) \(change.text)"
    }
}
