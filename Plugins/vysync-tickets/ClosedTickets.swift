import FerryJSON
import FerryPluginSDK

/// VCOM's tickets closed since the last read (destination `closed_tickets`, fed by the
/// `status=closed` list filtered with `lastChangedAt[from]`, whose cursor the host keeps with
/// the pipeline's checkpoint, so a failed run reads the same tickets again). A ticket the
/// flow has seen gets its remembered status from it, so `ticket_rows` says `closed` for a
/// ticket someone closed in VCOM while its work order is still open. Tickets the flow never
/// saw (VCOM's closed history) are passed over: nothing to say about them.
extension WorkOrderDesk {
    func noteClosed(_ records: RecordsView) throws -> WriteOutcome {
        var rejections: [RecordRejection] = []
        let seen = try host.state("vcom-tickets").map { Set($0.split(separator: ",").map(String.init)) } ?? []
        for (index, result) in records.objects().enumerated() {
            do {
                let ticket = try Ticket(try result.get())
                guard seen.contains(ticket.id) else { continue }
                if preview {
                    host.log(.info, "Dry run: would note ticket \(ticket.id) as \(ticket.status) in VCOM.")
                    continue
                }
                try remember([ticket])
                host.log(.debug, "Ticket \(ticket.id) is \(ticket.status) in VCOM.")
            } catch let error as PluginError {
                rejections.append(RecordRejection(index: index, error: error.message))
            }
        }
        return WriteOutcome(acceptedCount: records.count - rejections.count, rejections: rejections)
    }
}
