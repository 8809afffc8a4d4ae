import FerryTesting
import Foundation
import Testing

/// `ferry serve` sends a report of `reports:` on its schedule, through a local SMTP server: the
/// real binary and file plugin. Waits are for the mail and log lines, never fixed sleeps.
@Suite struct ServeReportTests {
    @Test func aScheduledReportIsMailedByServe() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "data/orders.jsonl",
            #"{"id":1,"shop":"Lyon","total":"12.50 €"}"# + "\n" + #"{"id":2,"shop":"Nice","total":"<b>7</b>"}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              orders: { plugin: file, config: { path: data/orders.jsonl, primary_key: id } }
            pipelines: {}
            reports:
              daily_orders:
                source: { connection: orders, stream: orders }
                title: Commandes du jour
                group_by: shop
                columns: { id: "N°", total: Total }
                to: "${REPORT_TO}"
                schedule: "* * * * *"
                since: -1d
            """)
        let sink = try SMTPSink()
        let serve = try ServeProcess(
            sandbox,
            environment: [
                "REPORT_TO": "ops@example.com", "FERRY_SMTP_URL": sink.url, "FERRY_SMTP_FROM": "ferry@example.com",
                "FERRY_SMTP_PASSWORD": "serve-smtp-secret",
            ])
        try serve.waitForLog("Report scheduled.")
        // The next minute's send (at most a minute away).
        let mail = try #require(sink.wait(for: 1, timeout: 90).first, "\(serve.log)")
        #expect(mail.recipients == ["<ops@example.com>"])
        #expect(mail.subject?.hasPrefix("Commandes du jour (since ") == true, "\(mail.subject ?? "")")
        #expect(mail.data.contains("<h2>Lyon</h2>") && mail.data.contains("<h2>Nice</h2>"))
        #expect(mail.data.contains(">12.50 €</td>") && mail.data.contains(">&lt;b&gt;7&lt;/b&gt;</td>"))
        try serve.waitForLog("Report sent.")
        #expect(!serve.log.contains("serve-smtp-secret"))
    }

    @Test func aReportScheduleThatIsNotCronIsRefusedNamingIt() throws {
        let sandbox = try Sandbox()
        try sandbox.write("data/orders.jsonl", #"{"id":1}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            connections:
              orders: { plugin: file, config: { path: data/orders.jsonl } }
            pipelines: {}
            reports:
              r: { source: { connection: orders, stream: orders }, schedule: "every monday" }
            """)
        let check = try sandbox.ferry(["check"])
        #expect(check.status == 2)
        #expect(check.stderr.contains("reports.r.schedule"), "\(check.stderr)")
        #expect(check.stderr.contains("expected a cron expression with 5 fields"), "\(check.stderr)")
    }
}
