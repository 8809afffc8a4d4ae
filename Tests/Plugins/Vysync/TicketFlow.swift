import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `examples/vysync/` with its sites and equipment already synced (one full `ferry run`), ready
/// for tickets: helpers to open tickets, add work orders as people do in Yuman, and check what
/// the ticket flow left in both systems.
struct TicketFlow {
    let example: VysyncExample
    var vcom: VCOMTicketDesk { example.vcom.tickets }
    var yuman: YumanSimulator { example.yuman }

    init(
        vcom: VCOMSimulator = VCOMSimulator(plants: 3), yuman: YumanSimulator = YumanSimulator(perMinute: 1000),
        clientPerMinute: Int? = nil, name: String = #function
    ) throws {
        // Ferry's Yuman budget at the simulator's limit: the first run's PV strings alone pass
        // the example's 55 a minute, and the ticket tests are not about that budget.
        example = try VysyncExample(
            vcom: vcom, yuman: yuman, clientPerMinute: clientPerMinute, yumanPerMinute: yuman.perMinute, name: name)
        for outcome in try example.importMappings() {
            #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        }
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
    }

    /// `YYYY-MM-DD`, `offset` days from today (UTC).
    static func day(_ offset: Int) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date().addingTimeInterval(Double(offset) * 86_400))
    }

    func site(_ key: String) -> YumanSimulator.Object {
        yuman.objects("sites").first { $0.fields["code"]?.stringValue == key }!
    }

    func siteID(_ key: String) -> Int { site(key).id }

    func workOrder(_ id: Int) -> YumanSimulator.Object? { yuman.objects("workorders").first { $0.id == id } }

    /// Adds a work order as a person would in Yuman; `planned` is days from today.
    @discardableResult
    func addWorkOrder(
        site key: String, category: Int64, status: String, planned: Int? = nil, title: String = "Intervention",
        created: String = "2026-11-01T08:00:00Z"
    ) -> Int {
        let site = site(key)
        let id = yuman.add(
            "workorders",
            [
                "workorder_type": category == 13135 ? "Preventive" : "Reactive", "category_id": .int(category),
                "title": .string(title), "description": "", "client_id": site.fields["client_id"] ?? .null,
                "site_id": .int(Int64(site.id)), "status": .string(status),
                "date_planned": planned.map { .string(Self.day($0) + "T08:00:00Z") } ?? .null,
                "technician_id": .null, "manager_id": 10338, "created_at": .string(created), "report": .null,
            ])
        yuman.progress(id, ["number": .int(Int64(id) + 70_000)])
        return id
    }

    /// The work-order id Ferry's ID map holds for a ticket.
    func workOrderMapped(to ticket: String) throws -> String? {
        try example.sandbox.sql(
            "state.db",
            "SELECT destination_id FROM id_map WHERE scope = 'vysync/ticket_workorders' AND source_id = '\(ticket)'"
        ).first
    }

    /// Runs again and checks it sent no write to Yuman and none to VCOM.
    func rerunSendsNothing(sourceLocation: SourceLocation = #_sourceLocation) throws -> Sandbox.Outcome {
        let (yumanBefore, vcomBefore) = (yuman.requests.count, vcom.writes.count)
        let rerun = try example.ferry()
        let sent =
            yuman.requests.dropFirst(yumanBefore).filter { !$0.hasPrefix("GET") } + vcom.writes.dropFirst(vcomBefore)
        #expect(sent.isEmpty, "\(sent)", sourceLocation: sourceLocation)
        return rerun
    }

    /// What is wrong after the ticket flow: a ticket without exactly one follow-up comment
    /// or not assigned (closed, with exactly one report, when `closed`), not mapped to a live
    /// work order, or a site with more than one work order made for its tickets. Empty when right.
    func ticketProblems(_ tickets: [String], closed: Bool) -> [String] {
        var problems: [String] = []
        let live = yuman.liveWorkOrders
        let madeForTickets = live.filter { $0.fields["title"]?.stringValue?.hasPrefix("[VCOM #") == true }
        for site in Set(madeForTickets.compactMap { $0.fields["site_id"]?.intValue }) {
            let made = madeForTickets.filter { $0.fields["site_id"]?.intValue == site }
            if made.count != 1 { problems.append("site \(site): \(made.count) work orders") }
        }
        for ticket in tickets {
            let comments = vcom.comments(ticket)
            let followUps = comments.filter { $0.text.hasPrefix("[Ferry · suivi]") }.count
            let reports = comments.filter { $0.text.hasPrefix("[Ferry · rapport]") }.count
            if followUps != 1 { problems.append("\(ticket): \(followUps) follow-up comments") }
            if reports != (closed ? 1 : 0) { problems.append("\(ticket): \(reports) reports") }
            let status = vcom.ticket(ticket)?["status"]?.stringValue
            if status != (closed ? "closed" : "assigned") { problems.append("\(ticket): status \(status ?? "none")") }
            let mapped = (try? workOrderMapped(to: ticket)) ?? nil
            if !live.contains(where: { String($0.id) == mapped }) {
                problems.append("\(ticket): mapped to \(mapped ?? "nothing")")
            }
        }
        return problems
    }
}
