import FerryJSON

/// A compiled `cast` conversion: what a field's value must become.
///
/// Each conversion is exact or refuses: a value that cannot be represented
/// faithfully rejects the record rather than being guessed at.
enum ValueCast: Sendable {
    case integer
    case decimal(asString: Bool, separator: Character)
    case moneyCents(separator: Character)
    case boolean
    case string
    case timestamp(TimestampCast)

    /// Converts `value`; null passes through unchanged. Throws a reason phrase
    /// ("is not a decimal number") that the chain completes with step and field.
    func apply(to value: JSONValue) throws(CastFailure) -> JSONValue {
        if case .null = value { return .null }
        switch self {
        case .integer: return try Self.integer(value)
        case .decimal(let asString, let separator):
            return try Self.decimal(value, asString: asString, separator: separator)
        case .moneyCents(let separator): return try Self.moneyCents(value, separator: separator)
        case .boolean: return try Self.boolean(value)
        case .string: return Self.string(value)
        case .timestamp(let cast): return .string(try cast.normalize(value))
        }
    }

    private static func integer(_ value: JSONValue) throws(CastFailure) -> JSONValue {
        switch value {
        case .int: return value
        case .double(let double):
            guard double.isFinite, let decimal = DecimalText(Substring(double.description)),
                let integer = decimal.scaled(by: 0)
            else {
                throw CastFailure("is not an integer")
            }
            return .int(integer)
        case .string(let text):
            guard let decimal = DecimalText(trimmed(text)), let integer = decimal.scaled(by: 0) else {
                throw CastFailure("is not an integer")
            }
            return .int(integer)
        default: throw CastFailure("is not an integer")
        }
    }

    private static func decimal(_ value: JSONValue, asString: Bool, separator: Character) throws(CastFailure)
        -> JSONValue
    {
        let decimal: DecimalText
        switch value {
        case .int(let integer): return asString ? .string(String(integer)) : .double(Double(integer))
        case .double(let double):
            guard double.isFinite else { throw CastFailure("is not a decimal number") }
            if !asString { return value }
            guard let parsed = DecimalText(Substring(double.description)) else {
                throw CastFailure("is not a decimal number")
            }
            decimal = parsed
        case .string(let text):
            guard let parsed = DecimalText(trimmed(text), separator: separator) else {
                throw CastFailure("is not a decimal number")
            }
            decimal = parsed
        default: throw CastFailure("is not a decimal number")
        }
        let normalized = decimal.normalized
        if asString { return .string(normalized) }
        guard let double = Double(normalized), double.isFinite else {
            throw CastFailure("is out of range for a decimal number")
        }
        return .double(double)
    }

    private static func moneyCents(_ value: JSONValue, separator: Character) throws(CastFailure) -> JSONValue {
        let decimal: DecimalText
        switch value {
        case .int(let integer):
            let (cents, overflow) = integer.multipliedReportingOverflow(by: 100)
            guard !overflow else { throw CastFailure("is out of range for cents") }
            return .int(cents)
        case .double(let double):
            // The shortest round-trip text is the number the source wrote (12.34, not 12.339999…).
            guard double.isFinite, let parsed = DecimalText(Substring(double.description)) else {
                throw CastFailure("is not an amount of money")
            }
            decimal = parsed
        case .string(let text):
            guard let parsed = moneyText(text, separator: separator) else {
                throw CastFailure("is not an amount of money")
            }
            decimal = parsed
        default: throw CastFailure("is not an amount of money")
        }
        guard let cents = decimal.scaled(by: 2) else {
            throw CastFailure(
                decimal.fractionDigits.count > 2 ? "has more than 2 decimal places" : "is out of range for cents")
        }
        return .int(cents)
    }

    /// Reads "€1,234.50", "1 234,50 €", "-$5", "USD 12.00": currency signs and
    /// codes around the number are dropped, as are grouping characters in the
    /// integer part (spaces, apostrophes, and whichever of '.' and ',' is not the separator).
    private static func moneyText(_ text: String, separator: Character) -> DecimalText? {
        var body = Substring(text)
        var negative = false
        func stripDecoration() {
            while let first = body.first,
                first.isWhitespace || first.isLetter || first.isCurrencySymbol || first == "+" || first == "-"
            {
                if first == "-" { if negative { return }; negative = true }
                body = body.dropFirst()
            }
            while let last = body.last, last.isWhitespace || last.isLetter || last.isCurrencySymbol {
                body = body.dropLast()
            }
        }
        stripDecoration()
        guard let first = body.first, first.isASCIIDigit, let last = body.last, last.isASCIIDigit else { return nil }
        let grouping: Set<Character> = [" ", "\u{00A0}", "\u{202F}", "'", "’", separator == "." ? "," : "."]
        var cleaned = ""
        var seenSeparator = false
        for character in body {
            if character == separator {
                guard !seenSeparator else { return nil }
                seenSeparator = true
                cleaned.append(".")
            } else if character.isASCIIDigit {
                cleaned.append(character)
            } else if grouping.contains(character) && !seenSeparator {
                continue
            } else {
                return nil
            }
        }
        guard var decimal = DecimalText(Substring(cleaned)) else { return nil }
        decimal.negative = negative
        return decimal
    }

    private static func boolean(_ value: JSONValue) throws(CastFailure) -> JSONValue {
        switch value {
        case .bool: return value
        case .int(1): return .bool(true)
        case .int(0): return .bool(false)
        case .string(let text):
            switch trimmed(text).lowercased() {
            case "true", "yes", "1": return .bool(true)
            case "false", "no", "0": return .bool(false)
            default: break
            }
        default: break
        }
        throw CastFailure("is not a boolean (true/false, yes/no, 1/0)")
    }

    private static func string(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string: return value
        case .bool(let flag): return .string(flag ? "true" : "false")
        case .int(let integer): return .string(String(integer))
        default: return .string(value.encodedString())
        }
    }

    static func trimmed(_ text: String) -> Substring {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return slice
    }
}

/// Why a value could not be converted; completed by the chain with the step and field.
struct CastFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
