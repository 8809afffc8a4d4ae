import Yams

/// The type YAML gives an untagged plain scalar's text: the tag Yams' default resolver gives it
/// (`Resolver.default`: bool, int, float, merge, null, timestamp, value, else str; the first
/// rule that matches wins), decided by scanning the text rather than by that resolver's regular
/// expressions.
///
/// Yams' rules are `NSRegularExpression`s, which Foundation runs on ICU on Linux: compiling
/// them on the first scalar of a run mapped about 2.5 MiB of ICU's code and tables into every
/// `ferry` process and cost milliseconds, for a configuration of a few dozen values. The
/// configuration is therefore composed with `Resolver.basic` (no rules, nothing compiled) and
/// typed here. `YAMLScalarTypeTests` holds this scanner to Yams' rules, text by text.
///
/// So the configuration's nodes are never asked for `Node.tag`: with the basic resolver it
/// would call every untagged plain scalar a string (and record that in the node).
enum YAMLScalarType {
    /// The tag of `text` as an untagged plain scalar.
    static func tag(of text: String) -> Tag.Name {
        var bytes = Array(text.utf8)
        // The rules end in `$`, which also matches before one line terminator that ends the text.
        dropFinalLineTerminator(&bytes)
        if isBool(bytes) { return .bool }
        if isInt(bytes) { return .int }
        if isFloat(bytes) { return .float }
        if bytes == Array("<<".utf8) { return .merge }
        if isNull(bytes) { return .null }
        if isTimestamp(bytes) { return .timestamp }
        if bytes == Array("=".utf8) { return .value }
        return .str
    }

    /// The tag a scalar of the configuration has: its explicit tag, or for an untagged plain
    /// one the type of its text (what `Node.tag` gives with the default resolver).
    static func tag(of scalar: Node.Scalar) -> Tag.Name {
        let name = Tag.Name(rawValue: scalar.tag.description)
        switch name {
        case .implicit: return tag(of: scalar.string)
        case .nonSpecific: return .str
        default: return name
        }
    }

    /// An untagged plain scalar of `text` that carries no reference to `Resolver.default`
    /// (`Node.Scalar(text)` would create that resolver, and with it the expressions).
    static func plainScalar(_ text: String) -> Node.Scalar {
        Node.Scalar(text, Tag(.implicit, .basic, .default))
    }

    // MARK: The rules

    private static let booleans: Set<[UInt8]> = Set(
        [
            "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON",
            "off", "Off", "OFF",
        ].map { Array($0.utf8) })
    private static let nulls: Set<[UInt8]> = Set(["~", "null", "Null", "NULL", ""].map { Array($0.utf8) })

    private static func isBool(_ bytes: [UInt8]) -> Bool { booleans.contains(bytes) }

    private static func isNull(_ bytes: [UInt8]) -> Bool { nulls.contains(bytes) }

    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    /// | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`
    private static func isInt(_ bytes: [UInt8]) -> Bool {
        var start = TextCursor(bytes)
        start.skipSign()
        var binary = start
        if binary.skip("0"), binary.skip("b"),
            binary.skipAll(where: { $0 == .digitZero || $0 == .digitOne || $0 == .underscore }) > 0,
            binary.atEnd
        {
            return true
        }
        var octal = start
        if octal.skip("0") {
            _ = octal.skip("o")
            if octal.skipAll(where: { (.digitZero ... .digitSeven).contains($0) || $0 == .underscore }) > 0, octal.atEnd
            {
                return true
            }
        }
        var decimal = start
        if decimal.skip("0"), decimal.atEnd { return true }
        decimal = start
        if decimal.skip(where: { (.digitOne ... .digitNine).contains($0) }) {
            decimal.skipAll(where: isDigitOrUnderscore)
            if decimal.atEnd { return true }
            if decimal.peek == .colon, decimal.skipSexagesimalGroups(), decimal.atEnd { return true }
        }
        var hexadecimal = start
        return hexadecimal.skip("0") && hexadecimal.skip("x")
            && hexadecimal.skipAll(where: { isHexDigit($0) || $0 == .underscore }) > 0 && hexadecimal.atEnd
    }

    /// `[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)? | \.[0-9_]+(?:[eE][-+][0-9]+)?
    /// | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)`
    private static func isFloat(_ bytes: [UInt8]) -> Bool {
        var signed = TextCursor(bytes)
        signed.skipSign()
        var plain = signed
        if plain.skip(where: isDigit) {
            plain.skipAll(where: isDigitOrUnderscore)
            var sexagesimal = plain
            if plain.skip(".") { plain.skipAll(where: isDigitOrUnderscore) }
            if plain.skip(where: { $0 == .lowerE || $0 == .upperE }) {
                plain.skipSign()
                if plain.skipAll(where: isDigit) == 0 { return false }
            }
            if plain.atEnd { return true }
            if sexagesimal.peek == .colon, sexagesimal.skipSexagesimalGroups(), sexagesimal.skip(".") {
                sexagesimal.skipAll(where: isDigitOrUnderscore)
                if sexagesimal.atEnd { return true }
            }
        }
        var fraction = TextCursor(bytes)
        if fraction.skip("."), fraction.skipAll(where: isDigitOrUnderscore) > 0 {
            if fraction.atEnd { return true }
            if fraction.skip(where: { $0 == .lowerE || $0 == .upperE }),
                fraction.skip(where: { $0 == .plus || $0 == .minus }),
                fraction.skipAll(where: isDigit) > 0, fraction.atEnd
            {
                return true
            }
        }
        var infinity = signed
        if infinity.skip("."), infinity.skipOne(of: ["inf", "Inf", "INF"]), infinity.atEnd { return true }
        var notANumber = TextCursor(bytes)
        return notANumber.skip(".") && notANumber.skipOne(of: ["nan", "NaN", "NAN"]) && notANumber.atEnd
    }

    /// `[0-9]{4}-[0-9]{2}-[0-9]{2} | [0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?
    /// :[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?`
    private static func isTimestamp(_ bytes: [UInt8]) -> Bool {
        var cursor = TextCursor(bytes)
        guard cursor.skipDigits(4), cursor.skip("-"), cursor.skipDigits(1, upTo: 2), cursor.skip("-"),
            cursor.skipDigits(1, upTo: 2)
        else { return false }
        if cursor.atEnd { return bytes.count == 10 }
        if !cursor.skip(where: { $0 == .upperT || $0 == .lowerT }) {
            guard cursor.skipAll(where: isBlank) > 0 else { return false }
        }
        guard cursor.skipDigits(1, upTo: 2), cursor.skip(":"), cursor.skipDigits(2), cursor.skip(":"),
            cursor.skipDigits(2)
        else { return false }
        if cursor.skip(".") { cursor.skipAll(where: isDigit) }
        if cursor.atEnd { return true }
        cursor.skipAll(where: isBlank)
        if cursor.skip("Z") { return cursor.atEnd }
        guard cursor.skip(where: { $0 == .plus || $0 == .minus }), cursor.skipDigits(1, upTo: 2) else { return false }
        if cursor.skip(":") { guard cursor.skipDigits(2) else { return false } }
        return cursor.atEnd
    }

    // MARK: Bytes

    private static func dropFinalLineTerminator(_ bytes: inout [UInt8]) {
        if bytes.last == .lineFeed {
            bytes.removeLast()
            if bytes.last == .carriageReturn { bytes.removeLast() }
        } else if let last = bytes.last, (0x0B...0x0D).contains(last) {
            bytes.removeLast() // vertical tab, form feed, carriage return
        } else if bytes.count >= 2, bytes[bytes.count - 2] == 0xC2, bytes[bytes.count - 1] == 0x85 {
            bytes.removeLast(2) // U+0085, next line
        } else if bytes.count >= 3, bytes[bytes.count - 3] == 0xE2, bytes[bytes.count - 2] == 0x80,
            bytes[bytes.count - 1] == 0xA8 || bytes[bytes.count - 1] == 0xA9
        {
            bytes.removeLast(3) // U+2028 line separator, U+2029 paragraph separator
        }
    }

    fileprivate static func isDigit(_ byte: UInt8) -> Bool { (.digitZero ... .digitNine).contains(byte) }
    private static func isDigitOrUnderscore(_ byte: UInt8) -> Bool { isDigit(byte) || byte == .underscore }
    private static func isBlank(_ byte: UInt8) -> Bool { byte == .space || byte == .tab }
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}

/// A position in a scalar's bytes, moved forward by what it skips.
private struct TextCursor {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }
    var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    mutating func skip(where matches: (UInt8) -> Bool) -> Bool {
        guard let byte = peek, matches(byte) else { return false }
        offset += 1
        return true
    }

    mutating func skip(_ character: Unicode.Scalar) -> Bool { skip(where: { $0 == UInt8(ascii: character) }) }

    @discardableResult
    mutating func skipAll(where matches: (UInt8) -> Bool) -> Int {
        let start = offset
        while skip(where: matches) {}
        return offset - start
    }

    mutating func skipSign() { _ = skip(where: { $0 == .plus || $0 == .minus }) }

    /// At least `minimum` and at most `maximum` (default: `minimum`) digits.
    mutating func skipDigits(_ minimum: Int, upTo maximum: Int? = nil) -> Bool {
        var count = 0
        while count < (maximum ?? minimum), skip(where: YAMLScalarType.isDigit) { count += 1 }
        return count >= minimum
    }

    mutating func skipOne(of words: [String]) -> Bool {
        for word in words {
            let utf8 = Array(word.utf8)
            if bytes.count - offset >= utf8.count, Array(bytes[offset..<offset + utf8.count]) == utf8 {
                offset += utf8.count
                return true
            }
        }
        return false
    }

    /// `(?::[0-5]?[0-9])+`, stopping before anything else: a group is two digits when the
    /// first is 0–5 and a digit follows it (one digit there could only be followed by a colon,
    /// the end or a dot, never by the second digit), else one.
    mutating func skipSexagesimalGroups() -> Bool {
        var groups = 0
        while peek == .colon {
            offset += 1
            guard let first = peek, YAMLScalarType.isDigit(first) else { return false }
            offset += 1
            if first <= .digitFive, let second = peek, YAMLScalarType.isDigit(second) { offset += 1 }
            groups += 1
        }
        return groups > 0
    }
}

extension UInt8 {
    fileprivate static let digitZero = UInt8(ascii: "0")
    fileprivate static let digitOne = UInt8(ascii: "1")
    fileprivate static let digitFive = UInt8(ascii: "5")
    fileprivate static let digitSeven = UInt8(ascii: "7")
    fileprivate static let digitNine = UInt8(ascii: "9")
    fileprivate static let underscore = UInt8(ascii: "_")
    fileprivate static let colon = UInt8(ascii: ":")
    fileprivate static let plus = UInt8(ascii: "+")
    fileprivate static let minus = UInt8(ascii: "-")
    fileprivate static let lowerE = UInt8(ascii: "e")
    fileprivate static let upperE = UInt8(ascii: "E")
    fileprivate static let lowerT = UInt8(ascii: "t")
    fileprivate static let upperT = UInt8(ascii: "T")
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let tab = UInt8(ascii: "\t")
    fileprivate static let lineFeed = UInt8(ascii: "\n")
    fileprivate static let carriageReturn = UInt8(ascii: "\r")
}
