import FerryJSON
import FerryPluginSDK

/// The file connector's configuration; README.md lists the keys.
struct FileConfig {
    /// The two record formats the connector reads and writes.
    enum Format: String {
        /// One JSON object per line.
        case jsonl
        /// RFC 4180 comma-separated values with a header row.
        case csv
    }

    /// The file, absolute or relative to the process's current directory.
    var path: String
    var format: Format
    /// The one stream the file holds.
    var stream: String
    /// CSV field separator (one ASCII byte).
    var delimiter: UInt8 = UInt8(ascii: ",")
    /// CSV: turn unquoted integers, decimals, booleans and empty fields into typed values.
    var infersTypes: Bool
    var primaryKey: [String]
    var cursorField: String?
    /// Destination: the mode the file (and its batch sidecar) gets when the connector creates it.
    var fileMode = FileMode.ownerOnly
    /// Source: the longest line (a JSONL record, a CSV line) read; memory per record stays within a few times this.
    var maxRecordBytes: Int

    /// 16 MiB: far above any sane record, far below what takes a host down.
    static let defaultMaxRecordBytes = 16 << 20
    /// The range `max_record_bytes` accepts.
    static let maxRecordBytesRange = 1024...(1 << 30)

    /// The keys, declared once: the spec's schema, the parsing below and the reference derive from them.
    static let keys = ConfigTable([
        ConfigKey(
            "path", .string, required: true, example: "data/orders.jsonl",
            "The file; absolute, or relative to the ferry process's current directory."),
        ConfigKey(
            "format", .oneOf(["jsonl", "csv"]),
            "Record format; default from the extension (.csv/.tsv: csv, otherwise jsonl)."),
        ConfigKey("stream", .string, "The stream name; default the file's base name without extension."),
        ConfigKey(
            "delimiter", .string, example: "tab",
            "CSV field separator, one ASCII character or 'tab'; default ',' (tab for .tsv)."),
        ConfigKey(
            "infer_types", .boolean, default: true,
            "CSV: unquoted integers, decimals, true/false become typed values and empty fields null."),
        ConfigKey(
            "primary_key", .anyOf([.string, .array(of: .string)]),
            "Source: the stream's primary key field(s), declared in discover."),
        ConfigKey(
            "cursor_field", .string,
            "Source: field whose value (number or ISO 8601 time) orders records for incremental reads."),
        ConfigKey(
            "file_mode", .anyOf([.string, .integer]), default: "0600",
            "Destination: octal mode of a file the connector creates, such as \"0640\" (quote it)."),
        ConfigKey(
            "max_record_bytes", .integer, default: .int(Int64(defaultMaxRecordBytes)),
            minimum: Double(maxRecordBytesRange.lowerBound), maximum: Double(maxRecordBytesRange.upperBound),
            "Source: the longest line (a JSONL record, a CSV line) read, in bytes."),
    ])

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: the connection's `config`.
    init(_ object: JSONObject) throws {
        let config = try Self.keys.parse(object)
        path = try config.string("path")
        guard !path.isEmpty else { throw PluginError.invalid("config.path is required") }
        let (base, fileExtension) = Self.splitName(path)
        // The table allows only the cases' names; without one, the extension decides.
        format =
            try config.optionalString("format").flatMap(Format.init)
            ?? (["csv", "tsv"].contains(fileExtension) ? .csv : .jsonl)
        stream = try config.optionalString("stream") ?? base
        if let text = try config.optionalString("delimiter") {
            let resolved = text == "tab" || text == "\\t" ? "\t" : text
            let bytes = Array(resolved.utf8)
            guard bytes.count == 1, bytes[0] < 0x80, bytes[0] != UInt8(ascii: "\""), bytes[0] != 0x0A, bytes[0] != 0x0D
            else {
                throw PluginError.invalid("config.delimiter must be one ASCII character other than a quote or newline")
            }
            delimiter = bytes[0]
        } else if fileExtension == "tsv" {
            delimiter = 0x09
        }
        infersTypes = try config.bool("infer_types")
        primaryKey = try config.optionalStringList("primary_key") ?? []
        cursorField = try config.optionalString("cursor_field")
        if let mode = try config.value("file_mode") { fileMode = try FileMode(config: mode) }
        maxRecordBytes = Int(try config.integer("max_record_bytes"))
        if stream.isEmpty { throw PluginError.invalid("config.stream must not be empty") }
    }

    /// The base name without its extension, and the lowercased extension.
    static func splitName(_ path: String) -> (base: String, fileExtension: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]).lowercased())
    }
}
