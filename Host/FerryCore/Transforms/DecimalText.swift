/// A decimal number read exactly from text: sign, digits and scale.
///
/// Money and decimal casts must not go through `Double` (12.34 × 100 is
/// 1233.9999…), so numbers are kept as their digits until the last step.
struct DecimalText: Equatable {
    var negative: Bool
    /// The integer part's digits without leading zeros ("0" for zero).
    var integerDigits: String
    /// The fraction's digits as written (may have trailing zeros).
    var fractionDigits: String

    /// Parses `[+-]digits[.digits][e[+-]digits]` (the decimal point given by
    /// `separator`), as sources and Swift's `Double.description` write numbers.
    init?(_ text: Substring, separator: Character = ".") {
        var rest = text[...]
        negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        var mantissa = rest
        var exponent = 0
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = rest[..<e]
            var expText = rest[rest.index(after: e)...]
            var expNegative = false
            if expText.first == "-" || expText.first == "+" {
                expNegative = expText.first == "-"
                expText = expText.dropFirst()
            }
            guard !expText.isEmpty, expText.count < 5, expText.allSatisfy(\.isASCIIDigit), let value = Int(expText)
            else { return nil }
            exponent = expNegative ? -value : value
        }
        var integer = mantissa
        var fraction: Substring = ""
        if let point = mantissa.firstIndex(of: separator) {
            integer = mantissa[..<point]
            fraction = mantissa[mantissa.index(after: point)...]
            guard !fraction.isEmpty else { return nil }
        }
        guard !integer.isEmpty, integer.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit) else {
            return nil
        }
        var digits = String(integer) + String(fraction)
        var pointPosition = integer.count + exponent
        if pointPosition < 0 {
            digits = String(repeating: "0", count: -pointPosition) + digits
            pointPosition = 0
        }
        if pointPosition > digits.count {
            digits += String(repeating: "0", count: pointPosition - digits.count)
        }
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        let integerPart = digits[..<split].drop(while: { $0 == "0" })
        integerDigits = integerPart.isEmpty ? "0" : String(integerPart)
        fractionDigits = String(digits[split...])
        if exponent != 0 {
            while fractionDigits.hasSuffix("0") { fractionDigits.removeLast() }
        }
    }

    var isZero: Bool { integerDigits == "0" && fractionDigits.allSatisfy { $0 == "0" } }

    /// The value scaled by 10^`scale` as an exact integer, or nil when digits
    /// would be lost or it overflows `Int64`.
    func scaled(by scale: Int) -> Int64? {
        var fraction = fractionDigits
        while fraction.count > scale && fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= scale else { return nil }
        let text = integerDigits + fraction + String(repeating: "0", count: scale - fraction.count)
        guard let magnitude = UInt64(text) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// Plain decimal text: "-12.5", "0.001", "42".
    var normalized: String {
        let sign = negative && !isZero ? "-" : ""
        return fractionDigits.isEmpty ? sign + integerDigits : sign + integerDigits + "." + fractionDigits
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
