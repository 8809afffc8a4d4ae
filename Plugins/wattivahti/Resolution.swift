/// A result step of the meter-data API.
enum Resolution: String, CaseIterable, Sendable {
    /// Quarter-hour values (`resultStep=PT15MIN`), what newer meters report.
    case quarterHour = "PT15MIN"
    /// Hourly values (`resultStep=PT1H`), all that older data has.
    case hour = "PT1H"

    /// The length of one step in seconds.
    var seconds: Int {
        switch self {
        case .quarterHour: return 900
        case .hour: return 3600
        }
    }
}
