/// A report `ferry report NAME` sends by e-mail (`reports:`): the records of one source
/// stream, grouped and laid out as an HTML table, to a list of recipients.
public struct ReportConfig: Sendable, Equatable {
    /// One column: the record field it shows and its heading.
    public struct Column: Sendable, Equatable {
        public var field: String
        public var heading: String

        /// Creates a column.
        /// - Parameters:
        ///   - field: The record field shown.
        ///   - heading: The column's heading.
        public init(field: String, heading: String) {
            self.field = field
            self.heading = heading
        }
    }

    /// The report's name (its key under `reports:`).
    public var name: String
    /// Where its records are read; the reader is handed the report's `--since` bound.
    public var source: PipelineConfig.Endpoint
    /// The e-mail subject and page heading.
    public var title: String
    /// The field whose value heads each group of rows; nil: one table.
    public var groupBy: String?
    /// The columns in order; empty: every field of the first record, in its order.
    public var columns: [Column]
    /// The recipients when `--to` names none.
    public var recipients: [String]
    /// When `ferry serve` sends it (a cron expression); nil: only `ferry report` does.
    public var schedule: String?
    /// What a scheduled send covers, a valid `DateBound` form (`-7d` by default).
    public var since = "-7d"
    /// Whether the e-mail carries the report as a PDF too (`attach_pdf`), beside the HTML.
    public var attachPDF = false
    /// Where the report is written.
    public var location: SourceLocation

    /// Creates a report.
    /// - Parameters:
    ///   - name: The report's name.
    ///   - source: The stream read.
    ///   - title: The subject and heading.
    ///   - groupBy: The grouping field.
    ///   - columns: The columns in order.
    ///   - recipients: The default recipients.
    ///   - location: Where it is written.
    public init(
        name: String, source: PipelineConfig.Endpoint, title: String, groupBy: String? = nil, columns: [Column] = [],
        recipients: [String] = [], location: SourceLocation
    ) {
        self.name = name
        self.source = source
        self.title = title
        self.groupBy = groupBy
        self.columns = columns
        self.recipients = recipients
        self.location = location
    }
}
