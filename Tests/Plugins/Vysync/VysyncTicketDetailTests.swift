import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The close flow reads each ticket's detail (`GET /tickets/{id}`) once, on the real `ferry`,
/// the real `vysync-tickets` plugin and the VCOM and Yuman simulators: a ticket someone already
/// closed in VCOM is not closed again nor its summary overwritten, a ticket without an outage
/// gets no outage delete, and an outage the detail names but VCOM no longer has (400) is none.
@Suite struct VysyncTicketDetailTests {
    @Test func aTicketClosedInVCOMBySomeoneElseKeepsItsSummaryAndOnlyANamedOutageIsDeleted() throws {
        let flow = try TicketFlow()
        let withOutage = flow.vcom.open(
            system: "PV001", designation: "Onduleur WR 2 HS", priority: "urgent", outage: true)
        let without = flow.vcom.open(system: "PV001", designation: "Sectionneur ouvert", priority: "high")
        let closedByHand = flow.vcom.open(system: "PV001", designation: "Alarme isolement", priority: "high")
        #expect(try flow.example.ferry().status == 0)
        let workOrder = try #require(flow.yuman.liveWorkOrders.first)
        #expect(flow.yuman.liveWorkOrders.count == 1)

        // The operator closes one ticket in VCOM's portal; then the work order is closed in Yuman.
        let operatorSummary = "Réglé à distance par l'exploitant"
        flow.vcom.edit(closedByHand, ["status": "closed", "summary": .string(operatorSummary)])
        flow.yuman.progress(workOrder.id, ["status": "Closed", "report": "Onduleur remplacé."])
        let (writesBefore, servedBefore) = (flow.vcom.writes.count, flow.example.vcom.served.count)
        let run = try flow.example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let writes = Array(flow.vcom.writes.dropFirst(writesBefore))
        let served = flow.example.vcom.served.dropFirst(servedBefore).map(\.request)

        // One detail read per ticket closing.
        for ticket in [withOutage, without, closedByHand] {
            #expect(served.filter { $0 == "GET /tickets/\(ticket)" }.count == 1, "\(served)")
            let reports = flow.vcom.comments(ticket).filter { $0.text.hasPrefix("[Ferry · rapport]") }
            #expect(reports.count == 1, "\(flow.vcom.comments(ticket))")
        }
        // Closed by someone else: noted as closed, neither PATCHed nor its outage touched.
        #expect(flow.vcom.ticket(closedByHand)?["status"] == "closed")
        #expect(flow.vcom.ticket(closedByHand)?["summary"]?.stringValue == operatorSummary)
        #expect(!writes.contains("PATCH /tickets/\(closedByHand)"), "\(writes)")
        #expect(!writes.contains("DELETE /tickets/\(closedByHand)/outage"), "\(writes)")
        #expect(
            (run.stdout + run.stderr).contains("Ticket \(closedByHand) is already closed in VCOM"),
            "\(run.stdout)\(run.stderr)")
        // The detail names no outage: no delete, so VCOM refuses nothing.
        #expect(!writes.contains("DELETE /tickets/\(without)/outage"), "\(writes)")
        #expect(writes.contains("DELETE /tickets/\(withOutage)/outage"), "\(writes)")
        #expect(!flow.vcom.hasOutage(withOutage))
        #expect(flow.example.vcom.refusals.isEmpty, "\(flow.example.vcom.refusals)")
        for ticket in [withOutage, without] {
            #expect(flow.vcom.ticket(ticket)?["status"] == "closed")
            #expect(flow.vcom.ticket(ticket)?["summary"]?.stringValue?.contains("n°\(70_000 + workOrder.id)") == true)
        }
        // All three noted closed: the work order is no longer read, a rerun sends nothing.
        let yumanBefore = flow.yuman.requests.count
        #expect(try flow.rerunSendsNothing().status == 0)
        let read = flow.yuman.requests.dropFirst(yumanBefore).filter { $0.hasPrefix("GET /workorders") }
        #expect(read.isEmpty, "\(read)")
    }

    @Test func anOutageTheDetailNamesButVCOMNoLongerHasIsTakenAsNone() throws {
        let flow = try TicketFlow()
        let ticket = flow.vcom.open(system: "PV002", designation: "Onduleur HS", priority: "urgent", outage: true)
        #expect(try flow.example.ferry().status == 0)
        let workOrder = try #require(flow.yuman.liveWorkOrders.first)
        // Another tool removes the outage: the detail still names it, the delete answers 400.
        flow.vcom.removeOutageBehind(ticket)
        flow.yuman.progress(workOrder.id, ["status": "Closed", "report": "Réparé."])
        let run = try flow.example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(flow.example.vcom.refusals == ["400 DELETE /tickets/\(ticket)/outage"])
        #expect(flow.vcom.ticket(ticket)?["status"] == "closed")
        #expect(try flow.example.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["0"])
        #expect(try flow.rerunSendsNothing().status == 0)
    }
}
