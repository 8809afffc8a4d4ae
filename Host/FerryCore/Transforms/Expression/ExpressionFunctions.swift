import FerryJSON
import FerryTime
import Foundation

/// The functions an expression can call, each compiled once with its arguments.
///
/// Text functions pass null through (`trim(null)` is null), so a missing field
/// flows on to `coalesce`; a value of the wrong type (a number for `trim`)
/// fails the record with the function's name and column.
enum ExpressionFunctions {
    /// Name → (fewest, most) arguments.
    static let arity: [String: (Int, Int)] = [
        "trim": (1, 1), "lower": (1, 1), "upper": (1, 1), "length": (1, 1),
        "split": (2, 2), "join": (2, 2), "replace": (3, 3), "matches": (2, 2), "contains": (2, 2),
        "switch": (3, .max), "pick": (4, 4), "at": (2, 2), "coalesce": (1, .max), "if_empty": (2, 2),
        "is_empty": (1, 1),
        "if": (3, 3),
        "sum": (1, 1), "min": (1, 1), "max": (1, 1), "count": (1, 1), "round": (1, 2),
        "number": (1, 1), "string": (1, 1), "now": (0, 0), "record": (0, 0), "date": (1, 2),
        "time": (1, 2),
    ]

    static func compile(_ name: String, _ nodes: [ExpressionNode], column: Int) throws(ExpressionError)
        -> ExpressionEvaluator
    {
        guard let (fewest, most) = arity[name] else {
            let hint = Suggestion.closest(to: name, in: Array(arity.keys)).map { " (did you mean '\($0)'?)" } ?? ""
            throw ExpressionError(column: column, message: "unknown function '\(name)'\(hint)")
        }
        guard (fewest...most).contains(nodes.count) else {
            let expected =
                fewest == most ? "\(fewest)" : most == .max ? "at least \(fewest)" : "\(fewest) or \(most)"
            throw ExpressionError(
                column: column,
                message: "\(name)() takes \(expected) argument\(expected == "1" ? "" : "s"), got \(nodes.count)")
        }
        var arguments: [ExpressionEvaluator] = []
        for node in nodes { arguments.append(try ExpressionCompiler.compile(node)) }
        let context = "\(name)()"
        @Sendable func fail(_ message: String) -> ExpressionFailure {
            ExpressionFailure(column: column, message: message)
        }
        @Sendable func text(_ value: ExpressionValue) throws(ExpressionFailure) -> String? {
            switch value {
            case .null: return nil
            case .string(let text): return text
            default: throw fail("\(context) expects text, got \(value.kind) \(value.quoted)")
            }
        }
        /// An array argument's elements; nil for null, which makes the function's result null.
        @Sendable func arrayElements(_ value: ExpressionValue, expected: String) throws(ExpressionFailure)
            -> [JSONValue]?
        {
            switch value {
            case .null: return nil
            case .array(let found): return found
            default: throw fail("\(context) expects \(expected), got \(value.kind) \(value.quoted)")
            }
        }
        func textFunction(_ body: @escaping @Sendable (String) -> ExpressionValue) -> ExpressionEvaluator {
            let argument = arguments[0]
            return { scope throws(ExpressionFailure) in
                guard let value = try text(try argument(scope)) else { return .null }
                return body(value)
            }
        }

        switch name {
        case "trim": return textFunction { .string(trimmed($0)) }
        case "lower": return textFunction { .string($0.lowercased()) }
        case "upper": return textFunction { .string($0.uppercased()) }
        case "length":
            let argument = arguments[0]
            return { scope throws(ExpressionFailure) in
                switch try argument(scope) {
                case .null: return .null
                case .string(let value): return .int(Int64(value.count))
                case .array(let elements): return .int(Int64(elements.count))
                case let other: throw fail("\(context) expects text or an array, got \(other.kind) \(other.quoted)")
                }
            }
        case "split":
            let (value, separator) = (arguments[0], arguments[1])
            return { scope throws(ExpressionFailure) in
                guard let whole = try text(try value(scope)), let by = try text(try separator(scope)) else {
                    return .null
                }
                guard !by.isEmpty else { throw fail("\(context): the separator is empty") }
                return .array(whole.components(separatedBy: by).map { .string($0) })
            }
        case "join":
            let (list, separator) = (arguments[0], arguments[1])
            return { scope throws(ExpressionFailure) in
                let by = try text(try separator(scope)) ?? ""
                switch try list(scope) {
                case .null: return .null
                case .array(let elements):
                    return .string(
                        elements.filter { $0 != .null }.map { ExpressionValue($0).text }.joined(separator: by))
                case let other: throw fail("\(context) expects an array, got \(other.kind) \(other.quoted)")
                }
            }
        case "replace", "matches":
            guard case .literal(.string(let pattern), let patternColumn) = nodes[1] else {
                throw ExpressionError(
                    column: nodes[1].column,
                    message: "\(name)(): the pattern must be quoted text, so it is compiled once")
            }
            let regex: CompiledRegex
            do {
                regex = CompiledRegex(try NSRegularExpression(pattern: pattern))
            } catch {
                throw ExpressionError(
                    column: patternColumn, message: "\(name)(): not a valid regular expression: \(pattern)")
            }
            let value = arguments[0]
            if name == "matches" {
                return { scope throws(ExpressionFailure) in
                    guard let subject = try text(try value(scope)) else { return .bool(false) }
                    return .bool(regex.matches(subject))
                }
            }
            let replacement = arguments[2]
            return { scope throws(ExpressionFailure) in
                guard let subject = try text(try value(scope)) else { return .null }
                return .string(regex.replace(in: subject, with: try text(try replacement(scope)) ?? ""))
            }
        case "contains":
            let (value, part) = (arguments[0], arguments[1])
            return { scope throws(ExpressionFailure) in
                switch try value(scope) {
                case .null: return .bool(false)
                case .string(let whole):
                    guard let needle = try text(try part(scope)) else { return .bool(false) }
                    return .bool(whole.contains(needle))
                case .array(let elements):
                    let needle = try part(scope)
                    return .bool(elements.contains { ExpressionComparison.equal(ExpressionValue($0), needle) })
                case let other: throw fail("\(context) expects text or an array, got \(other.kind) \(other.quoted)")
                }
            }
        case "switch":
            let subject = arguments[0]
            let pairs = stride(from: 1, to: arguments.count - 1, by: 2).map { (arguments[$0], arguments[$0 + 1]) }
            let fallback: ExpressionEvaluator? = arguments.count % 2 == 0 ? arguments[arguments.count - 1] : nil
            return { scope throws(ExpressionFailure) in
                let value = try subject(scope)
                for (key, result) in pairs where ExpressionComparison.equal(value, try key(scope)) {
                    return try result(scope)
                }
                return try fallback?(scope) ?? .null
            }
        case "pick":
            // One value out of an array of objects by a key member, such as 4D's price
            // list `Coll: [{Art: "VK", Preis: 12.5}, …]` → `pick(Coll, 'Art', 'VK', 'Preis')`.
            let (list, keyName, wanted, valueName) = (arguments[0], arguments[1], arguments[2], arguments[3])
            return { scope throws(ExpressionFailure) in
                guard let elements = try arrayElements(try list(scope), expected: "an array of objects") else {
                    return .null
                }
                guard let key = try text(try keyName(scope)), let member = try text(try valueName(scope)) else {
                    throw fail("\(context): the key and value member names must be text")
                }
                let needle = try wanted(scope)
                for case .object(let object) in elements
                where ExpressionComparison.equal(ExpressionValue(object[key]), needle) {
                    return ExpressionValue(object[member])
                }
                return .null
            }
        case "at":
            // The element at a 0-based position, such as the configuration of the inverter a
            // fan-out row's `index_as` numbers: `at(configurations, position)`.
            let (list, position) = (arguments[0], arguments[1])
            return { scope throws(ExpressionFailure) in
                guard let elements = try arrayElements(try list(scope), expected: "an array") else { return .null }
                switch try position(scope) {
                case .null: return .null
                case .int(let index):
                    return index >= 0 && index < elements.count ? ExpressionValue(elements[Int(index)]) : .null
                case let other:
                    throw fail("\(context) expects a whole-number position, got \(other.kind) \(other.quoted)")
                }
            }
        case "coalesce", "if_empty":
            let candidates = arguments
            return { scope throws(ExpressionFailure) in
                for argument in candidates {
                    let value = try argument(scope)
                    if !value.isEmpty { return value }
                }
                return .null
            }
        case "is_empty":
            let argument = arguments[0]
            return { scope throws(ExpressionFailure) in
                let value = try argument(scope)
                if case .array(let elements) = value { return .bool(elements.isEmpty) }
                return .bool(value.isEmpty)
            }
        case "if":
            let (condition, then, otherwise) = (arguments[0], arguments[1], arguments[2])
            let conditionColumn = nodes[0].column
            return { scope throws(ExpressionFailure) in
                try ExpressionCompiler.truth(try condition(scope), column: conditionColumn, context: context)
                    ? try then(scope) : try otherwise(scope)
            }
        case "sum", "min", "max", "count":
            return try compileAggregate(name, arguments[0], column: column)
        case "round":
            var places: Int?
            if nodes.count == 2 {
                guard case .literal(.int(let written), _) = nodes[1], (0...18).contains(written) else {
                    throw ExpressionError(
                        column: nodes[1].column, message: "round(): the places must be a whole number from 0 to 18")
                }
                places = Int(written)
            }
            let argument = arguments[0]
            let scale = places ?? 0
            return { scope throws(ExpressionFailure) in
                guard
                    let number = try ExpressionArithmetic.number(try argument(scope), column: column, context: context)
                else { return .null }
                guard case .decimal(var value) = number else { return number.value }
                var rounded = Decimal()
                NSDecimalRound(&rounded, &value, scale, .plain)
                return .decimal(rounded)
            }
        case "number":
            let argument = arguments[0]
            return { scope throws(ExpressionFailure) in
                try ExpressionArithmetic.number(try argument(scope), column: column, context: context)?.value ?? .null
            }
        case "string":
            let argument = arguments[0]
            return { scope throws(ExpressionFailure) in
                let value = try argument(scope)
                return value == .null ? .null : .string(value.text)
            }
        case "now":
            return { scope in .string(scope.now) }
        case "record":
            return { scope in .object(scope.record) }
        default: // date, time
            return try compileTimestampPart(name, nodes, arguments, column: column)
        }
    }

    /// The text without white space (Unicode's, new lines included) at either end;
    /// the text itself, without a copy, when there is none.
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return text }
        if !first.properties.isWhitespace && !last.properties.isWhitespace { return text }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { scalars.formIndex(after: &start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace {
            scalars.formIndex(before: &end)
        }
        return String(scalars[start..<end])
    }

    private static func compileAggregate(_ name: String, _ argument: @escaping ExpressionEvaluator, column: Int)
        throws(ExpressionError) -> ExpressionEvaluator
    {
        let context = "\(name)()"
        return { scope throws(ExpressionFailure) in
            let elements: [JSONValue]
            switch try argument(scope) {
            case .null: elements = []
            case .array(let list): elements = list
            case let other:
                throw ExpressionFailure(
                    column: column,
                    message: "\(context) expects an array such as jobs[*].total, got \(other.kind) \(other.quoted)")
            }
            if name == "count" { return .int(Int64(elements.count { $0 != .null })) }
            var result: ExpressionValue = name == "sum" ? .int(0) : .null
            for element in elements {
                guard let number = try ExpressionArithmetic.number(element, column: column, context: context) else {
                    continue // null and NaN are no value
                }
                switch name {
                case "sum": result = try ExpressionArithmetic.apply(.add, result, number.value, column: column)
                default:
                    if result == .null {
                        result = number.value
                    } else if let order = try ExpressionComparison.order(
                        number.value, result, column: column, context: context),
                        name == "min" ? order < 0 : order > 0
                    {
                        result = number.value
                    }
                }
            }
            return result
        }
    }

    /// `date(ts)` → `YYYY-MM-DD`, `time(ts)` → `HH:MM:SS`, as written in the
    /// text (no shift), or, with a zone, after moving an instant (text with
    /// `Z` or an offset) into that zone.
    private static func compileTimestampPart(
        _ name: String, _ nodes: [ExpressionNode], _ arguments: [ExpressionEvaluator], column: Int
    ) throws(ExpressionError) -> ExpressionEvaluator {
        var named: (zone: TimeZone, name: String)? = nil
        if nodes.count == 2 {
            guard case .literal(.string(let identifier), let zoneColumn) = nodes[1] else {
                throw ExpressionError(column: nodes[1].column, message: "\(name)(): the time zone must be quoted text")
            }
            guard let found = TimeZone(identifier: identifier) else {
                throw ExpressionError(
                    column: zoneColumn,
                    message:
                        "\(name)(): unknown time zone \"\(identifier)\"; expected an IANA name like Europe/Helsinki")
            }
            named = (found, identifier)
        }
        let argument = arguments[0]
        let wantsDate = name == "date"
        let zone = named
        return { scope throws(ExpressionFailure) in
            let value = try argument(scope)
            guard case .string(let text) = value else {
                if value == .null { return .null }
                throw ExpressionFailure(
                    column: column, message: "\(name)() expects a timestamp text, got \(value.kind) \(value.quoted)")
            }
            guard var fields = quickTimestamp(text) ?? TimestampCast.parseISO8601(Substring(text)),
                (1...12).contains(fields.month),
                (1...TimestampCast.daysInMonth(fields.year, fields.month)).contains(fields.day),
                fields.hour < 24, fields.minute < 60, fields.second < 61
            else {
                throw ExpressionFailure(
                    column: column,
                    message: "\(name)() expects a timestamp like 2025-03-01T09:30:00Z, got \(value.quoted)")
            }
            let hasTime = text.utf8.count > 10
            if case let (zone, zoneName)? = zone {
                guard let offset = fields.offsetSeconds else {
                    throw ExpressionFailure(
                        column: column,
                        message: "\(name)(): \(value.quoted) has no offset to move into \(zoneName)")
                }
                let days = CivilCalendar.days(year: fields.year, month: fields.month, day: fields.day)
                let utc =
                    Int64(days) * 86_400 + Int64(fields.hour * 3600 + fields.minute * 60 + fields.second)
                    - Int64(offset)
                let local = utc + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc))))
                let formatted = TimestampCast.format(utcSeconds: local, fraction: "")
                fields = TimestampCast.parseISO8601(Substring(formatted))!
            } else if !wantsDate && !hasTime {
                return .null // a date-only value has no time of day
            }
            func pad(_ number: Int, _ width: Int = 2) -> String {
                let digits = String(number)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
            if wantsDate { return .string("\(pad(fields.year, 4))-\(pad(fields.month))-\(pad(fields.day))") }
            return .string("\(pad(fields.hour)):\(pad(fields.minute)):\(pad(fields.second))")
        }
    }
}

/// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` and the same with `Z`, read from the
/// bytes (the shapes APIs send almost always); nil for anything else, which
/// `TimestampCast.parseISO8601` then reads.
private func quickTimestamp(_ text: String) -> TimestampCast.Fields? {
    let utf8 = text.utf8
    return utf8.withContiguousStorageIfAvailable { bytes -> TimestampCast.Fields? in
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<(start + count) {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        let length = bytes.count
        guard length == 10 || length == 19 || (length == 20 && bytes[19] == UInt8(ascii: "Z")),
            bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2)
        else { return nil }
        var fields = TimestampCast.Fields()
        (fields.year, fields.month, fields.day) = (year, month, day)
        if length == 10 { return fields }
        guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":"), let hour = number(11, 2), let minute = number(14, 2),
            let second = number(17, 2)
        else { return nil }
        (fields.hour, fields.minute, fields.second) = (hour, minute, second)
        if length == 20 { fields.offsetSeconds = 0 }
        return fields
    } ?? nil
}

/// An `NSRegularExpression`, compiled once and shared by every record.
///
/// `NSRegularExpression` is immutable and documented as safe to use from
/// several threads at once, which the compiler cannot see.
final class CompiledRegex: @unchecked Sendable {
    private let regex: NSRegularExpression

    init(_ regex: NSRegularExpression) { self.regex = regex }

    func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Every match replaced by `template` (`$1` inserts the first group).
    func replace(in text: String, with template: String) -> String {
        regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }
}
