/// Where an object key sits in the source: `start` is -1 for keys that had
/// escapes, which are then compared as strings.
struct KeySpan {
    var start: Int
    var count: Int
}

/// The byte-level engine behind `JSONParser` and the NDJSON reader.
///
/// It is a mutable struct so that the member and element stacks survive from
/// one document to the next: parsing a batch of lines then allocates only the
/// arrays that end up in the result.
struct JSONScanner {
    var base: UnsafePointer<UInt8>
    var end: Int = 0
    var position: Int = 0
    var depth: Int = 0
    let allowNonFinite: Bool
    let maximumDepth: Int
    // Open objects' members, kept as three parallel stacks: key spans let the
    // duplicate check compare raw bytes, and separate arrays keep element
    // copies specialised (tuples go through generic value witnesses).
    private var keyStack: [String] = []
    private var keySpanStack: [KeySpan] = []
    private var valueStack: [JSONValue] = []
    private var elementStack: [JSONValue] = []
    private var escapeBuffer: [UInt8] = []

    /// - Parameter reservingStacks: false for a scanner that only validates (it never uses the
    ///   stacks) or parses mostly scalars (they then grow only when a container needs them).
    init(options: JSONParser.Options, reservingStacks: Bool = true) {
        allowNonFinite = options.allowNonFiniteNumbers
        maximumDepth = options.maximumDepth
        base = UnsafePointer(bitPattern: 1)!
        guard reservingStacks else { return }
        keyStack.reserveCapacity(64)
        keySpanStack.reserveCapacity(64)
        valueStack.reserveCapacity(64)
        elementStack.reserveCapacity(64)
    }

    /// Parses `buffer` as one whole document.
    mutating func parseDocument(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        try begin(buffer)
        keyStack.removeAll(keepingCapacity: true)
        keySpanStack.removeAll(keepingCapacity: true)
        valueStack.removeAll(keepingCapacity: true)
        elementStack.removeAll(keepingCapacity: true)
        let value = try parseValue()
        try expectEnd()
        return value
    }

    /// Points the scanner at `buffer`, past a byte order mark; an empty buffer is an error.
    mutating func begin(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) {
        guard let start = buffer.baseAddress, buffer.count > 0 else {
            base = UnsafePointer(bitPattern: 1)!
            end = 0
            position = 0
            throw error("expected a JSON value but the input is empty", at: 0)
        }
        base = start.assumingMemoryBound(to: UInt8.self)
        end = buffer.count
        position = 0
        depth = 0
        if end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { position = 3 }
    }

    /// Nothing but whitespace may follow the document's value.
    mutating func expectEnd() throws(JSONParseError) {
        skipWhitespace()
        if position < end {
            throw error("unexpected \(describe(position)) after the JSON value", at: position)
        }
    }

    /// Parses `buffer` as one whole document that must be an object: a record.
    mutating func parseRecord(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONObject {
        let value = try parseDocument(buffer)
        if case .object(let object) = value { return object }
        position = end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF ? 3 : 0
        skipWhitespace()
        throw error("expected a JSON object (a record), got \(Self.kind(of: value))", at: position)
    }

    /// "an array", "a string", ... for messages.
    static func kind(of value: JSONValue) -> String {
        switch value {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .int, .double: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    // MARK: Values

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < end else { throw error("unexpected end of input, expected a JSON value", at: position) }
        switch base[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "N") where allowNonFinite: try expectLiteral("NaN"); return .double(.nan)
        case UInt8(ascii: "I") where allowNonFinite: try expectLiteral("Infinity"); return .double(.infinity)
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw error(
                "unexpected \(describe(position)), expected a JSON value (NaN and Infinity are not JSON)", at: position)
        default:
            throw error("unexpected \(describe(position)), expected a JSON value", at: position)
        }
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > maximumDepth {
            throw error("nesting deeper than \(maximumDepth) levels", at: position)
        }
        position += 1
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        skipWhitespace()
        if position < end && base[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(JSONObject())
        }
        let stackStart = keyStack.count
        var afterComma = false
        while true {
            skipWhitespace()
            guard position < end, base[position] == UInt8(ascii: "\"") else {
                throw missingKey(afterComma: afterComma)
            }
            let keyStart = position + 1
            let key = try parseString()
            // A key without escapes spans its source bytes exactly.
            let span =
                position - 1 - keyStart == key.utf8.count
                ? KeySpan(start: keyStart, count: position - 1 - keyStart) : KeySpan(start: -1, count: key.utf8.count)
            skipWhitespace()
            guard position < end, base[position] == UInt8(ascii: ":") else { throw missingColon() }
            position += 1
            let value = try parseValue()
            if let duplicate = indexOfKey(key, span: span, from: stackStart) {
                valueStack[duplicate] = value
            } else {
                keyStack.append(key)
                keySpanStack.append(span)
                valueStack.append(value)
            }
            if try endsContainer(closing: "}", after: "object member") { break }
            afterComma = true
        }
        let count = keyStack.count - stackStart
        let members = [(key: String, value: JSONValue)](unsafeUninitializedCapacity: count) { buffer, initialized in
            for offset in 0..<count {
                (buffer.baseAddress! + offset).initialize(
                    to: (keyStack[stackStart + offset], valueStack[stackStart + offset]))
            }
            initialized = count
        }
        keyStack.removeSubrange(stackStart...)
        keySpanStack.removeSubrange(stackStart...)
        valueStack.removeSubrange(stackStart...)
        depth -= 1
        return .object(JSONObject(uniqueMembers: members))
    }

    /// Reads what follows a member or element: true at the container's closing bracket,
    /// false after a comma (another item follows).
    mutating func endsContainer(closing: Unicode.Scalar, after item: String) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard position < end else {
            throw error("unexpected end of input, expected ',' or '\(closing)' after \(item)", at: position)
        }
        let byte = base[position]
        position += 1
        if byte == UInt8(ascii: ",") { return false }
        if byte == UInt8(ascii: closing) { return true }
        position -= 1
        throw error("expected ',' or '\(closing)' after \(item)", at: position)
    }

    func missingKey(afterComma: Bool) -> JSONParseError {
        let expected =
            afterComma
            ? "expected '\"' to begin an object key after ','" : "expected '\"' to begin an object key or '}'"
        return error(position < end ? expected : "unexpected end of input, \(expected)", at: position)
    }

    func missingColon() -> JSONParseError {
        error(
            position < end ? "expected ':' after object key" : "unexpected end of input, expected ':' after object key",
            at: position)
    }

    func trailingComma() -> JSONParseError {
        error("expected a JSON value after ',' (trailing commas are not JSON)", at: position)
    }

    /// The stack index of an earlier member of the current object with this key.
    @inline(__always)
    private func indexOfKey(_ key: String, span: KeySpan, from stackStart: Int) -> Int? {
        var index = stackStart
        while index < keySpanStack.count {
            let other = keySpanStack[index]
            if other.count == span.count {
                if span.start >= 0 && other.start >= 0 {
                    if memcmpEqual(base + span.start, base + other.start, span.count) { return index }
                } else if keyStack[index] == key {
                    return index
                }
            }
            index += 1
        }
        return nil
    }

    @inline(__always)
    private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            if a[offset] != b[offset] { return false }
            offset += 1
        }
        return true
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        skipWhitespace()
        if position < end && base[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array([])
        }
        let stackStart = elementStack.count
        while true {
            skipWhitespace()
            if position < end && base[position] == UInt8(ascii: "]") {
                throw trailingComma()
            }
            let value = try parseValue()
            elementStack.append(value)
            if try endsContainer(closing: "]", after: "array element") { break }
        }
        let elements = Array(elementStack[stackStart...])
        elementStack.removeSubrange(stackStart...)
        depth -= 1
        return .array(elements)
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let bytes = literal.utf8Start
        var index = 0
        while index < count {
            guard position + index < end, base[position + index] == bytes[index] else {
                throw error("invalid literal, expected '\(literal)'", at: position)
            }
            index += 1
        }
        position += count
    }

    // MARK: Strings

    /// Reads a string starting at its opening quote.
    private mutating func parseString() throws(JSONParseError) -> String {
        let open = position
        let start = position + 1
        let index = JSONStringBytes.firstSpecial(in: base, from: start, to: end)
        guard index < end else { throw error("unterminated string", at: open) }
        let byte = base[index]
        if byte == UInt8(ascii: "\"") {
            position = index + 1
            return try makeString(UnsafeBufferPointer(start: base + start, count: index - start), at: start)
        }
        if byte == UInt8(ascii: "\\") {
            return try parseEscapedString(open: open, start: start, firstEscape: index)
        }
        throw error("control character \(hex(byte)) in string must be escaped", at: index)
    }

    /// Makes a string from bytes that may hold non-ASCII text, refusing invalid UTF-8.
    /// (`String(validating:)` is generic and costs a metadata lookup per call.)
    private func makeString(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) throws(JSONParseError) -> String {
        let invalid = firstInvalidUTF8(bytes)
        guard invalid == bytes.count else {
            throw error("invalid UTF-8 in string", at: offset + invalid)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func parseEscapedString(open: Int, start: Int, firstEscape: Int) throws(JSONParseError) -> String {
        escapeBuffer.removeAll(keepingCapacity: true)
        escapeBuffer.append(contentsOf: UnsafeBufferPointer(start: base + start, count: firstEscape - start))
        var index = firstEscape
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                let invalid = escapeBuffer.withUnsafeBufferPointer { firstInvalidUTF8($0) }
                guard invalid == escapeBuffer.count else {
                    throw error("invalid UTF-8 in string", at: start + invalid)
                }
                return escapeBuffer.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
            }
            if byte < 0x20 {
                throw error("control character \(hex(byte)) in string must be escaped", at: index)
            }
            if byte != UInt8(ascii: "\\") {
                escapeBuffer.append(byte)
                index += 1
                continue
            }
            guard index + 1 < end else { break }
            let escaped = base[index + 1]
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): escapeBuffer.append(escaped)
            case UInt8(ascii: "b"): escapeBuffer.append(0x08)
            case UInt8(ascii: "f"): escapeBuffer.append(0x0C)
            case UInt8(ascii: "n"): escapeBuffer.append(0x0A)
            case UInt8(ascii: "r"): escapeBuffer.append(0x0D)
            case UInt8(ascii: "t"): escapeBuffer.append(0x09)
            case UInt8(ascii: "u"):
                let first = try readHex4(at: index + 2, escapeAt: index)
                var scalarValue = UInt32(first)
                var length = 6
                if (0xD800...0xDBFF).contains(first) {
                    guard index + 7 < end, base[index + 6] == UInt8(ascii: "\\"), base[index + 7] == UInt8(ascii: "u")
                    else {
                        throw error("unpaired surrogate \\u\(hex4(first)) in string", at: index)
                    }
                    let second = try readHex4(at: index + 8, escapeAt: index + 6)
                    guard (0xDC00...0xDFFF).contains(second) else {
                        throw error("unpaired surrogate \\u\(hex4(first)) in string", at: index)
                    }
                    scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
                    length = 12
                } else if (0xDC00...0xDFFF).contains(first) {
                    throw error("unpaired surrogate \\u\(hex4(first)) in string", at: index)
                }
                appendUTF8(Unicode.Scalar(scalarValue)!)
                index += length
                continue
            default:
                throw error("invalid escape sequence '\\\(describeByte(escaped))' in string", at: index)
            }
            index += 2
        }
        throw error("unterminated string", at: open)
    }

    func readHex4(at offset: Int, escapeAt: Int) throws(JSONParseError) -> UInt16 {
        guard offset + 4 <= end, let value = UTF8Validation.hexQuad(at: base + offset) else {
            throw error("invalid \\u escape in string, expected 4 hex digits", at: escapeAt)
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: Unicode.Scalar) {
        for unit in UTF8.encode(scalar)! { escapeBuffer.append(unit) }
    }

    // MARK: Numbers

    /// Where a number's parts are, once its grammar is checked.
    struct NumberSpan {
        var start: Int
        var integerStart: Int
        var integerEnd: Int
        var negative: Bool
        /// No fraction and no exponent.
        var integral: Bool
        var hasExponent: Bool
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        guard let number = try scanNumber() else { return .double(-.infinity) }
        if number.integral {
            let digitCount = number.integerEnd - number.integerStart
            if digitCount <= 18 {
                var value: Int64 = 0
                for offset in number.integerStart..<number.integerEnd {
                    value = value &* 10 &+ Int64(base[offset] &- 48)
                }
                return .int(number.negative ? -value : value)
            }
            // Accumulate negatively so that Int64.min fits.
            var value: Int64 = 0
            var overflow = false
            for offset in number.integerStart..<number.integerEnd {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.subtractingReportingOverflow(Int64(base[offset] &- 48))
                if o1 || o2 { overflow = true; break }
                value = next
            }
            if !overflow {
                if number.negative { return .int(value) }
                if value != .min { return .int(-value) }
            }
        }
        return .double(try double(of: number))
    }

    /// Checks a number as `parseNumber` does, converting it only when it could be out of range:
    /// the conversion was most of what validating a record's fractions cost.
    mutating func validateNumber() throws(JSONParseError) {
        guard let number = try scanNumber() else { return }
        // Without an exponent, fewer than 309 integer digits stay below Double's largest value.
        if !number.hasExponent && number.integerEnd - number.integerStart < 309 { return }
        _ = try double(of: number)
    }

    /// Checks a number's grammar from its first byte and moves past it; nil when it was
    /// `-Infinity` (accepted only with `allowNonFinite`).
    private mutating func scanNumber() throws(JSONParseError) -> NumberSpan? {
        let start = position
        var index = position
        let negative = base[index] == UInt8(ascii: "-")
        if negative {
            index += 1
            if allowNonFinite && index < end && base[index] == UInt8(ascii: "I") {
                position = index
                try expectLiteral("Infinity")
                return nil
            }
        }
        guard index < end, isDigit(base[index]) else {
            throw error("expected a digit after '-'", at: index)
        }
        let integerStart = index
        if base[index] == UInt8(ascii: "0") {
            index += 1
            if index < end && isDigit(base[index]) {
                throw error("leading zeros are not allowed in numbers", at: integerStart)
            }
        } else {
            while index < end && isDigit(base[index]) { index += 1 }
        }
        let integerEnd = index
        var integral = true
        if index < end && base[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(base[index]) else {
                throw error("expected a digit after the decimal point", at: index)
            }
            while index < end && isDigit(base[index]) { index += 1 }
            integral = false
        }
        var hasExponent = false
        if index < end && (base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E")) {
            index += 1
            if index < end && (base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-")) { index += 1 }
            guard index < end, isDigit(base[index]) else {
                throw error("expected a digit in the exponent", at: index)
            }
            while index < end && isDigit(base[index]) { index += 1 }
            integral = false
            hasExponent = true
        }
        position = index
        return NumberSpan(
            start: start, integerStart: integerStart, integerEnd: integerEnd, negative: negative,
            integral: integral, hasExponent: hasExponent)
    }

    /// The number ending at `position` as a double; out of range is an error unless `allowNonFinite`.
    private func double(of number: NumberSpan) throws(JSONParseError) -> Double {
        let text = String(
            decoding: UnsafeBufferPointer(start: base + number.start, count: position - number.start), as: UTF8.self)
        guard let double = Double(text) else {
            throw error("invalid number '\(text)'", at: number.start)
        }
        if !double.isFinite && !allowNonFinite {
            throw error("number \(text) is out of range for a double", at: number.start)
        }
        return double
    }

    // MARK: Helpers

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            let byte = base[position]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    func describe(_ offset: Int) -> String {
        let byte = base[offset]
        // A byte above 0x7F here starts no JSON token: name the byte, not a code point it is not.
        if byte >= 0x80 {
            return "byte 0x\(String(byte, radix: 16, uppercase: true)) (JSON text outside strings is ASCII)"
        }
        return "character '\(describeByte(byte))'"
    }

    func describeByte(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
        return hex(byte)
    }

    func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: 4 - digits.count) + digits
    }

    func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// The length of the valid UTF-8 prefix of `bytes` (see `UTF8Validation`).
    @inline(__always)
    func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        UTF8Validation.validPrefixLength(of: bytes)
    }

    /// Builds an error at `offset`, computing its line and column (in scalars).
    func error(_ message: String, at offset: Int) -> JSONParseError {
        var line = 1
        var column = 1
        var index = 0
        let limit = min(offset, end)
        while index < limit {
            let byte = base[index]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return JSONParseError(message: message, offset: offset, line: line, column: column)
    }
}
