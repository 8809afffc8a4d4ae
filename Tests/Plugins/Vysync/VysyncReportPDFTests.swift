import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The weekly report's PDF (`attach_pdf: true` in `examples/vysync/ferry.yaml`, as the seed
/// attaches one): the real `ferry report workorders` mails one multipart message to a local
/// SMTP sink, the HTML page and a PDF that poppler's `pdftotext` reads back with the rows.
@Suite struct VysyncReportPDFTests {
    @Test func theMailCarriesThePDFOfTheSameRows() throws {
        let flow = try TicketFlow(vcom: VCOMSimulator(plants: 2, perMinute: 10_000))
        let urgent = flow.vcom.open(system: "PV001", designation: "Onduleur WR 1 en défaut", priority: "urgent")
        let high = flow.vcom.open(system: "PV002", designation: "Perte de communication", priority: "high")
        #expect(try flow.example.ferry().status == 0)
        let orders = flow.yuman.liveWorkOrders
        #expect(orders.count == 2)

        let sink = try SMTPSink()
        let sent = try flow.example.ferry(
            ["report", "workorders", "--since", "1d", "--to", "ops@example.com"],
            environment: [
                "FERRY_SMTP_URL": sink.url, "FERRY_SMTP_FROM": "ferry@example.com", "FERRY_SMTP_USER": "ferry",
                "FERRY_SMTP_PASSWORD": VysyncReportTests.smtpPassword,
            ])
        #expect(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
        #expect(!(sent.stdout + sent.stderr).contains(VysyncReportTests.smtpPassword))
        let mail = try #require(sink.wait(for: 1).first)
        let boundary = try #require(
            mail.data.firstMatch(of: #/Content-Type: multipart/mixed; boundary="([^"]+)"/#)?.1,
            "\(mail.data.prefix(600))")
        let parts = mail.data.components(separatedBy: "--\(boundary)")
        #expect(parts.count == 4, "preamble, HTML, PDF, end")
        let html = try #require(parts.first { $0.contains("Content-Type: text/html; charset=utf-8") })
        let pdfPart = try #require(
            parts.first { $0.contains("Content-Type: application/pdf; name=\"workorders.pdf\"") })
        #expect(pdfPart.contains("Content-Disposition: attachment; filename=\"workorders.pdf\""))
        let body = try #require(pdfPart.components(separatedBy: "\r\n\r\n").dropFirst().first)
        let pdf = try #require(Data(base64Encoded: body, options: .ignoreUnknownCharacters))
        #expect(try PDFReading.pageCount(ofWellFormed: Array(pdf)) == 1)
        // Cells wrap within their column: compare with the line breaks as spaces.
        let text = try PDFReading.text(of: Array(pdf)).split(whereSeparator: \.isWhitespace).joined(separator: " ")

        // The PDF holds the HTML's rows: each work order, its title and tickets, under its site.
        let htmlRows = VysyncReportTests.rows(html)
        #expect(htmlRows.count == 2, "\(htmlRows)")
        for order in orders { #expect(text.contains("n°\(70_000 + order.id)"), "\(order.id) in \(text)") }
        for (ticket, designation) in [(urgent, "Onduleur WR 1 en défaut"), (high, "Perte de communication")] {
            #expect(text.contains("[VCOM #\(ticket)] \(designation)"), "\(text)")
            #expect(text.contains("• #\(ticket)"), "\(text)")
        }
        for heading in ["PV001", "PV002", "Titre", "Tickets VCOM", "Ordres de travail suivis (tickets VCOM -> Yuman)"] {
            #expect(text.contains(heading), "\(heading) in \(text)")
        }
    }
}
