import FerryJSON
import FerryTesting
import Foundation
import Testing

/// Tickets closed in VCOM by someone else, on the real `ferry`, the `rest` and
/// `vysync-tickets` plugins, the simulators and the Supabase `tickets` table on the real
/// PostgreSQL: the `closed_tickets` pipeline reads `status=closed` from the last cursor on
/// (`lastChangedAt[from]`), so a followed ticket closed in VCOM is `closed` in the table while
/// its work order is still open; the closed history Ferry never saw stays out; a waiting
/// normal ticket is still tried again on every run.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct VysyncClosedTicketsTests {
    /// The `closed_tickets` list requests VCOM answered from `since` on, as their query's `lastChangedAt[from]`.
    static func closedReads(_ example: VysyncExample, since: Int) -> [String] {
        example.vcom.served.dropFirst(since).map(\.request).filter { $0.contains("status=closed") }.map {
            let items = URLComponents(string: "http://vcom" + $0.dropFirst(4))?.queryItems ?? []
            return items.first { $0.name == "lastChangedAt[from]" }?.value ?? "-"
        }
    }

    @Test func aFollowedTicketClosedInVCOMIsClosedInTheTicketsTableWhileItsWorkOrderIsOpen() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 2)
        #expect(try example.ferry().status == 0)
        let flow = TicketFlow(wrapping: example)
        let history = flow.vcom.open(system: "PV001", designation: "Ancien défaut", priority: "high", status: "closed")
        let urgent = flow.vcom.open(system: "PV001", designation: "Onduleur HS", priority: "urgent")
        let waiting = flow.vcom.open(system: "PV002", designation: "Écart de production", priority: "normal")
        var served = example.vcom.served.count
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        // The first read has no cursor yet: the closed history once.
        #expect(Self.closedReads(example, since: served) == ["-"])
        let tickets = "SELECT vcom_ticket_id, status FROM tickets WHERE vcom_ticket_id IS NOT NULL"
        #expect(try supabase.rows(tickets) == ["\(urgent)|assigned", "\(waiting)|open"].sorted())
        let workOrder = try #require(flow.yuman.liveWorkOrders.first)

        // The operator closes the urgent ticket in VCOM; its work order stays open in Yuman.
        flow.vcom.edit(urgent, ["status": "closed", "summary": "Réglé à distance"])
        let closedAt = try #require(flow.vcom.ticket(urgent)?["lastChangedAt"]?.stringValue)
        served = example.vcom.served.count
        let second = try example.ferry()
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try supabase.rows(tickets) == ["\(urgent)|closed", "\(waiting)|open"].sorted())
        #expect(flow.workOrder(workOrder.id)?.fields["status"] == "Open")
        // Read from the history's cursor on, not the whole history again.
        let from = Self.closedReads(example, since: served)
        #expect(from.count == 1 && from != ["-"], "\(from)")
        // The closed history Ferry never followed has no row.
        #expect(try supabase.rows("SELECT count(*) FROM tickets WHERE vcom_ticket_id = '\(history)'") == ["0"])

        // The waiting normal ticket is still tried on every run: attached once PV002 has an active work order.
        let active = flow.addWorkOrder(site: "PV002", category: 11138, status: "Open")
        served = example.vcom.served.count
        let third = try example.ferry()
        #expect(third.status == 0, "\(third.stdout)\(third.stderr)")
        #expect(try flow.workOrderMapped(to: waiting) == String(active))
        #expect(try supabase.rows(tickets) == ["\(urgent)|closed", "\(waiting)|assigned"].sorted())
        // The cursor moved to the close: this read starts there.
        #expect(Self.closedReads(example, since: served) == [closedAt])
        let checkpoint = try example.sandbox.sql(
            "state.db", "SELECT checkpoint FROM checkpoints WHERE pipeline = 'closed_tickets'")
        #expect(checkpoint.first?.contains(closedAt) == true, "\(checkpoint)")
    }
}
