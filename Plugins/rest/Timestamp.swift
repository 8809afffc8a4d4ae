import FerryTime

/// An ISO 8601 timestamp as cursors carry it (`2025-01-31`, `2025-01-31T12:00:00Z`,
/// `2025-01-31 12:00:00.250+02:00`), moved by whole seconds and written back in its
/// own layout, so a shifted cursor compares with the API's values as the original did.
struct Timestamp {
    private var seconds: Int
    private var hasTime: Bool
    private var separator: Character
    private var hasSeconds: Bool
    private var fraction: Substring
    private var zone: Substring

    /// Parses `text`, or nil when it is not a timestamp of that shape.
    init?(_ text: String) {
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count else { return nil }
            var value = 0
            for index in range {
                let digit = chars[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard chars.count >= 10, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var total = CivilCalendar.days(year: year, month: month, day: day) * 86_400
        hasTime = chars.count > 10
        separator = "T"
        hasSeconds = false
        fraction = ""
        zone = ""
        if hasTime {
            guard chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: " "), chars.count >= 16,
                chars[13] == UInt8(ascii: ":"),
                let hour = number(11..<13), let minute = number(14..<16), hour < 24, minute < 60
            else { return nil }
            separator = Character(UnicodeScalar(chars[10]))
            total += hour * 3600 + minute * 60
            var index = 16
            if index < chars.count, chars[index] == UInt8(ascii: ":") {
                guard let second = number(17..<19), second < 61 else { return nil }
                total += second
                hasSeconds = true
                index = 19
            }
            let utf8 = text.utf8
            if index < chars.count, chars[index] == UInt8(ascii: ".") {
                var end = index + 1
                while end < chars.count, (chars[end] &- UInt8(ascii: "0")) < 10 { end += 1 }
                fraction = Substring(
                    utf8[utf8.index(utf8.startIndex, offsetBy: index)..<utf8.index(utf8.startIndex, offsetBy: end)])
                index = end
            }
            zone = Substring(utf8[utf8.index(utf8.startIndex, offsetBy: index)...])
            guard
                zone.isEmpty || zone == "Z"
                    || ((zone.first == "+" || zone.first == "-")
                        && (zone.count == 6 || zone.count == 5 || zone.count == 3))
            else {
                return nil
            }
        }
        seconds = total
    }

    /// The timestamp `count` seconds earlier.
    func moved(back count: Int) -> Timestamp {
        var copy = self
        copy.seconds -= count
        return copy
    }

    /// The timestamp in its original layout (a date alone stays a date, rounded down).
    var text: String {
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        let date = CivilCalendar.date(days: days)
        var out = pad(date.year, 4) + "-" + pad(date.month, 2) + "-" + pad(date.day, 2)
        guard hasTime else { return out }
        let time = seconds - days * 86_400
        out += String(separator) + pad(time / 3600, 2) + ":" + pad(time / 60 % 60, 2)
        if hasSeconds { out += ":" + pad(time % 60, 2) }
        return out + fraction + zone
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
