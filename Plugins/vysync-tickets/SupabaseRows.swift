import FerryJSON
import FerryPluginSDK

/// The rows of the seed's Supabase `work_orders` and `tickets` tables (source streams
/// `work_orders` and `ticket_rows`), from this connection's state only: no Yuman request, no
/// budget spent, nothing written. A pipeline upserts them into Supabase, and its content
/// hashes leave a rerun with nothing to write.
extension WorkOrderDesk {
    /// State key of what the last read said about a VCOM ticket (`systemKey`, `priority`, `status`).
    static func ticketKey(_ id: String) -> String { "vcom-ticket:\(id)" }

    /// Keeps each ticket's site, priority and status as VCOM gave them, for `ticket_rows`.
    func remember(_ tickets: [Ticket]) throws {
        var known = try host.state("vcom-tickets").map { $0.split(separator: ",").map(String.init) } ?? []
        for ticket in tickets {
            let text = JSONWriter().encodeString([
                "system": .string(ticket.systemKey), "priority": .string(ticket.priority),
                "status": .string(ticket.status),
            ])
            if try host.state(Self.ticketKey(ticket.id)) != text {
                try host.setState(text, for: Self.ticketKey(ticket.id))
            }
            if !known.contains(ticket.id) { known.append(ticket.id) }
        }
        if try host.state("vcom-tickets") != known.joined(separator: ",") {
            try host.setState(known.joined(separator: ","), for: "vcom-tickets")
        }
    }

    /// One row per work order the ticket flow ever touched: the seed's `work_orders` columns,
    /// `status` `Deleted` for one Yuman no longer has, and the history as `wo_history`.
    func workOrderRows() throws -> RecordBatch {
        var batch = RecordBatch()
        for id in try ids("reported") {
            guard let record = try followed(id) else { continue }
            func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
            batch.append([
                "workorder_id": .int(id), "workorder_number": .string(record.number),
                "vcom_system_key": optional(record.site), "yuman_site_id": record.siteID.map(JSONValue.int) ?? .null,
                "status": optional(record.deleted ? "Deleted" : record.status), "title": optional(record.title),
                "description": optional(record.description), "date_planned": optional(record.plannedOn),
                "technician": optional(record.technician),
                "vcom_ticket_ids": .array(record.tickets.map(JSONValue.string)),
                "wo_history": .array(record.history.map { ["at": optional($0.at), "change": .string($0.text)] }),
            ])
        }
        return batch
    }

    /// One row per VCOM ticket the flow has seen: its site, priority, work order and status,
    /// as VCOM holds it after the run: `closed` once the VCOM side closed it, `assigned` for an
    /// open ticket attached to a work order (the VCOM side assigns it in the same run), else
    /// the status VCOM last gave.
    func ticketRows() throws -> RecordBatch {
        var batch = RecordBatch()
        for id in try host.state("vcom-tickets")?.split(separator: ",").map(String.init) ?? [] {
            guard let text = try host.state(Self.ticketKey(id)),
                case .object(let seen)? = try? JSONParser().parse(Array(text.utf8))
            else { continue }
            let workOrder = try host.destinationID(scope: Self.ticketScope, sourceID: id)
            var status = seen["status"]?.stringValue ?? "open"
            if try host.destinationID(scope: Self.closedScope, sourceID: id) != nil {
                status = "closed"
            } else if workOrder != nil && status == "open" {
                status = "assigned"
            }
            batch.append([
                "vcom_ticket_id": .string(id), "vcom_system_key": seen["system"] ?? .null,
                "priority": seen["priority"] ?? .null, "status": .string(status),
                "yuman_workorder_id": workOrder.flatMap { Int64($0) }.map(JSONValue.int) ?? .null,
            ])
        }
        return batch
    }
}
