import FerryJSON
import Testing

@testable import FerryCLI

/// The report page: grouped tables, lists as bullet lists, every value escaped.
@Suite struct HTMLReportTests {
    @Test func rowsAreGroupedInOrderOfAppearanceAndValuesEscaped() {
        let page = HTMLReport(
            title: "Ordres <de> travail", period: "Since 2026-11-21", groupBy: "site",
            columns: [.init(field: "title", heading: "Titre"), .init(field: "changes", heading: "Changements")],
            records: [
                ["site": "PV002", "title": "Onduleur & sectionneur", "changes": ["a < b", "c"]],
                ["site": "PV001", "title": "<script>", "changes": []],
                ["site": "PV002", "title": .null],
            ]
        ).html
        #expect(page.contains("<title>Ordres &lt;de&gt; travail</title>"))
        #expect(page.contains("Since 2026-11-21 · 3 rows"))
        let pv002 = page.range(of: "<h2>PV002</h2>")!.lowerBound
        let pv001 = page.range(of: "<h2>PV001</h2>")!.lowerBound
        #expect(pv002 < pv001, "groups in order of first appearance")
        #expect(page.components(separatedBy: "<h2>").count == 3, "one heading per group")
        #expect(page.contains(">Onduleur &amp; sectionneur</td>"))
        #expect(page.contains(">&lt;script&gt;</td>") && !page.contains("<script>"))
        #expect(page.contains("<ul><li>a &lt; b</li>\r\n<li>c</li></ul>"))
        #expect(page.components(separatedBy: ">—</td>").count == 4, "empty list, null and missing")
        let bytes = Array(page.utf8)
        #expect(bytes.indices.allSatisfy { bytes[$0] != 0x0A || ($0 > 0 && bytes[$0 - 1] == 0x0D) }, "CRLF lines only")
    }

    @Test func withoutColumnsTheFirstRecordsFieldsAreShown() {
        let page = HTMLReport(
            title: "t", period: "p", groupBy: nil, columns: [], records: [["a": 1, "b": true]]
        ).html
        #expect(page.contains(">a</th>") && page.contains(">b</th>"))
        #expect(page.contains(">1</td>") && page.contains(">yes</td>"))
        #expect(
            HTMLReport(title: "t", period: "p", groupBy: nil, columns: [], records: []).html.contains(
                "Nothing to report."))
    }
}
