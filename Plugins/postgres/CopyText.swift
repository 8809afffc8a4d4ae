import FerryJSON

/// COPY's text format for one field, written straight from a record's raw JSON bytes.
///
/// The encoder used to parse every record into a `JSONObject` and write each value out
/// again; most values need neither. This handles the common values exactly as that path
/// writes them (``RowWriter/columnText(of:asJSON:into:)`` then COPY escaping) and says
/// "not mine" for every other, which then takes the parsed path: so the two can never
/// disagree about a value this one accepts.
enum CopyText {
    /// What a column does with the text it is given, as far as the raw encoder cares.
    enum Column {
        /// Takes the scalar's text (text, integers, booleans, timestamps…).
        case plain
        /// `double precision`: any JSON decimal reads back to the same double a parsed
        /// value's shortest text does (both round correctly), so decimals go raw too.
        case double
        /// `json`: stores the text verbatim, so only what the parsed path writes byte for byte.
        case json
        /// `jsonb`: stores the value, not the text; raw JSON whose value the parsed path
        /// would not change (no decimals, which it would rewrite) goes as it is.
        case jsonb

        init(type: String) {
            switch type {
            case "double precision": self = .double
            case "json": self = .json
            case "jsonb": self = .jsonb
            default: self = .plain
            }
        }

        /// Whether the parsed path sends values of this column as JSON text.
        var isJSON: Bool { self == .json || self == .jsonb }
    }

    /// The bytes COPY's text format must escape inside a field, with the letter after the backslash.
    @inline(__always)
    static func escapeLetter(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "\\"): return UInt8(ascii: "\\")
        case UInt8(ascii: "\t"): return UInt8(ascii: "t")
        case UInt8(ascii: "\n"): return UInt8(ascii: "n")
        case UInt8(ascii: "\r"): return UInt8(ascii: "r")
        default: return nil
        }
    }

    /// Appends `bytes` with COPY's escapes.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to data: inout [UInt8]) {
        // Bytes that need no escape are copied in runs, not one by one.
        var runStart = 0
        for (index, byte) in bytes.enumerated() where escapeLetter(byte) != nil {
            data.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            appendEscaped(byte, to: &data)
            runStart = index + 1
        }
        data.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }

    /// Appends one byte with COPY's escapes.
    @inline(__always)
    static func appendEscaped(_ byte: UInt8, to data: inout [UInt8]) {
        if let letter = escapeLetter(byte) {
            data.append(UInt8(ascii: "\\"))
            data.append(letter)
        } else {
            data.append(byte)
        }
    }

    /// Appends the field for one raw JSON value (`raw` spans exactly the value).
    /// - Returns: false, having appended nothing, for a value left to the parsed path: objects,
    ///   arrays, numbers other than plain 64-bit integers, strings in json/jsonb columns, strings
    ///   holding NUL or invalid JSON, and anything malformed.
    static func append(raw: UnsafeRawBufferPointer, column: Column, to data: inout [UInt8]) -> Bool {
        guard let first = raw.first else { return false }
        switch first {
        case UInt8(ascii: "\""):
            switch column {
            case .plain, .double: return appendString(raw, to: &data)
            case .json: return false
            case .jsonb: return appendJSONB(raw, to: &data)
            }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            return column == .jsonb && appendJSONB(raw, to: &data)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard isPlainInteger(raw) || (column == .double && isPlainDecimal(raw)) else { return false }
            data.append(contentsOf: raw)
            return true
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            // The text of a boolean is its JSON literal, in a json column too.
            guard raw.elementsEqual("true".utf8) || raw.elementsEqual("false".utf8) else { return false }
            data.append(contentsOf: raw)
            return true
        case UInt8(ascii: "n"):
            guard raw.elementsEqual("null".utf8) else { return false }
            data.append(UInt8(ascii: "\\"))
            data.append(UInt8(ascii: "N"))
            return true
        default:
            return false
        }
    }

    /// Whether a raw number is an integer the parser reads as `.int` and writes back with
    /// the same digits: no fraction or exponent, no leading zero, not `-0`, at most 18 digits
    /// (so it fits in Int64 without checking).
    static func isPlainInteger(_ raw: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        if raw.first == UInt8(ascii: "-") { start = 1 }
        let digits = raw.count - start
        guard digits >= 1, digits <= 18 else { return false }
        if raw[start] == UInt8(ascii: "0") && (digits > 1 || start == 1) { return false }
        for index in start..<raw.count where raw[index] &- UInt8(ascii: "0") >= 10 { return false }
        return true
    }

    /// Whether a raw number is `-?digits.digits` (JSON's grammar, no exponent, so finite).
    static func isPlainDecimal(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard raw.count <= 300 else { return false }
        var index = raw.first == UInt8(ascii: "-") ? 1 : 0
        let integerStart = index
        while index < raw.count, raw[index] &- UInt8(ascii: "0") < 10 { index += 1 }
        let integerDigits = index - integerStart
        guard integerDigits >= 1, integerDigits == 1 || raw[integerStart] != UInt8(ascii: "0") else { return false }
        guard index < raw.count, raw[index] == UInt8(ascii: ".") else { return false }
        index += 1
        let fractionStart = index
        while index < raw.count, raw[index] &- UInt8(ascii: "0") < 10 { index += 1 }
        return index > fractionStart && index == raw.count
    }

    /// A jsonb column's raw JSON, COPY-escaped, when `PlainJSON` vouches for it.
    private static func appendJSONB(_ raw: UnsafeRawBufferPointer, to data: inout [UInt8]) -> Bool {
        var checker = PlainJSON(raw)
        guard checker.isPlain() else { return false }
        appendEscaped(
            UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count),
            to: &data)
        return true
    }

    /// Whether a raw string (quotes included) needs no decoding to be its own text: no
    /// escapes, no control characters, valid UTF-8. Its JSON form is then `raw` itself.
    static func isVerbatimString(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\"") else { return false }
        var highBits: UInt8 = 0
        for index in 1..<(raw.count - 1) {
            let byte = raw[index]
            if byte < 0x20 || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { return false }
            highBits |= byte
        }
        return highBits < 0x80 || isValidUTF8(raw, from: 1, to: raw.count - 1)
    }

    /// Decodes a raw JSON string (quotes included) into the field: JSON escapes undone,
    /// COPY's escapes applied. False for NUL, an unpaired surrogate, a bad escape, a raw
    /// control character or invalid UTF-8 (the parsed path rejects those with its reasons).
    private static func appendString(_ raw: UnsafeRawBufferPointer, to data: inout [UInt8]) -> Bool {
        guard raw.count >= 2, raw.last == UInt8(ascii: "\"") else { return false }
        let mark = data.count
        let end = raw.count - 1
        var highBits: UInt8 = 0
        var index = 1
        var runStart = 1
        while index < end {
            let byte = raw[index]
            // Bytes that need nothing are copied in runs, not one by one.
            if byte >= 0x20 && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "\"") {
                highBits |= byte
                index += 1
                continue
            }
            if runStart < index { data.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<index])) }
            guard byte == UInt8(ascii: "\\"), index + 1 < end,
                let length = appendEscape(raw, at: index, end: end, to: &data)
            else {
                data.removeSubrange(mark...)
                return false
            }
            index += length
            runStart = index
        }
        if runStart < end { data.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<end])) }
        // Escapes decode to valid UTF-8 of their own, so checking the raw bytes checks the text.
        if highBits >= 0x80 && !isValidUTF8(raw, from: 1, to: end) {
            data.removeSubrange(mark...)
            return false
        }
        return true
    }

    /// Decodes the escape at `index` (a backslash) into the field.
    /// - Returns: The escape's length in `raw`, or nil when the parsed path must decide.
    private static func appendEscape(_ raw: UnsafeRawBufferPointer, at index: Int, end: Int, to data: inout [UInt8])
        -> Int?
    {
        let decoded: UInt8
        switch raw[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "/"): decoded = raw[index + 1]
        case UInt8(ascii: "\\"): decoded = UInt8(ascii: "\\")
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            guard let (scalar, length) = unicodeEscape(raw, at: index, end: end), let units = UTF8.encode(scalar) else {
                return nil
            }
            for unit in units { appendEscaped(unit, to: &data) }
            return length
        default:
            return nil
        }
        appendEscaped(decoded, to: &data)
        return 2
    }

    /// The scalar of the `\u` escape at `index` (its backslash) and the escape's length (12
    /// for a surrogate pair), read as the parser reads it; nil for a malformed escape, an
    /// unpaired surrogate, or NUL (which no text column stores).
    static func unicodeEscape(_ raw: UnsafeRawBufferPointer, at index: Int, end: Int) -> (Unicode.Scalar, Int)? {
        guard let first = hex4(raw, at: index + 2, end: end), first != 0 else { return nil }
        if (0xD800...0xDBFF).contains(first) {
            guard index + 7 < end, raw[index + 6] == UInt8(ascii: "\\"), raw[index + 7] == UInt8(ascii: "u"),
                let second = hex4(raw, at: index + 8, end: end), (0xDC00...0xDFFF).contains(second)
            else { return nil }
            let value = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            return Unicode.Scalar(value).map { ($0, 12) }
        }
        return Unicode.Scalar(UInt32(first)).map { ($0, 6) }
    }

    private static func hex4(_ raw: UnsafeRawBufferPointer, at offset: Int, end: Int) -> UInt16? {
        guard offset + 4 <= end, let base = raw.baseAddress else { return nil }
        return UTF8Validation.hexQuad(at: base.assumingMemoryBound(to: UInt8.self) + offset)
    }

    private static func isValidUTF8(_ raw: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        let bytes = UnsafeBufferPointer(
            start: raw.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + start }, count: end - start)
        return UTF8Validation.validPrefixLength(of: bytes) == bytes.count
    }
}
