import FerryJSON
import Foundation

/// A value while an expression is evaluated.
///
/// Like JSON, plus `decimal`: arithmetic on amounts must be exact, so numbers
/// that are not integers are computed as base-10 `Decimal`s (38 digits), never
/// as `Double` (12.34 × 100 would be 1233.9999…). Doubles from the record are
/// read through their shortest decimal text, as `cast` reads them.
enum ExpressionValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case decimal(Decimal)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The record's value as an expression value. Non-finite doubles (`NaN`,
    /// which Python sources send) count as no value.
    init(_ json: JSONValue?) {
        switch json {
        case nil, .null?: self = .null
        case .bool(let flag)?: self = .bool(flag)
        case .int(let integer)?: self = .int(integer)
        case .double(let double)?:
            if let decimal = Self.decimal(from: double) { self = .decimal(decimal) } else { self = .null }
        case .string(let text)?: self = .string(text)
        case .array(let elements)?: self = .array(elements)
        case .object(let object)?: self = .object(object)
        }
    }

    static func decimal(from double: Double) -> Decimal? {
        guard double.isFinite else { return nil }
        // Fast path: the fewest decimal places (up to 6) whose digits read back as
        // exactly this double, which is the value its shortest text shows.
        var scale = 1.0
        for places in 0...6 {
            let scaled = double * scale
            if abs(scaled) < 9e15, scaled == scaled.rounded(), Double(Int64(scaled)) / scale == double {
                return Decimal(sign: .plus, exponent: -places, significand: Decimal(Int64(scaled)))
            }
            scale *= 10
        }
        return decimal(fromText: Substring(double.description))
    }

    /// Exact decimal text (`"12.50"`, `"-3"`, `"1e3"`) as a Decimal, or nil.
    static func decimal(fromText text: Substring) -> Decimal? {
        guard let parsed = DecimalText(text) else { return nil }
        let digits = (parsed.integerDigits + parsed.fractionDigits).drop(while: { $0 == "0" })
        let scale = parsed.fractionDigits.count
        var magnitude: Decimal
        if digits.count <= 19, let small = UInt64(digits.isEmpty ? "0" : digits) {
            magnitude = Decimal(small) // the common case, without Decimal's text parser
        } else {
            // Decimal keeps 38 significant digits; refuse what it would round.
            guard digits.count <= 38, let large = Decimal(string: String(digits), locale: nil) else { return nil }
            magnitude = large
        }
        if scale > 0 { magnitude = Decimal(sign: .plus, exponent: -scale, significand: magnitude) }
        return parsed.negative ? -magnitude : magnitude
    }

    /// The value written back into a record: integral decimals become integers,
    /// others doubles (the nearest one to the exact result, which prints back as it).
    var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let integer): return .int(integer)
        case .decimal(let decimal):
            // One conversion to text decides: no point means a whole number.
            let text = decimal.description
            if !text.contains("."), let integer = Int64(text) { return .int(integer) }
            return .double(Double(text) ?? .nan)
        case .string(let text): return .string(text)
        case .array(let elements): return .array(elements)
        case .object(let object): return .object(object)
        }
    }

    /// True for null and the empty string: what `coalesce` and `if_empty` skip.
    var isEmpty: Bool {
        switch self {
        case .null: return true
        case .string(let text): return text.isEmpty
        default: return false
        }
    }

    /// The kind of value, for type errors ("expected text, got a number").
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .decimal: return "a number"
        case .string: return "text"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The value quoted for a message, shortened.
    var quoted: String { TransformOperation.quote(json) }

    /// The value as text for concatenation and text functions: strings as they
    /// are, numbers in plain decimal, booleans as true/false, null as empty,
    /// arrays and objects as compact JSON.
    var text: String {
        switch self {
        case .null: return ""
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let integer): return String(integer)
        case .decimal(let decimal): return decimal.description
        case .string(let text): return text
        case .array, .object: return json.encodedString()
        }
    }
}
