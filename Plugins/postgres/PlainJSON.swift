import FerryJSON

/// Checks that raw JSON is valid as the parser reads it and that a jsonb column would hold
/// the same value from it as from the parsed path's text (`JSONWriter`): no number but plain
/// integers (a parsed decimal is rewritten, `1.50` as `1.5`, which jsonb's numeric keeps
/// apart), no `\u0000` (which the parsed path would reject itself), no deep nesting.
/// Whitespace, escapes and repeated names are the same to jsonb either way.
struct PlainJSON {
    private let raw: UnsafeRawBufferPointer
    private var offset = 0
    private static let maxDepth = 64

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    /// True when the whole of `raw` is one plain JSON value.
    mutating func isPlain() -> Bool {
        guard value(depth: 0) else { return false }
        skipWhitespace()
        return offset == raw.count
    }

    private var peek: UInt8? { offset < raw.count ? raw[offset] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { offset += 1 }
    }

    private mutating func value(depth: Int) -> Bool {
        skipWhitespace()
        guard let first = peek else { return false }
        switch first {
        case UInt8(ascii: "{"):
            return depth < Self.maxDepth && container(close: UInt8(ascii: "}"), depth: depth, named: true)
        case UInt8(ascii: "["):
            return depth < Self.maxDepth && container(close: UInt8(ascii: "]"), depth: depth, named: false)
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return integer()
        }
    }

    private mutating func container(close: UInt8, depth: Int, named: Bool) -> Bool {
        offset += 1
        skipWhitespace()
        if peek == close {
            offset += 1
            return true
        }
        while true {
            if named {
                skipWhitespace()
                guard peek == UInt8(ascii: "\""), string() else { return false }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return false }
                offset += 1
            }
            guard value(depth: depth + 1) else { return false }
            skipWhitespace()
            guard let byte = peek else { return false }
            offset += 1
            if byte == close { return true }
            guard byte == UInt8(ascii: ",") else { return false }
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard offset + count <= raw.count else { return false }
        for index in 0..<count where raw[offset + index] != word.utf8Start[index] { return false }
        offset += count
        return true
    }

    /// A plain integer (`CopyText.isPlainInteger`), ended by a delimiter.
    private mutating func integer() -> Bool {
        let start = offset
        while let byte = peek, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 { offset += 1 }
        return CopyText.isPlainInteger(UnsafeRawBufferPointer(rebasing: raw[start..<offset]))
    }

    /// A string with valid escapes (surrogates paired, no `\u0000`), no raw control
    /// characters, and valid UTF-8.
    private mutating func string() -> Bool {
        let start = offset
        offset += 1
        var highBits: UInt8 = 0
        while let byte = peek {
            if byte == UInt8(ascii: "\"") {
                offset += 1
                guard highBits >= 0x80 else { return true }
                let content = UnsafeBufferPointer(
                    start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + start + 1, count: offset - start - 2)
                return UTF8Validation.validPrefixLength(of: content) == content.count
            }
            if byte < 0x20 { return false }
            highBits |= byte
            if byte != UInt8(ascii: "\\") {
                offset += 1
                continue
            }
            guard offset + 1 < raw.count else { return false }
            switch raw[offset + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                offset += 2
            case UInt8(ascii: "u"):
                guard let (_, length) = CopyText.unicodeEscape(raw, at: offset, end: raw.count) else { return false }
                offset += length
            default:
                return false
            }
        }
        return false
    }
}
