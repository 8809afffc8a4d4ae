/// Reads the top-level members of one JSON object without building it.
///
/// The host needs only a record's key fields to find its primary key, and
/// parsing a whole record into a `JSONObject` (then freeing it) cost more than
/// everything else the host does per record. This walks the object once,
/// skipping the values nobody asked for. Skipped values are checked only for
/// balanced brackets and terminated strings; the full parse of a record is
/// left to whoever needs its contents.
public enum JSONTopLevelScanner {
    /// The values of `fields` (top-level keys) in the object `line`, in the
    /// order of `fields`; nil where a key is absent.
    /// - Throws: `JSONParseError` when `line` is not an object or is malformed.
    public static func values(of fields: [[UInt8]], in line: UnsafeRawBufferPointer) throws(JSONParseError)
        -> [JSONValue?]
    {
        var found = [JSONValue?](repeating: nil, count: fields.count)
        let parser = JSONParser()
        try forEachMember(in: line) { (key, value) throws(JSONParseError) in
            for (index, field) in fields.enumerated() where found[index] == nil && Self.key(key, equals: field) {
                found[index] = try parser.parse(value)
            }
        }
        return found
    }

    /// Calls `body` with each member's raw key (between the quotes, escapes
    /// undecoded) and raw value bytes, in document order.
    public static func forEachMember(
        in line: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        var cursor = Cursor(bytes: line)
        cursor.skipWhitespace()
        guard cursor.peek == UInt8(ascii: "{") else { throw cursor.error("expected a JSON object") }
        cursor.offset += 1
        cursor.skipWhitespace()
        if cursor.peek == UInt8(ascii: "}") {
            cursor.offset += 1
            return try cursor.expectEnd()
        }
        while true {
            cursor.skipWhitespace()
            guard cursor.peek == UInt8(ascii: "\"") else { throw cursor.error("expected a member name") }
            let keyStart = cursor.offset + 1
            try cursor.skipString()
            let key = UnsafeRawBufferPointer(rebasing: line[keyStart..<(cursor.offset - 1)])
            cursor.skipWhitespace()
            guard cursor.peek == UInt8(ascii: ":") else { throw cursor.error("expected ':' after a member name") }
            cursor.offset += 1
            cursor.skipWhitespace()
            let valueStart = cursor.offset
            try cursor.skipValue()
            try body(key, UnsafeRawBufferPointer(rebasing: line[valueStart..<cursor.offset]))
            cursor.skipWhitespace()
            switch cursor.peek {
            case UInt8(ascii: ","): cursor.offset += 1
            case UInt8(ascii: "}"):
                cursor.offset += 1
                return try cursor.expectEnd()
            default: throw cursor.error("expected ',' or '}' after an object member")
            }
        }
    }

    /// Calls `body` with the raw bytes of each element of the array `list`, in order.
    /// - Throws: `JSONParseError` when `list` is not an array or is malformed.
    public static func forEachElement(
        in list: UnsafeRawBufferPointer, _ body: (_ element: UnsafeRawBufferPointer) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        var cursor = Cursor(bytes: list)
        cursor.skipWhitespace()
        guard cursor.peek == UInt8(ascii: "[") else { throw cursor.error("expected a JSON array") }
        cursor.offset += 1
        cursor.skipWhitespace()
        if cursor.peek == UInt8(ascii: "]") {
            cursor.offset += 1
            return try cursor.expectEnd()
        }
        while true {
            cursor.skipWhitespace()
            let start = cursor.offset
            try cursor.skipValue()
            try body(UnsafeRawBufferPointer(rebasing: list[start..<cursor.offset]))
            cursor.skipWhitespace()
            switch cursor.peek {
            case UInt8(ascii: ","): cursor.offset += 1
            case UInt8(ascii: "]"):
                cursor.offset += 1
                return try cursor.expectEnd()
            default: throw cursor.error("expected ',' or ']' after an array element")
            }
        }
    }

    /// Whether a raw key equals `name`; keys with escapes are decoded first.
    static func key(_ raw: UnsafeRawBufferPointer, equals name: [UInt8]) -> Bool {
        if !raw.contains(UInt8(ascii: "\\")) { return raw.elementsEqual(name) }
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        quoted.append(contentsOf: raw)
        quoted.append(UInt8(ascii: "\""))
        guard case .string(let decoded)? = try? JSONParser().parse(quoted) else { return false }
        return Array(decoded.utf8) == name
    }

    /// A position in the bytes with the skipping rules.
    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipWhitespace() {
            while offset < bytes.count {
                let byte = bytes[offset]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else { return }
                offset += 1
            }
        }

        /// From an opening quote to just past the closing one. The loop runs over a raw
        /// pointer: this is the hottest code when records are bound straight from bytes.
        mutating func skipString() throws(JSONParseError) {
            guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                throw error("unterminated string")
            }
            let count = bytes.count
            var index = offset + 1
            while index < count {
                index = JSONStringBytes.firstSpecial(in: base, from: index, to: count)
                guard index < count else { break }
                let byte = base[index]
                if byte == UInt8(ascii: "\"") {
                    offset = index + 1
                    return
                }
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                offset = index
                throw error("control character in a string")
            }
            offset = index
            throw error("unterminated string")
        }

        mutating func skipValue() throws(JSONParseError) {
            guard let first = peek else { throw error("expected a value") }
            switch first {
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while offset < bytes.count {
                    switch bytes[offset] {
                    case UInt8(ascii: "\""):
                        try skipString()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            offset += 1
                            return
                        }
                    default: break
                    }
                    offset += 1
                }
                throw error("unterminated object or array")
            default:
                let start = offset
                while offset < bytes.count {
                    let byte = bytes[offset]
                    if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                        || byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
                    {
                        break
                    }
                    offset += 1
                }
                if offset == start { throw error("expected a value") }
            }
        }

        func expectEnd() throws(JSONParseError) {
            var end = offset
            while end < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[end]) { end += 1 }
            if end != bytes.count { throw error("unexpected data after the object") }
        }

        func error(_ message: String) -> JSONParseError {
            var line = 1
            var column = 1
            for index in 0..<min(offset, bytes.count) {
                if bytes[index] == 0x0A { line += 1; column = 1 } else { column += 1 }
            }
            return JSONParseError(message: message, offset: offset, line: line, column: column)
        }
    }
}
