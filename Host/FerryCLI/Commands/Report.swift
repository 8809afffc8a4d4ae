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
        commandName: "report",
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
        let environment = ProcessInfo.processInfo.environment
        let mailing = ReportMailing(report: report, workspace: workspace)
        let channel: EmailChannel?
        do {
            channel = try printOnly ? nil : ReportMailing.channel(for: name, to: sendTo, environment: environment)
        } catch let missing as ReportMailing.Missing {
            printError(missing.description)
            throw ExitCode(ExitStatus.usage)
        }
        let bound = sinceBound!.resolved(now: Date(), timeZone: .current)
        let page = try mailing.page(since: bound)
        guard let channel else {
            print(page.html, terminator: "")
            return
        }
        do {
            try mailing.send(page, since: bound, through: channel, environment: environment)
        } catch let error as NotificationError {
            printError(error.description)
            throw ExitCode(ExitStatus.failure)
        }
        print(
            "Sent report '\(name)' (\(page.records.count) row(s) since \(bound)) to \(sendTo.joined(separator: ", ")).")
    }
}
