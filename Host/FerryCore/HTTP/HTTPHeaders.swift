/// An ordered list of HTTP header fields with case-insensitive lookup.
///
/// Keeps duplicates (`Set-Cookie`, `Link`) in the order received. Parses the
/// raw header block libcurl hands over and renders the `Name: value\n` lines
/// the plugin ABI returns.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    /// One header field.
    public struct Field: Sendable, Equatable {
        /// The field name as received or given (compared case-insensitively).
        public var name: String
        /// The field value, without surrounding whitespace.
        public var value: String

        /// Creates a field.
        /// - Parameters:
        ///   - name: The field name.
        ///   - value: The field value.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates headers from fields.
    /// - Parameter fields: The fields, in order.
    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// Creates headers from name/value pairs.
    /// - Parameter pairs: The pairs, in order.
    public init(pairs: [(String, String)]) {
        self.fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Parses a raw header block: `Name: value` lines separated by CRLF or LF.
    /// Status lines (`HTTP/1.1 200 OK`) and lines without a colon are skipped.
    /// - Parameter block: The raw text.
    public init(parsing block: String) {
        var fields: [Field] = []
        for line in block.split(
            omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        {
            guard !line.hasPrefix("HTTP/"), let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingWhitespace()
            guard !name.isEmpty else { continue }
            fields.append(
                Field(name: String(name), value: String(line[line.index(after: colon)...].trimmingWhitespace())))
        }
        self.fields = fields
    }

    /// The first value of `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name.lowercased() == wanted }?.value
    }

    /// Every value of `name`, in order.
    /// - Parameter name: The field name, compared case-insensitively.
    public func values(for name: String) -> [String] {
        let wanted = name.lowercased()
        return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// Whether a field named `name` is present.
    /// - Parameter name: The field name, compared case-insensitively.
    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field, keeping any existing one of the same name.
    /// - Parameters:
    ///   - name: The field name.
    ///   - value: The field value.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field named `name` with one field.
    /// - Parameters:
    ///   - name: The field name.
    ///   - value: The new value.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// Removes every field named `name`.
    /// - Parameter name: The field name, compared case-insensitively.
    public mutating func remove(_ name: String) {
        let wanted = name.lowercased()
        fields.removeAll { $0.name.lowercased() == wanted }
    }

    /// The `Name: value\n` lines of the plugin ABI's response headers.
    public var text: String {
        fields.map { "\($0.name): \($0.value)\n" }.joined()
    }

    /// Iterates over the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Names whose values are credentials and must never be printed.
    public static let sensitiveNames: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token",
    ]

    /// Whether a header named `name` carries credentials (its value is redacted wherever printed).
    /// - Parameter name: The header name.
    public static func isSensitive(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return sensitiveNames.contains(lowered) || lowered.contains("token") || lowered.contains("secret")
            || lowered.contains("password") || lowered.hasSuffix("-key")
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return text
    }
}
