import ArgumentParser
import FerryCore
import FerryEngine
import FerryJSON
import FerryServe
import Foundation

/// `ferry report NAME`: a report of `reports:` (one source stream's records as an HTML
/// table) sent by e-mail through the SMTP server of `FERRY_SMTP_*`, or printed.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a report of the config's `reports:` by e-mail (or print it).",
        discussion: """
            Reads the report's source stream (handed --since as a run's reader is), renders its \
            records as an HTML table grouped by `group_by`, and sends it through the SMTP server \
            named by FERRY_SMTP_URL (smtp://host:587, STARTTLS when offered, or smtps://host:465) \
            and FERRY_SMTP_FROM, with FERRY_SMTP_USER and FERRY_SMTP_PASSWORD when the server \
            needs them, to --to or the report's `to:`. Schedule it with cron, e.g. every Monday \
            at 07:00: `0 7 * * 1 ferry report workorders --since 7d`.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The report (a key of `reports:`).") var name: String
    @Option(help: "What the report covers: \(DateBound.forms), or 7d for -7d.") var since = "-7d"
    @Option(
        parsing: .singleValue, help: "A recipient instead of the report's `to:` (repeat it, or separate with commas).")
    var to: [String] = []
    @Flag(name: .customLong("print"), help: "Print the HTML instead of sending it.") var printOnly = false

    /// `7d` as `-7d`: a report looks back, so a bare relative time means before now.
    var sinceBound: DateBound? {
        DateBound(parsing: since.wholeMatch(of: #/\d{1,6}[mhdw]/#) != nil ? "-" + since : since)
    }

    func validate() throws {
        guard sinceBound != nil else {
            throw ValidationError("--since must be \(DateBound.forms), or 7d; got '\(since)'")
        }
    }

    func run() throws {
        let workspace = try global.workspace()
        guard let report = workspace.config.reports[name] else {
            let known = workspace.config.reports.keys.sorted()
            printError(
                "no report '\(name)' in \(workspace.config.sourceFile); "
                    + (known.isEmpty ? "it has no `reports:` section" : "defined: \(known.joined(separator: ", "))"))
            throw ExitCode(ExitStatus.usage)
        }
        let recipients = to.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let sendTo = recipients.isEmpty ? report.recipients : recipients
        let channel = try printOnly ? nil : emailChannel(sendTo)
        let bound = sinceBound!.resolved(now: Date(), timeZone: .current)
        var records: [JSONObject] = []
        try workspace.forEachRecord(connection: report.source.connection, stream: report.source.stream, since: bound) {
            record, _ in
            if let object = record.objectValue { records.append(object) }
        }
        let page = HTMLReport(
            title: report.title, period: "Since \(bound)", groupBy: report.groupBy, columns: report.columns,
            records: records)
        guard let channel else {
            print(page.html, terminator: "")
            return
        }
        do {
            try channel.send(title: "\(report.title) (since \(bound))", html: page.html)
        } catch {
            var reason = workspace.redactor.redact("\(error)")
            if let password = ProcessInfo.processInfo.environment["FERRY_SMTP_PASSWORD"], !password.isEmpty {
                reason = reason.replacingOccurrences(of: password, with: "***")
            }
            printError("report '\(name)' was not sent: \(reason)")
            throw ExitCode(ExitStatus.failure)
        }
        print("Sent report '\(name)' (\(records.count) row(s) since \(bound)) to \(sendTo.joined(separator: ", ")).")
    }

    /// The e-mail channel of `FERRY_SMTP_*`; a clear error naming what is missing.
    private func emailChannel(_ recipients: [String]) throws -> EmailChannel {
        let environment = ProcessInfo.processInfo.environment
        var missing: [String] = []
        if recipients.isEmpty { missing.append("a recipient (--to, or `to:` in the report)") }
        for variable in ["FERRY_SMTP_URL", "FERRY_SMTP_FROM"] where (environment[variable] ?? "").isEmpty {
            missing.append(variable)
        }
        guard missing.isEmpty, let url = environment["FERRY_SMTP_URL"], let from = environment["FERRY_SMTP_FROM"]
        else {
            printError(
                "report '\(name)' cannot be sent: missing \(missing.joined(separator: ", ")). FERRY_SMTP_URL is the server "
                    + "(smtp://host:587 or smtps://host:465), FERRY_SMTP_FROM the sender; --print shows the report instead."
            )
            throw ExitCode(ExitStatus.usage)
        }
        return EmailChannel(
            settings: .init(
                url: url, from: from, to: recipients, username: environment["FERRY_SMTP_USER"],
                password: environment["FERRY_SMTP_PASSWORD"]))
    }
}
