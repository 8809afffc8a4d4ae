import Foundation

/// A `since` or `until` value: an ISO 8601 date or date-time, passed on as written, or a
/// relative one resolved once per run against the host clock in the pipeline's time zone.
///
/// Day units (`-30d`, `-2w`, `today`, `yesterday`) resolve to a date (`2026-10-29`): the
/// calendar day in the zone, which is what sources that only take date windows expect.
/// Hour and minute units (`-12h`, `-90m`) resolve to an instant, as a UTC date-time.
public enum DateBound: Sendable, Equatable {
    /// A date or date-time as written.
    case absolute(String)
    /// That many calendar days before today, in the zone.
    case daysAgo(Int)
    /// That many seconds before now.
    case secondsAgo(Int)

    /// The forms accepted, for error messages.
    public static let forms =
        "a date (2025-01-31), an ISO 8601 date-time (2025-01-31T12:00:00Z), or a relative time: -30d, -2w, -12h, -90m, today, yesterday"

    /// Parses `text`; nil when it is none of the ``forms``.
    public init?(parsing text: String) {
        let date = #/^\d{4}-\d{2}-\d{2}$/#
        let dateTime = #/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/#
        if text.wholeMatch(of: date) != nil || text.wholeMatch(of: dateTime) != nil {
            self = .absolute(text)
            return
        }
        switch text {
        case "today": self = .daysAgo(0)
        case "yesterday": self = .daysAgo(1)
        default:
            guard let match = text.wholeMatch(of: #/-(\d{1,6})([mhdw])/#), let amount = Int(match.1) else { return nil }
            switch match.2 {
            case "m": self = .secondsAgo(amount * 60)
            case "h": self = .secondsAgo(amount * 3600)
            case "d": self = .daysAgo(amount)
            default: self = .daysAgo(amount * 7)
            }
        }
    }

    /// The value a source receives: absolute ones unchanged, relative ones against `now`.
    public func resolved(now: Date, timeZone: TimeZone) -> String {
        switch self {
        case .absolute(let text):
            return text
        case .secondsAgo(let seconds):
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter.string(from: now.addingTimeInterval(-Double(seconds)))
        case .daysAgo(let days):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let today = calendar.dateComponents([.year, .month, .day], from: now)
            // Noon keeps a day whose midnight a daylight-saving change skips.
            var noon = today
            noon.hour = 12
            let day = calendar.date(from: noon).flatMap { calendar.date(byAdding: .day, value: -days, to: $0) } ?? now
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        }
    }
}
