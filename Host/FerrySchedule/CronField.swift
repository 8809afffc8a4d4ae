/// One of the five fields of a cron expression: the values it allows, and
/// whether it was written as `*` (which matters for day-of-month against
/// day-of-week, and for the hour repeated when clocks go back).
///
/// Accepted forms, as in Vixie cron and cronie: `*`, `?` (the same as `*`), a
/// value, a range `a-b`, a step `*/n` or `a-b/n` or `a/n` (from `a` to the
/// field's end), names (`jan`…`dec`, `sun`…`sat`, any case), and lists of
/// those separated by commas. Quartz's `L`, `W` and `#` are refused by name.
public struct CronField: Sendable, Equatable {
    /// Which field this is: its name in messages and its range of values.
    public enum Kind: Sendable, Equatable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        /// The field's name, as messages say it.
        public var name: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day-of-month"
            case .month: "month"
            case .dayOfWeek: "day-of-week"
            }
        }

        /// The smallest and largest value allowed (day-of-week allows 7 for Sunday).
        var range: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...7
            }
        }

        var names: [String] {
            switch self {
            case .month: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            case .dayOfWeek: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
            default: []
            }
        }

        /// The value a name stands for (`mar` → 3, `sun` → 0).
        func value(ofName text: Substring) -> Int? {
            guard let index = names.firstIndex(of: text.lowercased()) else { return nil }
            return self == .month ? index + 1 : index
        }
    }

    /// The field's kind.
    public let kind: Kind
    /// The values allowed, sorted, without repeats (day-of-week: 7 is stored as 0).
    public let values: [Int]
    /// True when the field was written as `*` or `?` (every value).
    public let isWildcard: Bool
    private let allowed: Set<Int>

    /// Parses one field.
    /// - Parameters:
    ///   - text: the field as written, such as `*/15` or `mon-fri`.
    ///   - kind: which of the five fields it is.
    /// - Throws: `CronError` naming the field and the part it could not read.
    public init(parsing text: Substring, as kind: Kind) throws(CronError) {
        self.kind = kind
        isWildcard = text == "*" || text == "?"
        var collected = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            collected.formUnion(try Self.values(of: part, kind: kind, field: text))
        }
        if kind == .dayOfWeek, collected.remove(7) != nil { collected.insert(0) }
        allowed = collected
        values = collected.sorted()
    }

    /// True when `value` is allowed.
    public func contains(_ value: Int) -> Bool { allowed.contains(value) }

    private static func values(of part: Substring, kind: Kind, field: Substring) throws(CronError) -> [Int] {
        func fail(_ reason: String) -> CronError { CronError("\(kind.name) field '\(field)': \(reason)") }
        if part.isEmpty { throw fail("an empty item between commas") }
        let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 2 else { throw fail("'\(part)' has more than one '/'") }
        var step = 1
        if pieces.count == 2 {
            guard let parsed = Int(pieces[1]), parsed > 0 else {
                throw fail("the step in '\(part)' must be a positive whole number")
            }
            step = parsed
        }
        let base = pieces[0]
        let bounds: ClosedRange<Int>
        if base == "*" || base == "?" {
            bounds = kind == .dayOfWeek ? 0...6 : kind.range
        } else {
            let ends = base.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count <= 2 else { throw fail("'\(base)' is not a value or a range a-b") }
            let low = try value(ends[0], kind: kind, fail: fail)
            var high = ends.count == 2 ? try value(ends[1], kind: kind, fail: fail) : low
            if ends.count == 1 && pieces.count == 2 { high = kind == .dayOfWeek ? 6 : kind.range.upperBound }
            guard low <= high else { throw fail("the range '\(base)' runs backwards") }
            bounds = low...high
        }
        return Array(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
    }

    private static func value(_ text: Substring, kind: Kind, fail: (String) -> CronError) throws(CronError) -> Int {
        if let named = kind.value(ofName: text) { return named }
        guard let number = Int(text) else {
            if text.contains("#") || text == "L"
                || ((text.hasSuffix("L") || text.hasSuffix("W")) && Int(text.dropLast()) != nil)
            {
                throw fail("'\(text)' uses Quartz's L, W or #, which standard cron (and Ferry) does not support")
            }
            let names = kind.names.isEmpty ? "" : " or a name (\(kind.names.first!)…\(kind.names.last!))"
            throw fail("'\(text)' is not a number\(names)")
        }
        guard kind.range.contains(number) else {
            throw fail("\(number) is out of range \(kind.range.lowerBound)-\(kind.range.upperBound)")
        }
        return number
    }
}
