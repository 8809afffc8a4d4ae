#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
        try parse(rawValues(of: fields, in: line))
    }

    /// The raw bytes of the values of `fields` in the object `line` (nil where a key is absent):
    /// for a caller that treats a malformed record apart from a malformed value.
    /// - Throws: `JSONParseError` when `line` is not an object or its structure is broken.
    public static func rawValues(of fields: [[UInt8]], in line: UnsafeRawBufferPointer) throws(JSONParseError)
        -> [UnsafeRawBufferPointer?]
    {
        try find(fields, in: line, stoppingWhenFound: false)
    }

    /// `values(of:in:)` for a record inside a document already checked whole
    /// (`JSONSplitDocument`): the walk stops once every field is found, since the first of
    /// repeated keys is the one taken anyway and nothing after it needs checking again.
    public static func values(of fields: [[UInt8]], inChecked line: UnsafeRawBufferPointer) throws(JSONParseError)
        -> [JSONValue?]
    {
        try parse(find(fields, in: line, stoppingWhenFound: true))
    }

    /// The raw values of `fields` in the object `line`, the first of repeated keys taken; the
    /// walk goes to the end (checking it) unless `stoppingWhenFound`.
    private static func find(_ fields: [[UInt8]], in line: UnsafeRawBufferPointer, stoppingWhenFound: Bool)
        throws(JSONParseError) -> [UnsafeRawBufferPointer?]
    {
        if stoppingWhenFound && fields.isEmpty { return [] }
        var found = [UnsafeRawBufferPointer?](repeating: nil, count: fields.count)
        var missing = fields.count
        try walkMembers(in: line) { (key, value) throws(JSONParseError) in
            for (index, field) in fields.enumerated() where found[index] == nil && Self.key(key, equals: field) {
                found[index] = value
                missing -= 1
            }
            return !stoppingWhenFound || missing > 0
        }
        return found
    }

    /// `raw` values (from `rawValues`) parsed, nil staying nil.
    /// - Throws: `JSONParseError` for the first value that is not valid JSON.
    public static func parse(_ raw: [UnsafeRawBufferPointer?]) throws(JSONParseError) -> [JSONValue?] {
        // One scanner for them all, its stacks grown only by a nested value: the values asked
        // for are mostly scalars, and a parser's reserved stacks cost more to set up and free
        // than parsing one (two thirds of this call, by `callgrind`).
        var scanner = JSONScanner(options: JSONParser.Options(), reservingStacks: false)
        var values: [JSONValue?] = []
        values.reserveCapacity(raw.count)
        for bytes in raw {
            if let bytes { values.append(try scanner.parseDocument(bytes)) } else { values.append(nil) }
        }
        return values
    }

    /// Calls `body` with each member's raw key (between the quotes, escapes
    /// undecoded) and raw value bytes, in document order.
    public static func forEachMember(
        in line: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        try walkMembers(in: line) { (key, value) throws(JSONParseError) in
            try body(key, value)
            return true
        }
    }

    /// Member names that JSON writes as their bytes (no quote, backslash or control byte), so
    /// that a record's keys can be compared with them where they stand.
    public struct PlainKeys: Sendable {
        /// The names in UTF-8.
        public let names: [[UInt8]]

        /// Nil when a name needs an escape in JSON: compared as its bytes, it would never match
        /// its own record's key and could match another (`"a\b"`, a backspace, against `a\b`).
        public init?(_ names: [String]) {
            let bytes = names.map { Array($0.utf8) }
            let escaped = bytes.contains {
                $0.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
            }
            if escaped { return nil }
            self.names = bytes
        }
    }

    /// Whether the object `line`'s keys are exactly `keys`, in order; when they are, their
    /// values' bytes are appended to `values`. Each key is compared where it stands instead of
    /// being scanned first: the sqlite connector checks every record against its statement's
    /// columns so. Malformed input is a false, with nothing appended.
    public static func values(
        in line: UnsafeRawBufferPointer, keyedExactly keys: PlainKeys,
        appendingTo values: inout [UnsafeRawBufferPointer]
    ) -> Bool {
        let start = values.count
        var cursor = Cursor(bytes: line)
        if cursor.members(keyedExactly: keys.names, appendingTo: &values) { return true }
        values.removeSubrange(start...)
        return false
    }

    /// The last member named `name` in the object `object` (where a key repeats, the last counts,
    /// as in a parse): its value's range and, when that is an array, its elements' ranges (all in
    /// `object`). One walk: finding the member, then walking its array, read the array twice.
    /// - Throws: `JSONParseError` when `object` is not an object or is malformed.
    public static func lastMember(named name: [UInt8], in object: UnsafeRawBufferPointer) throws(JSONParseError)
        -> (value: Range<Int>, elements: [Range<Int>]?)?
    {
        var found: (value: Range<Int>, elements: [Range<Int>]?)?
        try walkObject(in: object) { (key, cursor: inout Cursor) throws(JSONParseError) in
            let start = cursor.offset
            guard Self.key(key, equals: name) else {
                try cursor.skipValue()
                return true
            }
            var elements: [Range<Int>]?
            if cursor.peek == UInt8(ascii: "[") {
                var list: [Range<Int>] = []
                try cursor.walkArray { list.append($0) }
                elements = list
            } else {
                try cursor.skipValue()
            }
            found = (start..<cursor.offset, elements)
            return true
        }
        return found
    }

    /// `forEachMember`, stopping (with the rest unchecked) when `body` returns false.
    private static func walkMembers(
        in line: UnsafeRawBufferPointer,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws(JSONParseError) -> Bool
    ) throws(JSONParseError) {
        try walkObject(in: line) { (key, cursor: inout Cursor) throws(JSONParseError) in
            let start = cursor.offset
            try cursor.skipValue()
            return try body(key, UnsafeRawBufferPointer(rebasing: line[start..<cursor.offset]))
        }
    }

    /// The walk over an object's members: `member` gets each raw key and the cursor at its value,
    /// and must move the cursor past the value; returning false stops the walk there.
    private static func walkObject(
        in line: UnsafeRawBufferPointer,
        _ member: (_ key: UnsafeRawBufferPointer, _ cursor: inout Cursor) throws(JSONParseError) -> Bool
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
            guard try member(key, &cursor) else { return }
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
        try cursor.walkArray { (element) throws(JSONParseError) in
            try body(UnsafeRawBufferPointer(rebasing: list[element]))
        }
        try cursor.expectEnd()
    }

    /// Whether a raw key equals `name`; keys with escapes are decoded first.
    static func key(_ raw: UnsafeRawBufferPointer, equals name: [UInt8]) -> Bool {
        // Equal bytes are an equal key unless an escape is among them: an escape decodes shorter.
        if bytes(raw, equal: name) { return !raw.contains(UInt8(ascii: "\\")) }
        if !raw.contains(UInt8(ascii: "\\")) { return false }
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        quoted.append(contentsOf: raw)
        quoted.append(UInt8(ascii: "\""))
        guard case .string(let decoded)? = try? JSONParser().parse(quoted) else { return false }
        return Array(decoded.utf8) == name
    }

    /// Whether `raw` holds exactly the bytes of `name`: a length check, then one `memcmp` (the
    /// generic `elementsEqual` cost more than the scan that found the key).
    @inline(__always)
    public static func bytes(_ raw: UnsafeRawBufferPointer, equal name: [UInt8]) -> Bool {
        guard raw.count == name.count else { return false }
        return name.withUnsafeBytes { name in
            guard let left = raw.baseAddress, let right = name.baseAddress else { return true }
            return memcmp(left, right, name.count) == 0
        }
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

        /// From the start of an object to its end, which must be the end of the bytes: true when
        /// its keys are exactly `names` (see `values(in:keyedExactly:appendingTo:)`).
        mutating func members(keyedExactly names: [[UInt8]], appendingTo values: inout [UnsafeRawBufferPointer])
            -> Bool
        {
            skipWhitespace()
            guard peek == UInt8(ascii: "{") else { return false }
            offset += 1
            for (index, name) in names.enumerated() {
                skipWhitespace()
                if index > 0 {
                    guard peek == UInt8(ascii: ",") else { return false }
                    offset += 1
                    skipWhitespace()
                }
                guard startsKey(name) else { return false }
                offset += name.count + 2
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return false }
                offset += 1
                skipWhitespace()
                let start = offset
                do { try skipValue() } catch { return false }
                values.append(UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
            }
            skipWhitespace()
            guard peek == UInt8(ascii: "}") else { return false }
            offset += 1
            do { try expectEnd() } catch { return false }
            return true
        }

        /// Whether a key at `offset` is `name` (one of `PlainKeys`): its bytes between two quotes.
        func startsKey(_ name: [UInt8]) -> Bool {
            let close = offset + 1 + name.count
            guard close < bytes.count, bytes[offset] == UInt8(ascii: "\""), bytes[close] == UInt8(ascii: "\"")
            else { return false }
            return JSONTopLevelScanner.bytes(UnsafeRawBufferPointer(rebasing: bytes[(offset + 1)..<close]), equal: name)
        }

        /// From an opening bracket to just past the closing one, calling `element` with each
        /// element's range.
        mutating func walkArray(_ element: (Range<Int>) throws(JSONParseError) -> Void) throws(JSONParseError) {
            offset += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                offset += 1
                return
            }
            while true {
                skipWhitespace()
                let start = offset
                try skipValue()
                try element(start..<offset)
                skipWhitespace()
                switch peek {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "]"):
                    offset += 1
                    return
                default: throw error("expected ',' or ']' after an array element")
                }
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
