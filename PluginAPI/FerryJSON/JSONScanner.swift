/// The byte-level engine behind `JSONParser` and the NDJSON reader.
///
/// It is a mutable struct so that the member and element stacks survive from
/// one document to the next: parsing a batch of lines then allocates only the
/// arrays that end up in the result.
struct JSONScanner {
    private var base: UnsafePointer<UInt8>
    private var end: Int = 0
    private var position: Int = 0
    private var depth: Int = 0
    private let allowNonFinite: Bool
    private let maximumDepth: Int
    private var memberStack: [(key: String, value: JSONValue)] = []
    private var elementStack: [JSONValue] = []
    private var escapeBuffer: [UInt8] = []

    init(options: JSONParser.Options) {
        allowNonFinite = options.allowNonFiniteNumbers
        maximumDepth = options.maximumDepth
        base = UnsafePointer(bitPattern: 1)!
        memberStack.reserveCapacity(64)
        elementStack.reserveCapacity(64)
    }

    /// Parses `buffer` as one whole document.
    mutating func parseDocument(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
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
        memberStack.removeAll(keepingCapacity: true)
        elementStack.removeAll(keepingCapacity: true)
        if end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { position = 3 }
        let value = try parseValue()
        skipWhitespace()
        if position < end {
            throw error("unexpected \(describe(position)) after the JSON value", at: position)
        }
        return value
    }

    // MARK: Values

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
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
            throw error("unexpected \(describe(position)), expected a JSON value (NaN and Infinity are not JSON)", at: position)
        default:
            throw error("unexpected \(describe(position)), expected a JSON value", at: position)
        }
    }

    private mutating func enterContainer() throws(JSONParseError) {
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
        let stackStart = memberStack.count
        var afterComma = false
        while true {
            skipWhitespace()
            guard position < end, base[position] == UInt8(ascii: "\"") else {
                let expected = afterComma ? "expected '\"' to begin an object key after ','"
                    : "expected '\"' to begin an object key or '}'"
                throw error(position < end ? expected : "unexpected end of input, \(expected)", at: position)
            }
            let key = try parseString()
            skipWhitespace()
            guard position < end, base[position] == UInt8(ascii: ":") else {
                throw error(position < end ? "expected ':' after object key" : "unexpected end of input, expected ':' after object key", at: position)
            }
            position += 1
            let value = try parseValue()
            var duplicate = false
            var index = stackStart
            while index < memberStack.count {
                if memberStack[index].key == key {
                    memberStack[index].value = value
                    duplicate = true
                    break
                }
                index += 1
            }
            if !duplicate { memberStack.append((key, value)) }
            skipWhitespace()
            guard position < end else {
                throw error("unexpected end of input, expected ',' or '}' after object member", at: position)
            }
            let byte = base[position]
            position += 1
            if byte == UInt8(ascii: ",") { afterComma = true; continue }
            if byte == UInt8(ascii: "}") { break }
            position -= 1
            throw error("expected ',' or '}' after object member", at: position)
        }
        let members = Array(memberStack[stackStart...])
        memberStack.removeSubrange(stackStart...)
        depth -= 1
        return .object(JSONObject(uniqueMembers: members))
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
                throw error("expected a JSON value after ',' (trailing commas are not JSON)", at: position)
            }
            let value = try parseValue()
            elementStack.append(value)
            skipWhitespace()
            guard position < end else {
                throw error("unexpected end of input, expected ',' or ']' after array element", at: position)
            }
            let byte = base[position]
            position += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "]") { break }
            position -= 1
            throw error("expected ',' or ']' after array element", at: position)
        }
        let elements = Array(elementStack[stackStart...])
        elementStack.removeSubrange(stackStart...)
        depth -= 1
        return .array(elements)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
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
        var index = start
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return try makeString(UnsafeBufferPointer(start: base + start, count: index - start), at: start)
            }
            if byte == UInt8(ascii: "\\") {
                return try parseEscapedString(open: open, start: start, firstEscape: index)
            }
            if byte < 0x20 {
                throw error("control character \(hex(byte)) in string must be escaped", at: index)
            }
            index += 1
        }
        throw error("unterminated string", at: open)
    }

    private func makeString(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) throws(JSONParseError) -> String {
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw error("invalid UTF-8 in string", at: offset + firstInvalidUTF8(bytes))
        }
        return string
    }

    private mutating func parseEscapedString(open: Int, start: Int, firstEscape: Int) throws(JSONParseError) -> String {
        escapeBuffer.removeAll(keepingCapacity: true)
        escapeBuffer.append(contentsOf: UnsafeBufferPointer(start: base + start, count: firstEscape - start))
        var index = firstEscape
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                let result = escapeBuffer.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
                guard let result else {
                    let offset = escapeBuffer.withUnsafeBufferPointer { firstInvalidUTF8($0) }
                    throw error("invalid UTF-8 in string", at: start + offset)
                }
                return result
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
                    guard index + 7 < end, base[index + 6] == UInt8(ascii: "\\"), base[index + 7] == UInt8(ascii: "u") else {
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

    private func readHex4(at offset: Int, escapeAt: Int) throws(JSONParseError) -> UInt16 {
        guard offset + 4 <= end else { throw error("incomplete \\u escape in string", at: escapeAt) }
        var value: UInt16 = 0
        for index in offset..<(offset + 4) {
            let byte = base[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape in string, expected 4 hex digits", at: escapeAt)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: Unicode.Scalar) {
        for unit in UTF8.encode(scalar)! { escapeBuffer.append(unit) }
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var index = position
        let negative = base[index] == UInt8(ascii: "-")
        if negative {
            index += 1
            if allowNonFinite && index < end && base[index] == UInt8(ascii: "I") {
                position = index
                try expectLiteral("Infinity")
                return .double(-.infinity)
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
        if index < end && (base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E")) {
            index += 1
            if index < end && (base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-")) { index += 1 }
            guard index < end, isDigit(base[index]) else {
                throw error("expected a digit in the exponent", at: index)
            }
            while index < end && isDigit(base[index]) { index += 1 }
            integral = false
        }
        position = index
        if integral {
            let digitCount = integerEnd - integerStart
            if digitCount <= 18 {
                var value: Int64 = 0
                for offset in integerStart..<integerEnd { value = value &* 10 &+ Int64(base[offset] &- 48) }
                return .int(negative ? -value : value)
            }
            // Accumulate negatively so that Int64.min fits.
            var value: Int64 = 0
            var overflow = false
            for offset in integerStart..<integerEnd {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.subtractingReportingOverflow(Int64(base[offset] &- 48))
                if o1 || o2 { overflow = true; break }
                value = next
            }
            if !overflow {
                if negative { return .int(value) }
                if value != .min { return .int(-value) }
            }
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: index - start), as: UTF8.self)
        guard let double = Double(text) else {
            throw error("invalid number '\(text)'", at: start)
        }
        if !double.isFinite && !allowNonFinite {
            throw error("number \(text) is out of range for a double", at: start)
        }
        return .double(double)
    }

    // MARK: Helpers

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    @inline(__always)
    private mutating func skipWhitespace() {
        while position < end {
            let byte = base[position]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    private func describe(_ offset: Int) -> String {
        "character '\(describeByte(base[offset]))'"
    }

    private func describeByte(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
        return hex(byte)
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: 4 - digits.count) + digits
    }

    private func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    private func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput, .error: return offset
            }
        }
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
