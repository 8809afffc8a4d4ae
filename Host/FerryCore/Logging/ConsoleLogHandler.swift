import FerryJSON
import FerryTime
import Foundation
import Logging

/// Writes log lines to standard error: `time level [pipeline] message key=value…`,
/// or one JSON object per line with `json: true`, with secrets redacted.
public struct ConsoleLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let json: Bool
    private let redactor: Redactor

    public init(label: String, level: Logger.Level, json: Bool = false, redactor: Redactor) {
        self.label = label
        self.logLevel = level
        self.json = json
        self.redactor = redactor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }
        let time = UTCTimestamp.string(secondsSince1970: Date().timeIntervalSince1970)
        var line: String
        if json {
            var object: JSONObject = [
                "time": .string(time), "level": .string(event.level.rawValue), "message": .string("\(event.message)"),
            ]
            for (key, value) in fields { object[key] = .string("\(value)") }
            line = JSONWriter(canonical: true).encodeString(.object(object))
        } else {
            let scope = fields["pipeline"].map { " [\($0)]" } ?? ""
            let rest = fields.filter { $0.key != "pipeline" }.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(quoted("\($0.value)"))" }.joined(separator: " ")
            line =
                "\(time) \(event.level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))\(scope) \(event.message)"
            if !rest.isEmpty { line += " " + rest }
        }
        FileHandle.standardError.write(Data((redactor.redact(line) + "\n").utf8))
    }

    private func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
            ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }
}
