import FerryJSON
import FerryTime

/// A cursor value reduced to something comparable: a number, an instant
/// (ISO 8601 date or date-time, as seconds since 1970), or other text.
/// Values of different kinds are not comparable.
enum CursorValue {
    case number(Double)
    case instant(Double)
    case text(String)

    /// The cursor value of a record field; nil for null, booleans, objects and arrays.
    init?(_ value: JSONValue) {
        switch value {
        case .int(let integer): self = .number(Double(integer))
        case .double(let double): self = .number(double)
        case .string(let text): self.init(text: text)
        default: return nil
        }
    }

    /// A bound typed by a person (`since`, `until`): an instant when it reads as
    /// ISO 8601, a number when it reads as one, text otherwise.
    init(text: String) {
        if let seconds = Self.parseISO8601(text) {
            self = .instant(seconds)
        } else if let number = Double(text) {
            self = .number(number)
        } else {
            self = .text(text)
        }
    }

    /// -1, 0 or 1, or nil when the two are of different kinds.
    func compare(_ other: CursorValue) -> Int? {
        switch (self, other) {
        case (.number(let a), .number(let b)), (.instant(let a), .instant(let b)):
            return a < b ? -1 : (a > b ? 1 : 0)
        case (.text(let a), .text(let b)):
            return a < b ? -1 : (a > b ? 1 : 0)
        default:
            return nil
        }
    }

    /// The value moved back by `seconds` (numbers and instants; text is unchanged).
    func movedBack(bySeconds seconds: Int) -> CursorValue {
        switch self {
        case .number(let value): return .number(value - Double(seconds))
        case .instant(let value): return .instant(value - Double(seconds))
        case .text: return self
        }
    }

    /// Seconds since 1970 for `YYYY-MM-DD`, optionally followed by `T` or a
    /// space, `HH:MM[:SS[.fraction]]` and `Z` or `±HH[:MM]` (UTC when absent).
    static func parseISO8601(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<index + width] {
                guard (0x30...0x39).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += width
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = Double(CivilCalendar.days(year: year, month: month, day: day)) * 86_400
        if index == bytes.count { return seconds }
        guard expect(UInt8(ascii: "T")) || expect(UInt8(ascii: "t")) || expect(UInt8(ascii: " ")) else { return nil }
        guard let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2), hour < 25, minute < 60 else {
            return nil
        }
        seconds += Double(hour * 3600 + minute * 60)
        if expect(UInt8(ascii: ":")) {
            guard let second = number(2), second <= 60 else { return nil }
            seconds += Double(second)
            if expect(UInt8(ascii: ".")) || expect(UInt8(ascii: ",")) {
                var scale = 0.1
                var digits = 0
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
                    seconds += Double(bytes[index] - 0x30) * scale
                    scale /= 10
                    index += 1
                    digits += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        if index == bytes.count || expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
            return index == bytes.count ? seconds : nil
        }
        let sign: Double
        if expect(UInt8(ascii: "+")) { sign = 1 } else if expect(UInt8(ascii: "-")) { sign = -1 } else { return nil }
        guard let offsetHours = number(2) else { return nil }
        _ = expect(UInt8(ascii: ":"))
        let offsetMinutes = index < bytes.count ? number(2) : 0
        guard let offsetMinutes, index == bytes.count else { return nil }
        return seconds - sign * Double(offsetHours * 3600 + offsetMinutes * 60)
    }

}
