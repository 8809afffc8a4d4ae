import Testing

@testable import FerryCore

/// `attach_pdf:` on a report: off unless set, a boolean, or an error naming the key.
@Suite struct ReportPDFConfigTests {
    @Test func attachPDFIsOffUnlessSetAndMustBeABoolean() throws {
        let config = try FerryConfig.parse(
            yaml: ReportConfigTests.base + """
                reports:
                  with: { source: { connection: desk, stream: s }, attach_pdf: true }
                  without: { source: { connection: desk, stream: s } }
                """, file: "ferry.yaml", environment: [:])
        #expect(config.reports["with"]?.attachPDF == true)
        #expect(config.reports["without"]?.attachPDF == false)
        #expect {
            _ = try FerryConfig.parse(
                yaml: ReportConfigTests.base
                    + "reports:\n  r: { source: { connection: desk, stream: s }, attach_pdf: sometimes }\n",
                file: "ferry.yaml", environment: [:])
        } throws: { error in
            "\(error)".contains("attach_pdf") && "\(error)".contains("ferry.yaml")
        }
    }
}
