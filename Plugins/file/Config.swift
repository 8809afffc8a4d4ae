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
    var infersTypes = true
    var primaryKey: [String] = []
    var cursorField: String?
    /// Destination: the mode the file (and its batch sidecar) gets when the connector creates it.
    var fileMode = FileMode.ownerOnly
    /// Source: the longest line (a JSONL record, a CSV line) read; memory per record stays within a few times this.
    var maxRecordBytes = Self.defaultMaxRecordBytes

    /// 16 MiB: far above any sane record, far below what takes a host down.
    static let defaultMaxRecordBytes = 16 << 20
    /// The range `max_record_bytes` accepts.
    static let maxRecordBytesRange = 1024...(1 << 30)

    /// Reads and checks a config object; unknown keys are refused by name.
    /// - Parameter object: the connection's `config`.
    init(_ object: JSONObject) throws {
        var path: String?
        var format: Format?
        var stream: String?
        var delimiter: UInt8?
        for (key, value) in object {
            switch key {
            case "path":
                path = try Self.string(value, key)
            case "format":
                let text = try Self.string(value, key)
                guard let parsed = Format(rawValue: text.lowercased()) else {
                    throw PluginError.invalid("config.format must be 'jsonl' or 'csv', got '\(text)'")
                }
                format = parsed
            case "stream":
                stream = try Self.string(value, key)
            case "delimiter":
                let text = try Self.string(value, key)
                let resolved = text == "tab" || text == "\\t" ? "\t" : text
                let bytes = Array(resolved.utf8)
                guard bytes.count == 1, bytes[0] < 0x80, bytes[0] != UInt8(ascii: "\""),
                    bytes[0] != 0x0A, bytes[0] != 0x0D
                else {
                    throw PluginError.invalid(
                        "config.delimiter must be one ASCII character other than a quote or newline")
                }
                delimiter = bytes[0]
            case "infer_types":
                guard let flag = value.boolValue else {
                    throw PluginError.invalid("config.infer_types must be true or false")
                }
                infersTypes = flag
            case "primary_key":
                if let single = value.stringValue {
                    primaryKey = [single]
                } else if let list = value.arrayValue, list.allSatisfy({ $0.stringValue != nil }) {
                    primaryKey = list.compactMap(\.stringValue)
                } else {
                    throw PluginError.invalid("config.primary_key must be a string or a list of strings")
                }
            case "cursor_field":
                cursorField = try Self.string(value, key)
            case "file_mode":
                fileMode = try FileMode(config: value)
            case "max_record_bytes":
                guard let bytes = value.intValue, Self.maxRecordBytesRange.contains(Int(bytes)) else {
                    throw PluginError.invalid(
                        "config.max_record_bytes must be an integer between \(Self.maxRecordBytesRange.lowerBound) "
                            + "and \(Self.maxRecordBytesRange.upperBound) (bytes)")
                }
                maxRecordBytes = Int(bytes)
            default:
                throw PluginError.invalid("config has unknown key '\(key)'")
            }
        }
        guard let path, !path.isEmpty else { throw PluginError.invalid("config.path is required") }
        self.path = path
        let (base, fileExtension) = Self.splitName(path)
        self.format = format ?? (["csv", "tsv"].contains(fileExtension) ? .csv : .jsonl)
        self.stream = stream ?? base
        if let delimiter {
            self.delimiter = delimiter
        } else if fileExtension == "tsv" {
            self.delimiter = 0x09
        }
        if self.stream.isEmpty { throw PluginError.invalid("config.stream must not be empty") }
    }

    private static func string(_ value: JSONValue, _ key: String) throws -> String {
        guard let text = value.stringValue else { throw PluginError.invalid("config.\(key) must be a string") }
        return text
    }

    /// The base name without its extension, and the lowercased extension.
    static func splitName(_ path: String) -> (base: String, fileExtension: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]).lowercased())
    }
}
