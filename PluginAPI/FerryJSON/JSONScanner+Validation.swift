/// Checking a document against the parser's rules without building it.
///
/// A destination that stores a nested value as the JSON text it came as must still refuse
/// what the parser would refuse; building the value only to drop it cost more than the
/// insert itself (an object, a string per member, then their release). The walk mirrors
/// the parse rule for rule, with the same messages, but allocates nothing on well-formed
/// input.
extension JSONScanner {
    /// Checks `buffer` as one whole document.
    mutating func validateDocument(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) {
        try begin(buffer)
        try validateValue()
        try expectEnd()
    }

    private mutating func validateValue() throws(JSONParseError) {
        skipWhitespace()
        guard position < end else { throw error("unexpected end of input, expected a JSON value", at: position) }
        switch base[position] {
        case UInt8(ascii: "{"): try validateObject()
        case UInt8(ascii: "["): try validateArray()
        case UInt8(ascii: "\""): try validateString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try validateNumber()
        default:
            // Literals and what is not a value: the parse builds nothing here either.
            _ = try parseValue()
        }
    }

    private mutating func validateObject() throws(JSONParseError) {
        try enterContainer()
        skipWhitespace()
        if position < end && base[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        var afterComma = false
        while true {
            skipWhitespace()
            guard position < end, base[position] == UInt8(ascii: "\"") else {
                throw missingKey(afterComma: afterComma)
            }
            try validateString()
            skipWhitespace()
            guard position < end, base[position] == UInt8(ascii: ":") else { throw missingColon() }
            position += 1
            try validateValue()
            if try endsContainer(closing: "}", after: "object member") { break }
            afterComma = true
        }
        depth -= 1
    }

    private mutating func validateArray() throws(JSONParseError) {
        try enterContainer()
        skipWhitespace()
        if position < end && base[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            if position < end && base[position] == UInt8(ascii: "]") { throw trailingComma() }
            try validateValue()
            if try endsContainer(closing: "]", after: "array element") { break }
        }
        depth -= 1
    }

    /// A string from its opening quote: control characters, escapes and UTF-8 as the parse checks them,
    /// in its order (UTF-8 last, at the closing quote). Escapes decode to whole scalars, so checking the
    /// raw runs between them is the same UTF-8 check as the parse's of the decoded string.
    private mutating func validateString() throws(JSONParseError) {
        let open = position
        var index = position + 1
        var run = index
        var firstInvalidUTF8Offset: Int?
        while index < end {
            index = JSONStringBytes.firstSpecial(in: base, from: index, to: end)
            guard index < end else { break }
            let byte = base[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if firstInvalidUTF8Offset == nil {
                    let valid = firstInvalidUTF8(UnsafeBufferPointer(start: base + run, count: index - run))
                    if run + valid < index { firstInvalidUTF8Offset = run + valid }
                }
                if byte == UInt8(ascii: "\"") {
                    if let offset = firstInvalidUTF8Offset { throw error("invalid UTF-8 in string", at: offset) }
                    position = index + 1
                    return
                }
                guard index + 1 < end else { break }
                index = try skipEscape(at: index)
                run = index
                continue
            }
            throw error("control character \(hex(byte)) in string must be escaped", at: index)
        }
        throw error("unterminated string", at: open)
    }

    /// The offset after the escape at `index` (a backslash with at least one byte after it).
    private func skipEscape(at index: Int) throws(JSONParseError) -> Int {
        let escaped = base[index + 1]
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index + 2
        case UInt8(ascii: "u"):
            let first = try readHex4(at: index + 2, escapeAt: index)
            if (0xDC00...0xDFFF).contains(first) {
                throw error("unpaired surrogate \\u\(hex4(first)) in string", at: index)
            }
            guard (0xD800...0xDBFF).contains(first) else { return index + 6 }
            guard index + 7 < end, base[index + 6] == UInt8(ascii: "\\"), base[index + 7] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate \\u\(hex4(first)) in string", at: index)
            }
            let second = try readHex4(at: index + 8, escapeAt: index + 6)
            guard (0xDC00...0xDFFF).contains(second) else {
                throw error("unpaired surrogate \\u\(hex4(first)) in string", at: index)
            }
            return index + 12
        default:
            throw error("invalid escape sequence '\\\(describeByte(escaped))' in string", at: index)
        }
    }
}
