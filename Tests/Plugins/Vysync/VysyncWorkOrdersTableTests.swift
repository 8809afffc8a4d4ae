import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `examples/vysync/`'s ticket flow with the seed's Supabase `work_orders` and `tickets` tables
/// (`sql/work_orders.sql`, `sql/mapping_tables.sql`), on the real `ferry`, the real
/// `vysync-tickets` and `postgrest` plugins and the PostgREST-protocol server on the real
/// PostgreSQL: the tables hold exactly the work orders and tickets of the flow, a change in
/// Yuman appends one history entry, a rerun writes nothing, a kill -9 leaves no row twice.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct VysyncWorkOrdersTableTests {
    /// Each `work_orders` row as `id|site|site id|status|title|date|technician|tickets|changes`.
    static let workOrderRows = """
        SELECT workorder_id, vcom_system_key, yuman_site_id, status, title, date_planned, technician,
               vcom_ticket_ids::text,
               (SELECT string_agg(e->>'change', ' / ') FROM jsonb_array_elements(wo_history) e)
        FROM work_orders
        """

    /// Each `tickets` row as `ticket|site|priority|status|work order`.
    static let ticketRows = "SELECT vcom_ticket_id, vcom_system_key, priority, status, yuman_workorder_id FROM tickets"

    /// Writes to the `work_orders` table among Supabase's writes from `since` on.
    static func workOrderWrites(_ supabase: VysyncSupabase, since: Int) -> [String] {
        supabase.writes.dropFirst(since).filter { $0.contains("/work_orders") }
    }

    @Test func theTablesHoldTheFlowsWorkOrdersAndTicketsWithTheHistoryYumansChangesMake() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 2)
        let tickets = example.vcom.tickets
        let urgent = tickets.open(system: "PV001", designation: "Onduleur en défaut", priority: "urgent")
        let normal = tickets.open(system: "PV001", designation: "Alarme isolement", priority: "normal")
        let high = tickets.open(system: "PV002", designation: "Communication perdue", priority: "high")
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")

        // Exactly the simulator's work orders, one per site, each with its site, title,
        // description, tickets and the history's first line.
        let workOrders = example.yuman.liveWorkOrders.sorted { $0.id < $1.id }
        #expect(workOrders.count == 2)
        func site(_ key: String) -> Int {
            example.yuman.objects("sites").first { $0.fields["code"] == .string(key) }!.id
        }
        func workOrder(of key: String) throws -> YumanSimulator.Object {
            try #require(workOrders.first { $0.fields["site_id"]?.intValue == Int64(site(key)) })
        }
        let pv001 = try workOrder(of: "PV001")
        let pv002 = try workOrder(of: "PV002")
        func expected(
            _ workOrder: YumanSimulator.Object, _ key: String, _ tickets: [String], status: String, changes: String
        )
            -> String
        {
            let ids = "[" + tickets.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
            let title = workOrder.fields["title"]?.stringValue ?? ""
            return "\(workOrder.id)|\(key)|\(site(key))|\(status)|\(title)|∅|∅|\(ids)|\(changes)"
        }
        #expect(
            try supabase.rows(Self.workOrderRows)
                == [
                    expected(pv001, "PV001", [urgent, normal], status: "Open", changes: "Statut : Open"),
                    expected(pv002, "PV002", [high], status: "Open", changes: "Statut : Open"),
                ].sorted())
        let description = try supabase.rows("SELECT description FROM work_orders WHERE workorder_id = \(pv001.id)")
        #expect(description == [pv001.fields["description"]?.stringValue ?? "none"])
        #expect(description.first?.contains("#\(normal) [normal] Alarme isolement") == true, "\(description)")
        // Each ticket with its site, priority, work order and status as VCOM holds it now.
        #expect(
            try supabase.rows(Self.ticketRows)
                == [
                    "\(urgent)|PV001|urgent|assigned|\(pv001.id)", "\(normal)|PV001|normal|assigned|\(pv001.id)",
                    "\(high)|PV002|high|assigned|\(pv002.id)",
                ].sorted())
        #expect(tickets.ticket(urgent)?["status"] == "assigned")

        // A rerun with nothing new writes nothing, though VCOM now says `assigned` itself.
        var writes = supabase.writes.count
        #expect(try example.ferry().status == 0)
        #expect(supabase.writes.count == writes, "\(supabase.writes.dropFirst(writes))")

        // The field team schedules PV001's work order: one history entry, one row written.
        let planned = TicketFlow.day(3)
        example.yuman.progress(pv001.id, ["status": "Scheduled", "date_planned": .string(planned + "T08:00:00Z")])
        #expect(try example.ferry().status == 0)
        let scheduled = try supabase.rows(Self.workOrderRows)
        let french = planned.split(separator: "-").reversed().joined(separator: "/")
        #expect(
            scheduled.contains(
                "\(pv001.id)|PV001|\(site("PV001"))|Scheduled|\(pv001.fields["title"]?.stringValue ?? "")|\(planned)|∅|[\"\(urgent)\", \"\(normal)\"]|Statut : Open / Statut : Open → Scheduled / Date prévue : — → \(french)"
            ), "\(scheduled)")
        #expect(scheduled.contains(expected(pv002, "PV002", [high], status: "Open", changes: "Statut : Open")))
        #expect(Self.workOrderWrites(supabase, since: writes).count == 1, "\(supabase.writes.dropFirst(writes))")
        #expect(
            try supabase.rows("SELECT jsonb_array_length(wo_history) FROM work_orders WHERE workorder_id = \(pv001.id)")
                == ["3"])

        // A status change alone appends exactly one entry; its tickets' rows follow the close.
        example.yuman.progress(pv001.id, ["status": "Closed", "report": "Réparé"])
        writes = supabase.writes.count
        #expect(try example.ferry().status == 0)
        #expect(
            try supabase.rows(
                "SELECT status, jsonb_array_length(wo_history), wo_history->-1->>'change' FROM work_orders WHERE workorder_id = \(pv001.id)"
            ) == ["Closed|4|Statut : Scheduled → Closed"])
        #expect(
            try supabase.rows("SELECT vcom_ticket_id, status FROM tickets WHERE vcom_system_key = 'PV001'")
                == ["\(urgent)|closed", "\(normal)|closed"].sorted())
        // Every history entry says when Ferry saw it.
        #expect(
            try supabase.rows(
                "SELECT count(*) FROM work_orders, jsonb_array_elements(wo_history) e WHERE e->>'at' IS NULL") == ["0"])
        writes = supabase.writes.count
        #expect(try example.ferry().status == 0)
        #expect(supabase.writes.count == writes, "\(supabase.writes.dropFirst(writes))")
    }

    @Test func aKillAtARandomWriteOfTheTicketFlowLeavesEachWorkOrderRowOnceWithItsHistory() throws {
        var kills = 0
        for round in 0..<4 {
            let (example, supabase) = try VysyncMappingTablesTests.example(plants: 2, name: "kill\(round)")
            #expect(try example.ferry().status == 0)
            let tickets = [
                example.vcom.tickets.open(system: "PV001", designation: "Onduleur HS", priority: "urgent"),
                example.vcom.tickets.open(system: "PV002", designation: "Production nulle", priority: "high"),
            ]
            // The ticket flow's writes: two work orders, two statuses and two comments, then
            // the `tickets` mirror's, `work_orders`' and `ticket_rows`' upserts.
            let point = Int.random(in: 1...9)
            let (killed, last) = try example.killedThenRerun(afterWrite: point)
            if killed { kills += 1 }
            let context = "round \(round), kill after write \(point)"
            #expect(last.status == 0, "\(context): \(last.stdout)\(last.stderr)")
            let live = example.yuman.liveWorkOrders.map { "\($0.id)|Open|1" }.sorted()
            #expect(live.count == 2, "\(context)")
            #expect(
                try supabase.rows("SELECT workorder_id, status, jsonb_array_length(wo_history) FROM work_orders")
                    == live, "\(context)")
            #expect(
                try supabase.rows("SELECT vcom_ticket_id, status FROM tickets")
                    == tickets.map { "\($0)|assigned" }.sorted(),
                "\(context)")
            let writes = supabase.writes.count
            #expect(try example.ferry().status == 0)
            #expect(supabase.writes.count == writes, "\(context): \(supabase.writes.dropFirst(writes))")
        }
        #expect(kills > 0, "no round was killed: the first run makes fewer writes than thought")
    }
}
