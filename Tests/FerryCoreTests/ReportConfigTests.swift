import Testing

@testable import FerryCore

/// `reports:`: a source stream, title, grouping, ordered columns and recipients; mistakes named.
@Suite struct ReportConfigTests {
    static let base = """
        connections:
          desk: { plugin: file, config: { path: x.jsonl } }
          out: { plugin: sqlite }
        pipelines:
          copy: { source: { connection: desk, stream: events }, destination: { connection: out } }

        """

    @Test func aReportParsesWithItsColumnsInOrderAndItsRecipients() throws {
        let config = try FerryConfig.parse(
            yaml: Self.base + """
                reports:
                  weekly:
                    source: { connection: desk, stream: workorder_report }
                    title: Ordres de travail
                    group_by: site
                    columns: { workorder: OT, status: Statut, changes: Changements }
                    to: "${REPORT_TO}"
                    schedule: "0 7 * * 1"
                    since: -1w
                  bare: { source: { connection: desk, stream: events } }
                """, file: "ferry.yaml", environment: ["REPORT_TO": "a@example.com, b@example.com"])
        let weekly = try #require(config.reports["weekly"])
        #expect(weekly.source.connection == "desk" && weekly.source.stream == "workorder_report")
        #expect(weekly.title == "Ordres de travail" && weekly.groupBy == "site")
        #expect(weekly.columns.map(\.field) == ["workorder", "status", "changes"])
        #expect(weekly.columns.map(\.heading) == ["OT", "Statut", "Changements"])
        #expect(weekly.recipients == ["a@example.com", "b@example.com"])
        #expect(weekly.schedule == "0 7 * * 1" && weekly.since == "-1w")
        let bare = try #require(config.reports["bare"])
        #expect(bare.title == "bare" && bare.columns.isEmpty && bare.recipients.isEmpty && bare.groupBy == nil)
        #expect(bare.schedule == nil && bare.since == "-7d")
    }

    @Test func anUnsetRecipientVariableLeavesTheListEmpty() throws {
        let config = try FerryConfig.parse(
            yaml: Self.base + "reports:\n  r: { source: { connection: desk, stream: s }, to: \"${REPORT_TO:-}\" }\n",
            file: "ferry.yaml", environment: [:])
        #expect(config.reports["r"]?.recipients == [])
    }

    @Test func mistakesNameTheReportAndTheKey() throws {
        let unknown = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: Self.base + "reports:\n  r: { source: { connection: dsk, stream: s } }\n", file: "ferry.yaml",
                environment: [:])
        }
        #expect("\(unknown)".contains("reports.r.source.connection"), "\(unknown)")
        #expect("\(unknown)".contains("unknown connection 'dsk'; did you mean 'desk'?"), "\(unknown)")
        let key = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: Self.base + "reports:\n  r: { source: { connection: desk, stream: s }, recipients: [a] }\n",
                file: "ferry.yaml", environment: [:])
        }
        #expect("\(key)".contains("unknown key 'recipients'"), "\(key)")
        let since = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: Self.base + "reports:\n  r: { source: { connection: desk, stream: s }, since: last week }\n",
                file: "ferry.yaml", environment: [:])
        }
        #expect("\(since)".contains("reports.r.since"), "\(since)")
    }
}
