import FerryJSON

/// One consumption value with its UTC time and the resolution it came in.
struct MeterPoint: Equatable, Sendable {
    /// Seconds since 1970 (UTC): when the interval starts, as the API's `time`.
    var time: Int
    /// The consumption in kWh.
    var kilowattHours: Double
    /// The result step the value was fetched with.
    var resolution: Resolution

    /// The record the `consumption` stream emits.
    /// - Parameter meteringPoint: The metering point code.
    func record(meteringPoint: String) -> JSONObject {
        JSONObject([
            ("metering_point", .string(meteringPoint)),
            ("time", .string(HelsinkiTime.formatUTC(time))),
            ("consumption_kwh", .double(kilowattHours)),
            ("consumption_wh", .double((kilowattHours * 1000 * 1_000_000).rounded() / 1_000_000)),
            ("resolution", .string(resolution.rawValue)),
        ])
    }
}
