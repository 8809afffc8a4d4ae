import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The weekly work-order report of `examples/vysync/` end to end: the real `ferry report
/// workorders` after the ticket flow ran against the simulators, mailed to a local SMTP sink
/// through libcurl, or printed; and the errors when it cannot be sent.
@Suite struct VysyncReportTests {
    static let smtpPassword = "smtp-S3cret-pw"

    func smtp(_ sink: SMTPSink) -> [String: String] {
        [
            "FERRY_SMTP_URL": sink.url, "FERRY_SMTP_FROM": "ferry@example.com", "FERRY_SMTP_USER": "ferry",
            "FERRY_SMTP_PASSWORD": Self.smtpPassword,
        ]
    }

    /// Now as the report's `--since` takes it, a second away from the history lines on either side.
    static func instantBetweenRuns() -> String {
        Thread.sleep(forTimeInterval: 1.1)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let instant = formatter.string(from: Date())
        Thread.sleep(forTimeInterval: 1.1)
        return instant
    }

    /// The rows of the report's HTML: the text of each `<td>` of each `<tr>` after the headings.
    static func rows(_ html: String) -> [[String]] {
        html.components(separatedBy: "<tr>").dropFirst().compactMap { row in
            let cells = row.components(separatedBy: "<td").dropFirst().map { cell in
                String(cell.drop { $0 != ">" }.dropFirst()).components(separatedBy: "</td>")[0]
            }
            return cells.isEmpty ? nil : cells
        }
    }

    @Test func theReportMailsTheFollowedWorkOrdersAndWhatChangedInThePeriod() throws {
        // A tier above the test's seven runs a minute: the budget is not what this test is about.
        let flow = try TicketFlow(vcom: VCOMSimulator(plants: 3, perMinute: 10_000))
        let urgent = flow.vcom.open(system: "PV001", designation: "Onduleur WR 1 en défaut", priority: "urgent")
        let high = flow.vcom.open(system: "PV002", designation: "Perte de communication", priority: "high")
        // A normal ticket with no active work order waits: nothing of it is reported.
        flow.vcom.open(system: "PV003", designation: "Alarme mineure", priority: "normal")
        #expect(try flow.example.ferry().status == 0)
        let first = try #require(
            flow.yuman.liveWorkOrders.first { $0.fields["site_id"]?.intValue == Int64(flow.siteID("PV001")) })
        let second = try #require(
            flow.yuman.liveWorkOrders.first { $0.fields["site_id"]?.intValue == Int64(flow.siteID("PV002")) })

        // The week's changes come after `since`; the work orders' first status before it.
        let since = Self.instantBetweenRuns()
        let planned = TicketFlow.day(2)
        flow.yuman.progress(
            first.id, ["status": "Scheduled", "date_planned": .string(planned + "T08:00:00Z"), "technician_id": 20001])
        #expect(try flow.example.ferry().status == 0)

        let sink = try SMTPSink()
        let (yumanBefore, vcomBefore) = (flow.yuman.requests.count, flow.example.vcom.served.count)
        let sent = try flow.example.ferry(
            ["report", "workorders", "--since", since, "--to", "ops@example.com,chef@example.com"],
            environment: smtp(sink))
        #expect(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
        #expect(sent.stdout.contains("Sent report 'workorders' (2 row(s) since \(since))"), "\(sent.stdout)")
        #expect(!(sent.stdout + sent.stderr).contains(Self.smtpPassword))
        // Read from Ferry's state only: neither API is asked anything.
        #expect(flow.yuman.requests.count == yumanBefore)
        #expect(flow.example.vcom.served.count == vcomBefore)

        let messages = sink.wait(for: 1)
        #expect(messages.count == 1)
        let mail = try #require(messages.first)
        #expect(mail.recipients == ["<ops@example.com>", "<chef@example.com>"])
        #expect(mail.data.contains("Content-Type: text/html; charset=utf-8"))
        let subject = try #require(mail.subject)
        let encoded = try #require(subject.wholeMatch(of: #/=\?UTF-8\?B\?(.+)\?=/#)?.1)
        let decoded = String(decoding: Data(base64Encoded: String(encoded)) ?? Data(), as: UTF8.self)
        #expect(decoded == "Ordres de travail suivis (tickets VCOM → Yuman) (since \(since))")

        let html = mail.data
        #expect(html.contains("<h2>PV001</h2>") && html.contains("<h2>PV002</h2>"), "\(html)")
        #expect(!html.contains("PV003"))
        let rows = Self.rows(html)
        let french = planned.split(separator: "-").reversed().joined(separator: "/")
        #expect(rows.count == 2, "\(rows)")
        let pv001 = try #require(rows.first)
        #expect(pv001[0] == "n°\(70_000 + first.id)")
        #expect(pv001[1] == "[VCOM #\(urgent)] Onduleur WR 1 en défaut")
        #expect(Array(pv001[2...5]) == ["Scheduled", french, "Jean Martin", "<ul><li>#\(urgent)</li></ul>"])
        // Exactly the three changes seen after `since`, each dated; not the first "Statut : Open".
        let changes = pv001[6].components(separatedBy: "<li>").dropFirst().map {
            String($0.prefix { $0 != "<" }.split(separator: " ", maxSplits: 2)[2])
        }
        #expect(
            changes == ["Statut : Open → Scheduled", "Date prévue : — → \(french)", "Technicien : — → Jean Martin"],
            "\(pv001[6])")
        let today = TicketFlow.day(0).split(separator: "-").reversed().joined(separator: "/")
        #expect(pv001[6].contains("<li>\(today) "), "\(pv001[6])")
        // PV002's work order is still open and nothing changed in the period: listed, no changes.
        #expect(rows[1][0] == "n°\(70_000 + second.id)")
        #expect(rows[1][2] == "Open" && rows[1][4] == "—" && rows[1][6] == "—", "\(rows[1])")
        #expect(rows[1][5] == "<ul><li>#\(high)</li></ul>")

        // --print: the same page on standard output, nothing sent.
        let printed = try flow.example.ferry(["report", "workorders", "--since", since, "--print"])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(Self.rows(printed.stdout) == rows)
        #expect(sink.messages.count == 1)

        // Closing it: a later report lists it once more, with its close, then no longer.
        let beforeClose = Self.instantBetweenRuns()
        flow.yuman.progress(first.id, ["status": "Closed", "report": "Onduleur remplacé."])
        #expect(try flow.example.ferry().status == 0)
        let closing = try flow.example.ferry(["report", "workorders", "--since", beforeClose, "--print"])
        let closingRows = Self.rows(closing.stdout)
        #expect(closingRows.map { $0[0] } == ["n°\(70_000 + first.id)", "n°\(70_000 + second.id)"])
        #expect(closingRows.first?[6].contains("Statut : Scheduled → Closed") == true, "\(closingRows)")
        let later = Self.instantBetweenRuns()
        let after = try flow.example.ferry(["report", "workorders", "--since", later, "--print"])
        #expect(Self.rows(after.stdout).map { $0[0] } == ["n°\(70_000 + second.id)"])
    }

    @Test func aReportThatCannotBeSentSaysWhatIsMissingOrRefusedWithoutTheSecret() throws {
        let example = try VysyncExample(vcom: VCOMSimulator(plants: 1))
        let unset = try example.ferry(["report", "workorders"])
        #expect(unset.status == 2)
        #expect(
            unset.stderr.contains(
                "report 'workorders' cannot be sent: missing a recipient (--to, or `to:` in the report), FERRY_SMTP_URL, FERRY_SMTP_FROM"
            ), "\(unset.stderr)")
        #expect(unset.stderr.contains("--print"))

        let noServer = try example.ferry(
            ["report", "workorders"],
            environment: ["VYSYNC_REPORT_TO": "ops@example.com", "FERRY_SMTP_FROM": "f@x.org"])
        #expect(noServer.status == 2)
        #expect(noServer.stderr.contains("missing FERRY_SMTP_URL."), "\(noServer.stderr)")

        let refusing = try SMTPSink(refusingRecipients: true)
        let refused = try example.ferry(
            ["report", "workorders", "--to", "nobody@example.com"], environment: smtp(refusing))
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("report 'workorders' was not sent: the SMTP server refused or did not answer"),
            "\(refused.stderr)")
        #expect(!(refused.stdout + refused.stderr).contains(Self.smtpPassword))
        #expect(refusing.messages.isEmpty)

        let unknown = try example.ferry(["report", "weekly"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no report 'weekly' in "), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("; defined: workorders"), "\(unknown.stderr)")

        // Nothing followed yet: the page says so.
        let empty = try example.ferry(["report", "workorders", "--print", "--since", "30d"])
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout.contains("<p>Nothing to report.</p>"))
    }
}
