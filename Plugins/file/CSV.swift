import FerryJSON

/// A small RFC 4180 reader and writer: quoted fields, doubled quotes inside
/// them, and commas, CRs and newlines embedded in quoted fields.
///
/// The reader is fed one physical line at a time (without its `\n`), so it
/// works on top of the block reader and never needs the whole file: a record
/// whose quoted field spans lines simply completes on a later line.
enum CSV {
    /// One field as read: its text and whether it was quoted. Quoted fields are
    /// never type-inferred, so `"007"` stays a string and `""` an empty string.
    struct Field: Equatable {
        var text: String
        var quoted: Bool
    }

    /// Incremental record parser; see `feed(line:)`.
    struct Parser {
        let delimiter: UInt8
        private var fields: [Field] = []
        private var field: [UInt8] = []
        private var quoted = false
        private var inQuotes = false
        private var quotePending = false

        init(delimiter: UInt8) {
            self.delimiter = delimiter
        }

        /// True while a quoted field is open, i.e. the record continues on the next line.
        var isInsideQuotes: Bool { inQuotes }

        /// Feeds one physical line without its `\n`.
        /// - Returns: the completed record, or nil when a quoted field continues
        ///   on the next line. A blank line gives an empty array.
        mutating func feed(line: UnsafeRawBufferPointer) -> [Field]? {
            let quote = UInt8(ascii: "\"")
            let count = line.count
            var index = 0
            while index < count {
                let byte = line[index]
                index += 1
                if inQuotes {
                    if quotePending {
                        quotePending = false
                        if byte == quote {
                            field.append(quote)
                            continue
                        }
                        inQuotes = false // that quote closed the field; handle `byte` outside quotes
                    } else if byte == quote {
                        quotePending = true
                        continue
                    } else {
                        field.append(byte)
                        continue
                    }
                }
                if byte == delimiter {
                    endField()
                } else if byte == quote && field.isEmpty && !quoted {
                    quoted = true
                    inQuotes = true
                } else if byte == 0x0D && index == count {
                    // The CR of a CRLF line ending.
                } else {
                    field.append(byte) // lenient: a stray quote in an unquoted field is kept
                }
            }
            if inQuotes && quotePending {
                inQuotes = false
                quotePending = false
            }
            if inQuotes {
                field.append(0x0A)
                return nil
            }
            endField()
            defer { fields.removeAll(keepingCapacity: true) }
            if fields.count == 1 && !fields[0].quoted && fields[0].text.isEmpty { return [] }
            return fields
        }

        private mutating func endField() {
            fields.append(Field(text: String(decoding: field, as: UTF8.self), quoted: quoted))
            field.removeAll(keepingCapacity: true)
            quoted = false
        }
    }

    /// The JSON value of an unquoted field when types are inferred: integers
    /// (no leading zeros, fitting 64 bits), decimals, `true`/`false` (any case)
    /// and empty as null; anything else stays a string.
    static func inferredValue(_ text: String) -> JSONValue {
        if text.isEmpty { return .null }
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        var digits = text.utf8[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        guard let first = digits.first, (0x30...0x39).contains(first) else { return .string(text) }
        var integerPart = 0
        for byte in digits {
            guard (0x30...0x39).contains(byte) else { break }
            integerPart += 1
        }
        if integerPart > 1 && first == UInt8(ascii: "0") { return .string(text) } // "007" is an identifier
        if integerPart == digits.count {
            if let integer = Int64(text) { return .int(integer) }
            return .string(text)
        }
        // A decimal: digits, then a fraction and/or an exponent, nothing else.
        var rest = digits.dropFirst(integerPart)
        var sawFraction = false
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let fraction = rest.prefix { (0x30...0x39).contains($0) }.count
            guard fraction > 0 else { return .string(text) }
            rest = rest.dropFirst(fraction)
            sawFraction = true
        }
        if rest.first == UInt8(ascii: "e") || rest.first == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: "-") { rest = rest.dropFirst() }
            let exponent = rest.prefix { (0x30...0x39).contains($0) }.count
            guard exponent > 0 else { return .string(text) }
            rest = rest.dropFirst(exponent)
            sawFraction = true
        }
        guard sawFraction, rest.isEmpty, let value = Double(text), value.isFinite else { return .string(text) }
        return .double(value)
    }

    /// Appends one field, quoting it when it holds the delimiter, a quote, CR or
    /// LF, leading or trailing spaces, or when `forceQuote` is set.
    static func appendField(_ text: String, delimiter: UInt8, forceQuote: Bool, to buffer: inout [UInt8]) {
        let utf8 = text.utf8
        let needsQuotes =
            forceQuote || utf8.first == 0x20 || utf8.last == 0x20
            || utf8.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            buffer.append(contentsOf: utf8)
            return
        }
        buffer.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { buffer.append(byte) }
            buffer.append(byte)
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Appends a JSON value as a field so that reading it back with type
    /// inference gives the same value: strings that would read as another type
    /// (`"42"`, `"true"`, `""`) are quoted; null is an empty field; objects and
    /// arrays are written as JSON text.
    static func appendValue(_ value: JSONValue, delimiter: UInt8, to buffer: inout [UInt8]) {
        switch value {
        case .null:
            break
        case .string(let text):
            let ambiguous: Bool
            if case .string = inferredValue(text) { ambiguous = false } else { ambiguous = true }
            appendField(text, delimiter: delimiter, forceQuote: ambiguous, to: &buffer)
        case .int, .double, .bool:
            buffer.append(contentsOf: JSONWriter().encode(value))
        case .array, .object:
            appendField(JSONWriter().encodeString(value), delimiter: delimiter, forceQuote: false, to: &buffer)
        }
    }

    /// Appends a header or data row ending in CRLF, as RFC 4180 writes it.
    static func appendRow(_ fields: [String], delimiter: UInt8, to buffer: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(delimiter) }
            appendField(field, delimiter: delimiter, forceQuote: false, to: &buffer)
        }
        buffer.append(contentsOf: [0x0D, 0x0A])
    }
}
