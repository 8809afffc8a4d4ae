import Foundation

extension ConfigParser {
    static let reportKeys = ["source", "title", "group_by", "columns", "to", "schedule", "since", "attach_pdf"]

    /// One entry of `reports:`.
    func report(_ name: String, _ field: Field, connections: [String]) throws -> ReportConfig {
        let fields = try mapping(field, allowed: Self.reportKeys)
        let columns = try fields.optional("columns").map { columnsField in
            try mapping(columnsField).entries.map { key, entry in
                ReportConfig.Column(field: key, heading: try string(entry))
            }
        }
        var report = ReportConfig(
            name: name,
            source: try endpoint(required(fields, "source"), connections: connections, defaultStream: nil),
            title: try fields.optional("title").map(string) ?? name,
            groupBy: try fields.optional("group_by").map(string),
            columns: columns ?? [], recipients: try fields.optional("to").map(recipients) ?? [],
            location: field.location)
        report.schedule = try fields.optional("schedule").map(schedule)
        if let since = try fields.optional("since").map(dateBound) { report.since = since }
        if let attach = try fields.optional("attach_pdf").map(boolean) { report.attachPDF = attach }
        return report
    }

    /// `to:`: a list, or one string of comma-separated addresses, which may be empty (an unset
    /// `${REPORT_TO:-}`: `ferry report --to` names them then).
    func recipients(_ field: Field) throws -> [String] {
        let written: [String]
        if case .scalar(let scalar) = field.node {
            written = Self.isNull(field.node) ? [] : [try resolved(scalar, field).text]
        } else {
            written = try strings(field).map(\.value)
        }
        return written.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }
}
