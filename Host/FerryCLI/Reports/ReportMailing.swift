import FerryCore
import FerryEngine
import FerryJSON
import FerryServe
import Foundation

/// A report read, rendered and (when sent) mailed: what `ferry report` and `ferry serve`'s
/// scheduled reports share.
struct ReportMailing {
    /// Why a report cannot be sent: the settings that are missing, named.
    struct Missing: Error, CustomStringConvertible {
        var report: String
        var settings: [String]
        var description: String {
            "report '\(report)' cannot be sent: missing \(settings.joined(separator: ", ")). FERRY_SMTP_URL is the server "
                + "(smtp://host:587 or smtps://host:465), FERRY_SMTP_FROM the sender; --print shows the report instead."
        }
    }

    let report: ReportConfig
    let workspace: Workspace

    /// The report's page for the records since `bound` (a resolved `DateBound`).
    func page(since bound: String) throws -> HTMLReport {
        var records: [JSONObject] = []
        try workspace.forEachRecord(connection: report.source.connection, stream: report.source.stream, since: bound) {
            record, _ in
            if let object = record.objectValue { records.append(object) }
        }
        return HTMLReport(
            title: report.title, period: "Since \(bound)", groupBy: report.groupBy, columns: report.columns,
            records: records)
    }

    /// The e-mail channel of `FERRY_SMTP_*` for `recipients`; `Missing` names what is not set.
    static func channel(for report: String, to recipients: [String], environment: [String: String]) throws
        -> EmailChannel
    {
        var missing: [String] = []
        if recipients.isEmpty { missing.append("a recipient (--to, or `to:` in the report)") }
        for variable in ["FERRY_SMTP_URL", "FERRY_SMTP_FROM"] where (environment[variable] ?? "").isEmpty {
            missing.append(variable)
        }
        guard missing.isEmpty, let url = environment["FERRY_SMTP_URL"], let from = environment["FERRY_SMTP_FROM"]
        else { throw Missing(report: report, settings: missing) }
        return EmailChannel(
            settings: .init(
                url: url, from: from, to: recipients, username: environment["FERRY_SMTP_USER"],
                password: environment["FERRY_SMTP_PASSWORD"]))
    }

    /// Sends `page`; a failure's reason without the SMTP password or the config's secrets.
    func send(_ page: HTMLReport, since bound: String, through channel: EmailChannel, environment: [String: String])
        throws
    {
        do {
            let attachments =
                report.attachPDF
                ? [
                    EmailChannel.Attachment(
                        filename: "\(report.name).pdf", contentType: "application/pdf", bytes: page.pdf.bytes)
                ]
                : []
            try channel.send(title: "\(report.title) (since \(bound))", html: page.html, attachments: attachments)
        } catch {
            var reason = workspace.redactor.redact("\(error)")
            if let password = environment["FERRY_SMTP_PASSWORD"], !password.isEmpty {
                reason = reason.replacingOccurrences(of: password, with: "***")
            }
            throw NotificationError("report '\(report.name)' was not sent: \(reason)")
        }
    }
}
