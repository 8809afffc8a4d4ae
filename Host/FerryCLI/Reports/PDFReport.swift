import FerryCore
import FerryJSON

/// A report's page as a PDF (`attach_pdf: true`): the same title, period, groups and
/// columns as the HTML, laid out as text tables on A4 landscape pages. Columns share the
/// width equally; a cell's text wraps at word boundaries (a word too long for its column
/// is cut), a list puts each item on its own line after a bullet, and a table that runs
/// past the page goes on on the next one under its header row again.
extension HTMLReport {
    var pdf: PDFTextDocument {
        var layout = PDFTableLayout()
        layout.line(title, size: 16, bold: true)
        layout.line("\(period) · \(records.count) \(records.count == 1 ? "row" : "rows")", size: 9)
        if records.isEmpty { layout.line("Nothing to report.", size: 9) }
        let headings = shownColumns.map(\.heading)
        for group in groups {
            layout.gap(8)
            if let heading = group.heading { layout.line(heading, size: 12, bold: true) }
            layout.table(
                headings: headings,
                rows: group.records.map { record in shownColumns.map { Self.pdfLines(record[$0.field]) } })
        }
        return PDFTextDocument(title: title, pages: layout.pages)
    }

    /// A value as a cell's lines: a list item per line, nothing as "—".
    static func pdfLines(_ value: JSONValue?) -> [String] {
        if case .array(let items)? = value {
            guard !items.isEmpty else { return ["—"] }
            return items.flatMap { item in
                (plain(item) ?? "—").split(whereSeparator: \.isNewline).enumerated().map {
                    ($0.offset == 0 ? "• " : "  ") + $0.element
                }
            }
        }
        return (plain(value) ?? "—").split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(
            String.init)
    }
}

/// Places lines and tables on pages from the top down, starting a page when one is full.
struct PDFTableLayout {
    static let margin = 36.0
    static let cellSize = 8.0
    static let leading = 10.0
    static let padding = 3.0

    private(set) var pages: [PDFTextDocument.Page] = [PDFTextDocument.Page()]
    private var y = PDFTextDocument.height - margin

    private var width: Double { PDFTextDocument.width - 2 * Self.margin }

    mutating func line(_ text: String, size: Double, bold: Bool = false) {
        let lines = Self.wrap(text, width: width, size: size, bold: bold)
        for line in lines {
            room(for: size * 1.3)
            y -= size * 1.3
            pages[pages.count - 1].texts.append(.init(string: line, x: Self.margin, y: y, size: size, bold: bold))
        }
    }

    mutating func gap(_ points: Double) { y -= points }

    mutating func table(headings: [String], rows: [[[String]]]) {
        guard !headings.isEmpty else { return }
        let columnWidth = width / Double(headings.count)
        let headingLines = headings.map { [$0] }
        func place(_ cells: [[String]], bold: Bool) {
            let wrapped = cells.map { lines in
                lines.flatMap { Self.wrap($0, width: columnWidth - 2 * Self.padding, size: Self.cellSize, bold: bold) }
            }
            let height = Double(wrapped.map(\.count).max() ?? 1) * Self.leading + 2 * Self.padding
            if y - height < Self.margin, !bold {
                newPage()
                place(headingLines, bold: true)
            }
            var page = pages[pages.count - 1]
            for (column, lines) in wrapped.enumerated() {
                for (index, line) in lines.enumerated() {
                    page.texts.append(
                        .init(
                            string: line, x: Self.margin + Double(column) * columnWidth + Self.padding,
                            y: y - Self.padding - Double(index + 1) * Self.leading + 2, size: Self.cellSize, bold: bold)
                    )
                }
            }
            y -= height
            page.rules.append(.init(x1: Self.margin, x2: Self.margin + width, y: y))
            pages[pages.count - 1] = page
        }
        room(for: 3 * Self.leading + 4 * Self.padding)
        place(headingLines, bold: true)
        for row in rows { place(row, bold: false) }
    }

    private mutating func room(for height: Double) {
        if y - height < Self.margin { newPage() }
    }

    private mutating func newPage() {
        pages.append(PDFTextDocument.Page())
        y = PDFTextDocument.height - Self.margin
    }

    /// `text` in lines that fit `width` at `size`, broken between words; a word wider than
    /// the width is cut. Widths are Helvetica's average (a little wider for bold), which
    /// keeps text inside its column without font metrics.
    static func wrap(_ text: String, width: Double, size: Double, bold: Bool) -> [String] {
        let perCharacter = size * (bold ? 0.6 : 0.55)
        let limit = max(1, Int(width / perCharacter))
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            var word = String(word)
            let candidate = current.isEmpty ? word : current + " " + word
            if candidate.count <= limit {
                current = candidate
                continue
            }
            if !current.isEmpty { lines.append(current) }
            while word.count > limit {
                lines.append(String(word.prefix(limit)))
                word = String(word.dropFirst(limit))
            }
            current = word
        }
        lines.append(current)
        return lines
    }
}
