import FerryCore
import FerryJSON
import FerryServe

/// A report's records as one HTML page (`ferry report`): the title, the period, then one
/// table per group. Lists become bullet lists, a missing value an em dash; every value is
/// escaped. Lines end in CRLF and stay short, as an e-mail body must.
struct HTMLReport {
    var title: String
    /// What the report covers, e.g. "Since 2026-11-21T08:00:00Z".
    var period: String
    var groupBy: String?
    /// Empty: the fields of the first record, in its order.
    var columns: [ReportConfig.Column]
    var records: [JSONObject]

    var html: String {
        var lines = [
            "<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>\(Self.escaped(title))</title></head>",
            "<body style=\"font-family: sans-serif\">", "<h1>\(Self.escaped(title))</h1>",
            "<p>\(Self.escaped(period)) · \(records.count) \(records.count == 1 ? "row" : "rows")</p>",
        ]
        if records.isEmpty { lines.append("<p>Nothing to report.</p>") }
        for group in groups {
            if let heading = group.heading { lines.append("<h2>\(Self.escaped(heading))</h2>") }
            lines += table(group.records)
        }
        lines.append("</body></html>")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    var shownColumns: [ReportConfig.Column] {
        if !columns.isEmpty { return columns }
        return (records.first?.keys ?? []).filter { $0 != groupBy }.map { .init(field: $0, heading: $0) }
    }

    /// The records by the `groupBy` value, groups in order of first appearance.
    var groups: [(heading: String?, records: [JSONObject])] {
        guard let groupBy else { return records.isEmpty ? [] : [(nil, records)] }
        var groups: [(heading: String?, records: [JSONObject])] = []
        for record in records {
            let heading = Self.plain(record[groupBy]) ?? "—"
            if let at = groups.firstIndex(where: { $0.heading == heading }) {
                groups[at].records.append(record)
            } else {
                groups.append((heading, [record]))
            }
        }
        return groups
    }

    private func table(_ records: [JSONObject]) -> [String] {
        let cell = "style=\"border: 1px solid #ccc; padding: 4px; vertical-align: top\""
        var lines = ["<table style=\"border-collapse: collapse\">", "<tr>"]
        lines += shownColumns.map { "<th \(cell)>\(Self.escaped($0.heading))</th>" }
        lines.append("</tr>")
        for record in records {
            lines.append("<tr>")
            lines += shownColumns.map { "<td \(cell)>\(Self.html(record[$0.field]))</td>" }
            lines.append("</tr>")
        }
        lines.append("</table>")
        return lines
    }

    /// A value as cell content: lists as bullet lists, nothing as "—".
    static func html(_ value: JSONValue?) -> String {
        if case .array(let items)? = value {
            guard !items.isEmpty else { return "—" }
            return "<ul>" + items.map { "<li>\(escaped(plain($0) ?? "—"))</li>" }.joined(separator: "\r\n") + "</ul>"
        }
        return escaped(plain(value) ?? "—")
    }

    /// A value as text; nil for null or missing.
    static func plain(_ value: JSONValue?) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case .bool(let flag)?: return flag ? "yes" : "no"
        case let other?: return JSONWriter().encodeString(other)
        }
    }

    /// Escaped text with its line breaks kept as `<br>`.
    static func escaped(_ text: String) -> String {
        Dashboard.escape(text).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(
            separator: "<br>")
    }
}
