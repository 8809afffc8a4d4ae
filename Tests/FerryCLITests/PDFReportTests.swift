import FerryJSON
import FerryTesting
import Foundation
import Testing

@testable import FerryCLI

/// The report as a PDF (`attach_pdf`): a well-formed PDF 1.4 (every cross-reference offset
/// names its object, one page object per page), read back by poppler's `pdftotext` with every
/// row, heading and French character, tables running onto a second page under their header.
@Suite struct PDFReportTests {
    static func report(rows: Int) -> HTMLReport {
        HTMLReport(
            title: "Ordres de travail suivis (tickets VCOM → Yuman)", period: "Since 2026-11-21", groupBy: "site",
            columns: [
                .init(field: "workorder", heading: "OT"), .init(field: "title", heading: "Titre"),
                .init(field: "changes", heading: "Changements de la période"),
            ],
            records: (1...rows).map { index in
                [
                    "site": index % 2 == 0 ? "PV002" : "PV001", "workorder": .string("n°\(70_000 + index)"),
                    "title": .string("[VCOM #\(5000 + index)] Onduleur en défaut (WR \(index))"),
                    "changes": index == 1
                        ? ["28/11/2026 07:40 Statut : Open → Scheduled", "Date prévue : — → 05/12/2026"] : [],
                ]
            })
    }

    @Test func theTableIsAWellFormedPDFThatPdftotextReadsBack() throws {
        let bytes = Self.report(rows: 3).pdf.bytes
        #expect(try PDFReading.pageCount(ofWellFormed: bytes) == 1)
        let text = try PDFReading.text(of: bytes)
        for expected in [
            "Ordres de travail suivis (tickets VCOM -> Yuman)", "Since 2026-11-21 · 3 rows", "PV001", "PV002",
            "Changements de la période", "n°70001", "[VCOM #5001] Onduleur en défaut (WR 1)", "n°70003",
            "• 28/11/2026 07:40 Statut : Open -> Scheduled", "• Date prévue : — -> 05/12/2026",
        ] {
            #expect(text.contains(expected), "\(expected) in \(text)")
        }
        // PV001's group (rows 1 and 3) comes before PV002's (row 2), as in the HTML.
        let pv001 = try #require(text.range(of: "n°70003")).lowerBound
        let pv002 = try #require(text.range(of: "n°70002")).lowerBound
        #expect(pv001 < pv002)
    }

    @Test func aLongTableGoesOnOnTheNextPageUnderItsHeaderAgain() throws {
        let bytes = Self.report(rows: 90).pdf.bytes
        let pages = try PDFReading.pageCount(ofWellFormed: bytes)
        #expect(pages >= 2)
        let text = try PDFReading.text(of: bytes)
        for index in 1...90 { #expect(text.contains("n°\(70_000 + index)"), "row \(index)") }
        let pageTexts = text.components(separatedBy: "\u{0C}").filter { !$0.isEmpty }
        #expect(pageTexts.count == pages)
        #expect(pageTexts.allSatisfy { $0.contains("Titre") }, "the header row on every page")
    }

    @Test func textIsWrittenInWinAnsiWithWhatItLacksSpelledOut() {
        #expect(PDFTextDocument.winAnsi("é€—→x") == [0xE9, 0x80, 0x97, 0x2D, 0x3E, 0x78])
        #expect(PDFTextDocument.literal("a(b)\\ é") == Array(#"(a\(b\)\\ \351)"#.utf8))
        #expect(PDFTableLayout.wrap("un deux trois", width: 30, size: 10, bold: false) == ["un", "deux", "trois"])
        #expect(PDFTableLayout.wrap("abcdefghij", width: 22, size: 10, bold: false) == ["abcd", "efgh", "ij"])
    }
}
