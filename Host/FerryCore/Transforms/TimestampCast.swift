import FerryJSON
import FerryTime
import Foundation

/// The compiled `cast … to: timestamp` conversion: any accepted time text or
/// epoch number to UTC ISO 8601 (`2025-03-30T01:30:00Z`, fraction kept as written).
///
/// Sources mix offsets, local times and epochs; destinations need one form.
/// Local times (no offset in the text) are read in `timeZone` and are refused
/// without one, because guessing UTC silently shifts data by hours. A local
/// time that does not exist (skipped by a DST change) is refused; one that
/// occurs twice (the repeated autumn hour) takes the first occurrence, or the
/// second with `fold: later`.
struct TimestampCast: Sendable {
    enum Epoch: Sendable { case seconds, milliseconds }

    var timeZone: TimeZone?
    var format: TimestampFormat?
    var epoch: Epoch
    var preferLater: Bool

    /// A wall-clock reading before it is placed on the time line.
    struct Fields {
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0
        var fraction = "" // digits after the point, as written
        var offsetSeconds: Int?
    }

    func normalize(_ value: JSONValue) throws(CastFailure) -> String {
        switch value {
        case .int(let integer): return try fromEpoch(DecimalText(Substring(String(integer)))!)
        case .double(let double):
            guard double.isFinite, let decimal = DecimalText(Substring(double.description)) else {
                throw CastFailure("is not a timestamp")
            }
            return try fromEpoch(decimal)
        case .string(let raw):
            let text = ValueCast.trimmed(raw)
            if format == nil, !text.isEmpty, text.allSatisfy({ $0.isASCIIDigit || $0 == "." || $0 == "-" }),
                !text.dropFirst().contains("-"), let decimal = DecimalText(text)
            {
                return try fromEpoch(decimal)
            }
            let fields: Fields
            if let format {
                guard let parsed = format.parse(text) else {
                    throw CastFailure("does not match the timestamp format \"\(format.pattern)\"")
                }
                fields = parsed
            } else {
                guard let parsed = Self.parseISO8601(text) else {
                    throw CastFailure("is not an ISO 8601 timestamp")
                }
                fields = parsed
            }
            return try place(fields)
        default:
            throw CastFailure("is not a timestamp")
        }
    }

    private func fromEpoch(_ decimal: DecimalText) throws(CastFailure) -> String {
        let unitDigits = epoch == .seconds ? 0 : 3
        var fraction = decimal.fractionDigits
        var integer = decimal.integerDigits
        // Move the millisecond digits into the fraction so that the split stays exact.
        if unitDigits > 0 {
            let padded = String(repeating: "0", count: max(0, unitDigits - integer.count)) + integer
            let split = padded.index(padded.endIndex, offsetBy: -unitDigits)
            fraction = String(padded[split...]) + fraction
            integer = String(padded[..<split])
            if integer.isEmpty { integer = "0" }
        }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard var seconds = Int64(integer), seconds < 253_402_300_800 else {
            throw CastFailure("is out of range for a timestamp")
        }
        if decimal.negative {
            seconds = -seconds
            if !fraction.isEmpty {
                // -1.25 s is 1.75 s before -1 s: borrow one second and take the complement.
                seconds -= 1
                fraction = Self.complement(fraction)
            }
        }
        guard seconds >= -62_135_596_800 else { throw CastFailure("is out of range for a timestamp") }
        return Self.format(utcSeconds: seconds, fraction: fraction)
    }

    private static func complement(_ fraction: String) -> String {
        // 1 - 0.fraction, digit by digit.
        // Trailing zeros were stripped, so the last digit is non-zero: 10 - it, 9 - the others.
        var digits = fraction.map { Int($0.asciiValue! - 48) }
        for index in digits.indices {
            digits[index] = (index == digits.count - 1 ? 10 : 9) - digits[index]
        }
        var text = String(digits.map { Character(String($0)) })
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// Places wall-clock fields on the UTC time line.
    private func place(_ fields: Fields) throws(CastFailure) -> String {
        guard (1...9999).contains(fields.year), (1...12).contains(fields.month),
            (1...Self.daysInMonth(fields.year, fields.month)).contains(fields.day),
            (0...23).contains(fields.hour), (0...59).contains(fields.minute), (0...59).contains(fields.second)
        else { throw CastFailure("is not a valid date and time") }
        let local =
            Int64(CivilCalendar.days(year: fields.year, month: fields.month, day: fields.day)) * 86_400
            + Int64(fields.hour * 3600 + fields.minute * 60 + fields.second)
        if let offset = fields.offsetSeconds {
            return Self.format(utcSeconds: local - Int64(offset), fraction: fields.fraction)
        }
        guard let timeZone else {
            throw CastFailure("has no UTC offset; set the step's 'timezone' option to read local times")
        }
        // Every offset in force within a day of the reading; a candidate is real
        // when the zone's offset at the resulting instant is that same offset.
        var candidates: Set<Int> = []
        for probe in [local - 86_400, local, local + 86_400] {
            candidates.insert(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(probe))))
        }
        let instants = candidates.compactMap { offset -> Int64? in
            let instant = local - Int64(offset)
            return timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))) == offset
                ? instant : nil
        }.sorted()
        guard let first = instants.first, let last = instants.last else {
            throw CastFailure("does not exist in \(timeZone.identifier) (skipped by a daylight saving change)")
        }
        return Self.format(utcSeconds: preferLater ? last : first, fraction: fields.fraction)
    }

    // MARK: ISO 8601

    /// `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM`, `:SS`, `.fraction`,
    /// and `Z`, `±HH:MM`, `±HHMM` or `±HH`.
    static func parseISO8601(_ text: Substring) -> Fields? {
        var scanner = DigitScanner(text)
        var fields = Fields()
        guard let year = scanner.number(4), scanner.skip("-"), let month = scanner.number(2), scanner.skip("-"),
            let day = scanner.number(2)
        else { return nil }
        (fields.year, fields.month, fields.day) = (year, month, day)
        if scanner.isAtEnd { return fields }
        guard scanner.skip("T") || scanner.skip("t") || scanner.skip(" "),
            let hour = scanner.number(2), scanner.skip(":"), let minute = scanner.number(2)
        else { return nil }
        (fields.hour, fields.minute) = (hour, minute)
        if scanner.skip(":") {
            guard let second = scanner.number(2) else { return nil }
            fields.second = second
            if scanner.skip(".") || scanner.skip(",") {
                let fraction = scanner.digits()
                guard !fraction.isEmpty else { return nil }
                fields.fraction = fraction
            }
        }
        if scanner.isAtEnd { return fields }
        guard let offset = scanner.offset(), scanner.isAtEnd else { return nil }
        fields.offsetSeconds = offset
        return fields
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, Howard Hinnant's algorithms)

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func format(utcSeconds: Int64, fraction: String) -> String {
        let days = utcSeconds >= 0 ? utcSeconds / 86_400 : (utcSeconds - 86_399) / 86_400
        let secondOfDay = Int(utcSeconds - days * 86_400)
        let (year, month, day) = CivilCalendar.date(days: Int(days))
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        text += "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if !fraction.isEmpty { text += "." + fraction }
        return text + "Z"
    }
}

/// A small cursor over ASCII date text.
struct DigitScanner {
    private let characters: [Character]
    private var position = 0

    init(_ text: Substring) { characters = Array(text) }

    var isAtEnd: Bool { position == characters.count }

    mutating func skip(_ character: Character) -> Bool {
        guard position < characters.count, characters[position] == character else { return false }
        position += 1
        return true
    }

    /// Exactly `count` digits.
    mutating func number(_ count: Int) -> Int? {
        guard position + count <= characters.count else { return nil }
        var value = 0
        for character in characters[position..<(position + count)] {
            guard let digit = character.asciiValue, character.isASCIIDigit else { return nil }
            value = value * 10 + Int(digit - 48)
        }
        position += count
        return value
    }

    /// One or two digits (for formats like 5.3.2025).
    mutating func flexibleNumber(maximum: Int) -> Int? {
        var value = 0
        var read = 0
        while read < maximum, position < characters.count, characters[position].isASCIIDigit {
            value = value * 10 + Int(characters[position].asciiValue! - 48)
            position += 1
            read += 1
        }
        return read == 0 ? nil : value
    }

    mutating func digits() -> String {
        var text = ""
        while position < characters.count, characters[position].isASCIIDigit {
            text.append(characters[position])
            position += 1
        }
        return text
    }

    /// `Z`, `±HH:MM`, `±HHMM` or `±HH`, as seconds east of UTC.
    mutating func offset() -> Int? {
        if skip("Z") || skip("z") { return 0 }
        let sign: Int
        if skip("+") { sign = 1 } else if skip("-") || skip("\u{2212}") { sign = -1 } else { return nil }
        guard let hours = number(2), hours <= 23 else { return nil }
        var minutes = 0
        if skip(":") {
            guard let value = number(2) else { return nil }
            minutes = value
        } else if let value = number(2) {
            minutes = value
        }
        guard minutes <= 59 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    /// Matches one of `words` case-insensitively and returns its index.
    mutating func word(from words: [String]) -> Int? {
        for (index, word) in words.enumerated() {
            let end = position + word.count
            guard end <= characters.count else { continue }
            if String(characters[position..<end]).lowercased() == word.lowercased() {
                position = end
                return index
            }
        }
        return nil
    }
}
