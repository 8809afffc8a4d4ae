import FerryJSON

extension ConfigReference {
    /// The reference page of a connector, `docs/connectors/NAME.md`: generated, never edited by
    /// hand, so that it cannot drift from the key table (a test regenerates and compares).
    /// - Parameters:
    ///   - plugin: The plugin's name.
    ///   - summary: Its one-line description.
    /// - Returns: The Markdown text, ending in a newline.
    public func markdown(plugin: String, summary: String) -> String {
        var lines = [
            "# `\(plugin)` connector",
            "",
            summary,
            "",
            "<!-- Generated from the connector's key table by `ferry plugins info \(plugin) --markdown`; "
                + "do not edit. Regenerate every page with `scripts/connector-docs.sh`. -->",
            "",
            "The keys of a `\(plugin)` connection's `config:`. Ferry checks them before opening the connection "
                + "(docs/configuration.md); secret values are masked in every log line, error and output.",
            "",
        ]
        if rows.isEmpty {
            lines.append("This connector declares no keys.")
        } else {
            lines.append("| Key | Type | Default | Required | Secret | Description |")
            lines.append("|---|---|---|---|---|---|")
            for row in rows {
                var description = row.description
                if let example = row.example { description += " Example: `\(JSONWriter().encodeString(example))`." }
                lines.append(
                    "| `\(row.name)` | \(Self.cell(row.type)) | "
                        + (row.defaultValue.map { "`\(JSONWriter().encodeString($0))`" } ?? "") + " | "
                        + (row.isRequired ? "yes" : "") + " | " + (row.isSecret ? "yes" : "") + " | "
                        + Self.cell(description) + " |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text safe in a table cell: pipes escaped, lines folded.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
