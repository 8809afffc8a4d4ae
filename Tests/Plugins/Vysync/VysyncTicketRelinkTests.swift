import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The seed's re-linking of a deleted work order's tickets by description match, on the real
/// `ferry`, the real `vysync-tickets` plugin and the simulators: a work order deleted in Yuman
/// while a person had moved one of its tickets into another work order's description gives
/// that ticket to the other one (no create, no second description line, its one comment
/// following it), and the ticket no description lists gets a new work order by the rules.
@Suite struct VysyncTicketRelinkTests {
    /// The two tickets, the work order a person listed the first one in, and the deleted one.
    struct Moved {
        var ticket: String
        var left: String
        var target: Int
        var ghost: Int
        var description: String
    }

    /// Two tickets attached to one new work order of PV001; a person lists the first in a
    /// preventive visit's description (which the rules never pick for an urgent ticket) and
    /// deletes the first work order; then two runs: one finds it gone, one attaches its tickets.
    static func moveThenDelete(_ flow: TicketFlow) throws -> Moved {
        let ticket = flow.vcom.open(system: "PV001", designation: "Onduleur WR 1 HS", priority: "urgent")
        let left = flow.vcom.open(system: "PV001", designation: "Communication perdue", priority: "high")
        #expect(try flow.example.ferry().status == 0)
        let ghost = try #require(flow.yuman.liveWorkOrders.first)
        let target = flow.addWorkOrder(site: "PV001", category: 13135, status: "Scheduled", title: "Visite annuelle")
        let description = "Visite annuelle\nReprise du ticket [VCOM #\(ticket)] pendant la visite."
        flow.yuman.progress(target, ["description": .string(description)])
        flow.yuman.progress(ghost.id, ["deleted_at": "2026-11-28T10:00:00Z"])
        for _ in 0..<2 {
            let run = try flow.example.ferry()
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
        return Moved(ticket: ticket, left: left, target: target, ghost: ghost.id, description: description)
    }

    @Test func aTicketListedInAnotherWorkOrdersDescriptionFollowsItWhenItsOwnIsDeleted() throws {
        let flow = try TicketFlow()
        let yumanBefore = flow.yuman.requests.count
        let moved = try Self.moveThenDelete(flow)
        let sent = flow.yuman.requests.dropFirst(yumanBefore).filter { !$0.hasPrefix("GET") }
        #expect(try flow.workOrderMapped(to: moved.ticket) == String(moved.target))
        // Nothing written to the work order that took it: its description already lists it.
        #expect(!sent.contains { $0.hasPrefix("PATCH /workorders/\(moved.target)") }, "\(sent)")
        #expect(flow.workOrder(moved.target)?.fields["description"]?.stringValue == moved.description)
        // The other ticket, listed nowhere, gets a new work order by the rules, as before.
        #expect(sent.filter { $0 == "POST /workorders" }.count == 2, "\(sent)")
        let replacement = try #require(
            flow.yuman.liveWorkOrders.first { $0.id != moved.target && $0.id != moved.ghost })
        #expect(try flow.workOrderMapped(to: moved.left) == String(replacement.id))
        #expect(replacement.fields["description"]?.stringValue?.contains("#\(moved.ticket) ") == false)
        // One comment each, now naming its work order.
        for (ticket, workOrder) in [(moved.ticket, moved.target), (moved.left, replacement.id)] {
            let comments = flow.vcom.comments(ticket)
            #expect(comments.count == 1, "\(comments)")
            #expect(comments.first?.text.contains("n°\(70_000 + workOrder)") == true, "\(comments)")
        }
        #expect(try flow.rerunSendsNothing().status == 0)
    }

    @Test(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
    func theTicketsTableFollowsTheReLinkedTicket() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 2)
        #expect(try example.ferry().status == 0)
        let moved = try Self.moveThenDelete(TicketFlow(wrapping: example))
        #expect(
            try supabase.rows("SELECT yuman_workorder_id FROM tickets WHERE vcom_ticket_id = '\(moved.ticket)'")
                == [String(moved.target)])
    }
}

extension TicketFlow {
    /// The helpers over an example set up elsewhere (with Supabase, say) and already run once.
    init(wrapping example: VysyncExample) { self.example = example }
}
