import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `ferry run tickets ticket_updates --dry-run` with the real `vysync-tickets` plugin against the
/// simulators: each decision of the ticket rules is named (create, attach, history, comment,
/// close), and neither system nor Ferry's state (the history, the ID map) is written.
@Suite struct VysyncTicketsDryRunTests {
    /// What the ticket plugin keeps: its connections' state and the ticket ID-map scopes.
    func pluginState(_ flow: TicketFlow) throws -> [String] {
        try flow.example.sandbox.sql(
            "state.db",
            "SELECT scope || ' ' || key || ' ' || value FROM kv WHERE scope IN ('connection:workorders', 'connection:vcom_tickets') ORDER BY 1"
        )
            + flow.example.sandbox.sql(
                "state.db",
                "SELECT scope || ' ' || source_id || ' ' || destination_id FROM id_map WHERE scope LIKE 'vysync/%' ORDER BY 1"
            )
    }

    /// Runs the ticket pipelines dry and checks that neither API got a write and the plugin's state stayed.
    func dryRun(_ flow: TicketFlow, _ mode: String = "--dry-run", sourceLocation: SourceLocation = #_sourceLocation)
        throws -> String
    {
        let (yumanBefore, vcomBefore, stateBefore) = (
            flow.yuman.requests.count, flow.vcom.writes.count, try pluginState(flow)
        )
        let dry = try flow.example.ferry(["run", "tickets", "ticket_updates", mode])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)", sourceLocation: sourceLocation)
        let writes =
            flow.yuman.requests.dropFirst(yumanBefore).filter { !$0.hasPrefix("GET") }
            + flow.vcom.writes.dropFirst(vcomBefore)
        #expect(writes.isEmpty, "\(writes)", sourceLocation: sourceLocation)
        #expect(try pluginState(flow) == stateBefore, sourceLocation: sourceLocation)
        return dry.stdout + dry.stderr
    }

    @Test func aDryRunNamesEachDecisionAndWritesNothingNorRecordsHistory() throws {
        let flow = try TicketFlow()
        let urgent = flow.vcom.open(system: "PV001", designation: "Onduleur WR 1 en défaut", priority: "urgent")
        let existing = flow.addWorkOrder(site: "PV002", category: 11138, status: "Open")
        let high = flow.vcom.open(system: "PV002", designation: "Perte de communication", priority: "high")
        let waiting = flow.vcom.open(system: "PV003", designation: "Alarme mineure", priority: "normal")

        let first = try dryRun(flow)
        for decision in [
            "Dry run: would create a work order for PV001 (Yuman site \(flow.siteID("PV001")), category 11138) titled \"[VCOM #\(urgent)] Onduleur WR 1 en défaut\" for tickets #\(urgent).",
            "Dry run: would attach ticket \(urgent) (urgent) of PV001 to the new work order.",
            "Dry run: would attach ticket \(high) (high) of PV002 to work order n°\(70_000 + existing).",
            "Ticket \(waiting) (priority normal) of PV003 waits",
        ] {
            #expect(first.contains(decision), "\(decision)\n\(first)")
        }

        // --confirm lists the same decisions and, with no answer, applies nothing; --yes applies them.
        let declined = try dryRun(flow, "--confirm")
        #expect(declined.contains("Dry run: would attach ticket \(urgent) (urgent) of PV001 to the new work order."))
        let applied = try flow.example.ferry(["run", "tickets", "ticket_updates", "--confirm", "--yes"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect((applied.stdout + applied.stderr).contains("Dry run: would attach ticket \(high) (high) of PV002"))
        #expect(try flow.workOrderMapped(to: high) == String(existing))

        // Then the field team plans the new work order and closes the other.
        let created = try #require(
            flow.yuman.liveWorkOrders.first { $0.fields["title"]?.stringValue?.hasPrefix("[VCOM #") == true })
        flow.yuman.progress(created.id, ["status": "Scheduled", "technician_id": 20001])
        flow.yuman.progress(existing, ["status": "Closed", "report": "Modem redémarré."])
        let commentBefore = flow.vcom.comments(urgent).first?.text ?? ""

        // --diff is a dry run too, with the per-record list.
        let second = try dryRun(flow, "--diff")
        #expect(second.contains("Diff of ticket_updates (dry run, nothing written)"), "\(second)")
        for decision in [
            "Dry run: work order n°\(70_000 + created.id) would note \"Statut : Open → Scheduled\" in its history.",
            "Dry run: work order n°\(70_000 + created.id) would note \"Technicien : — → Jean Martin\" in its history.",
            "Dry run: VCOM ticket \(urgent): would update its follow-up comment \(flow.vcom.comments(urgent).first?.id ?? -1).",
            "Dry run: VCOM ticket \(high): would update its follow-up comment \(flow.vcom.comments(high).first?.id ?? -1), post the report comment, delete its outage and close it with a summary.",
        ] {
            #expect(second.contains(decision), "\(decision)\n\(second)")
        }
        #expect(flow.vcom.comments(urgent).first?.text == commentBefore)
        #expect(flow.vcom.ticket(high)?["status"] == "assigned")

        // The dry run advanced no history: the real run still sees each change, once.
        #expect(try flow.example.ferry().status == 0)
        let comment = flow.vcom.comments(urgent).first?.text ?? ""
        #expect(comment.components(separatedBy: "- Statut : Open → Scheduled").count == 2, "\(comment)")
        #expect(comment.contains("- Technicien : — → Jean Martin"), "\(comment)")
        #expect(flow.vcom.ticket(high)?["status"] == "closed")
    }
}
