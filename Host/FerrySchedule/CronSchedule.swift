import FerryTime
import Foundation

/// A cron expression in a time zone: when a pipeline is due.
///
/// Written as in cronie, with an optional zone before the five fields:
/// `CRON_TZ=Europe/Helsinki 0 6 * * *` (or `TZ=…`); without one, the zone `ferry serve`
/// runs in (`--time-zone`, else the system's).
///
/// Around a change of UTC offset the wall clock decides, as in cronie:
/// - clocks go **forward** over a matching time (02:30 on the night of the spring
///   change): the run happens once, when the gap ends;
/// - clocks go **back** and a time shows twice: a run at fixed hours happens at the
///   first occurrence only; one whose hour field is `*` (it runs every hour) runs at
///   both, since an hour really passes between them.
public struct CronSchedule: Sendable, CustomStringConvertible {
    /// The five fields.
    public let expression: CronExpression
    /// The zone the fields are read in.
    public let timeZone: TimeZone
    private let clock: ZonedClock

    /// Parses a schedule.
    /// - Parameters:
    ///   - text: five fields, optionally after `CRON_TZ=Zone` or `TZ=Zone`.
    ///   - defaultTimeZone: the zone when the text names none.
    /// - Throws: `CronError` for a malformed expression or an unknown zone.
    public init(parsing text: String, defaultTimeZone: TimeZone) throws(CronError) {
        var rest = Substring(text).drop(while: \.isWhitespace)
        var zone = defaultTimeZone
        for prefix in ["CRON_TZ=", "TZ="] where rest.hasPrefix(prefix) {
            let name = rest.dropFirst(prefix.count).prefix { !$0.isWhitespace }
            guard let named = TimeZone(identifier: String(name)) else {
                throw CronError(
                    "unknown time zone '\(name)' in '\(text)'; use an IANA name such as Europe/Helsinki or UTC")
            }
            zone = named
            rest = rest.dropFirst(prefix.count + name.count)
            break
        }
        expression = try CronExpression(parsing: String(rest))
        timeZone = zone
        clock = ZonedClock(timeZone: zone)
    }

    /// The schedule as written, with its zone.
    public var description: String { "CRON_TZ=\(timeZone.identifier) \(expression)" }

    /// The first time the schedule fires strictly after `date`, or nil when it never does.
    /// - Parameter date: the instant to look after.
    public func next(after date: Date) -> Date? {
        next(after: Int64(date.timeIntervalSince1970.rounded(.down))).map {
            Date(timeIntervalSince1970: TimeInterval($0))
        }
    }

    /// The first time the schedule fires strictly after `instant` (seconds since 1970), or nil.
    /// - Parameter instant: seconds since 1970 (UTC).
    public func next(after instant: Int64) -> Int64? {
        // Local times within this margin of the start (or of the best found) may
        // still map to earlier instants once offsets change; no zone moves more.
        let margin: Int64 = 3 * 3600
        let startLocal = clock.local(instant)
        let firstDay = Int(startLocal.floorDivided(by: 86_400)) - 1
        // Eight years holds every date a valid expression can name (29 February included).
        for dayNumber in firstDay...(firstDay + 8 * 366) {
            let date = CivilCalendar.date(days: dayNumber)
            let weekday = ((dayNumber % 7) + 7 + 4) % 7 // 1970-01-01 was a Thursday
            guard expression.matchesDay(month: date.month, day: date.day, weekday: weekday) else { continue }
            var best: Int64?
            scan: for hour in expression.hour.values {
                for minute in expression.minute.values {
                    let local = Int64(dayNumber) * 86_400 + Int64(hour * 3600 + minute * 60)
                    if local < startLocal - margin { continue }
                    if let best, local > clock.local(best) + margin { break scan }
                    for candidate in instants(showing: local) where candidate > instant {
                        best = min(best ?? candidate, candidate)
                    }
                }
            }
            if let best { return best }
        }
        return nil
    }

    /// The instants a matching local time fires at (see the type's rules).
    private func instants(showing local: Int64) -> [Int64] {
        switch clock.resolve(local) {
        case .unique(let instant): [instant]
        case .repeated(let first, let second): expression.hour.isWildcard ? [first, second] : [first]
        case .skipped(let gapEnd): [gapEnd]
        }
    }
}

extension Int64 {
    /// Division rounding towards minus infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
