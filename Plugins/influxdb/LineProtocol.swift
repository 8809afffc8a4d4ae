/// InfluxDB line protocol escaping, as the reference states it: a backslash
/// before each special character, nothing else.
///
/// | element | escaped |
/// |---|---|
/// | measurement | comma, space |
/// | tag key, tag value, field key | comma, equals sign, space |
/// | string field value | double quote, backslash |
///
/// Some names and tag values cannot be written at all (line breaks, a backslash
/// before an escaped character): ``checkName(_:what:isMeasurement:)`` refuses them
/// before anything is encoded.
enum LineProtocol {
    /// A measurement name with commas and spaces escaped.
    /// - Parameter name: The measurement.
    static func measurement(_ name: String) -> String {
        escape(name) { $0 == comma || $0 == space }
    }

    /// A tag key, tag value or field key with commas, equals signs and spaces escaped.
    /// - Parameter text: The key or value.
    static func key(_ text: String) -> String {
        escape(text) { $0 == comma || $0 == equals || $0 == space }
    }

    /// A string field value in double quotes, with quotes and backslashes escaped.
    /// - Parameter text: The value.
    static func quoted(_ text: String) -> String {
        "\"" + escape(text) { $0 == quote || $0 == backslash } + "\""
    }

    /// Throws the reason `text` cannot be a measurement, tag key, tag value or
    /// field key. InfluxDB 1.x unescapes only `\,`, `\=` and `\ ` in these, and
    /// its scanner skips whatever follows a backslash, so a backslash right
    /// before a character that needs escaping (or at the end) cannot be written
    /// in a way that reads back the same; line breaks cannot be written at all.
    /// - Parameters:
    ///   - text: The name or value.
    ///   - what: What it is, for the message ("tag key 'site'").
    ///   - isMeasurement: Whether `text` is a measurement (where `=` needs no escape).
    static func checkName(_ text: String, what: String, isMeasurement: Bool = false) throws(RecordError) {
        if text.isEmpty { throw RecordError("\(what) is empty") }
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() {
            if byte == 10 || byte == 13 {
                throw RecordError("\(what) contains a line break, which line protocol cannot carry")
            }
            guard byte == UInt8(ascii: "\\") else { continue }
            let next = index + 1 < bytes.count ? bytes[index + 1] : nil
            let special =
                next == nil || next == UInt8(ascii: ",") || next == UInt8(ascii: " ")
                || (!isMeasurement && next == UInt8(ascii: "="))
            if special {
                throw RecordError(
                    "\(what) has a backslash \(next == nil ? "at its end" : "before a comma, space or equals sign"), "
                        + "which line protocol cannot carry")
            }
        }
    }

    private static let comma = UInt8(ascii: ","), space = UInt8(ascii: " "), equals = UInt8(ascii: "=")
    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    private static func escape(_ text: String, _ special: (UInt8) -> Bool) -> String {
        guard text.utf8.contains(where: special) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            if special(byte) { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
