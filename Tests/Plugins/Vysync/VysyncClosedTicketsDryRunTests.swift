import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `ferry run closed_tickets --dry-run` with the real `rest` and `vysync-tickets` plugins
/// against the simulators: a followed ticket closed in VCOM is named, and the plugin's
/// remembered status stays until a real run notes it.
@Suite struct VysyncClosedTicketsDryRunTests {
    @Test func aDryRunNamesTheTicketClosedInVCOMAndRemembersNothing() throws {
        let flow = try TicketFlow()
        let ticket = flow.vcom.open(system: "PV001", designation: "Onduleur HS", priority: "urgent")
        #expect(try flow.example.ferry().status == 0)
        flow.vcom.edit(ticket, ["status": "closed"])
        func remembered() throws -> [String] {
            try flow.example.sandbox.sql(
                "state.db",
                "SELECT value FROM kv WHERE scope = 'connection:workorders' AND key = 'vcom-ticket:\(ticket)'")
        }
        let before = try remembered()
        #expect(before.first?.contains(#""status":"open""#) == true, "\(before)")

        let dry = try flow.example.ferry(["run", "closed_tickets", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(
            (dry.stdout + dry.stderr).contains("Dry run: would note ticket \(ticket) as closed in VCOM."),
            "\(dry.stdout)\(dry.stderr)")
        #expect(try remembered() == before)

        let real = try flow.example.ferry(["run", "closed_tickets"])
        #expect(real.status == 0, "\(real.stdout)\(real.stderr)")
        let after = try remembered()
        #expect(after.first?.contains(#""status":"closed""#) == true, "\(after)")
    }
}
