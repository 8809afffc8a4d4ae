/// Chooses the result step for one chunk of time, as the seed does but per
/// chunk: quarter-hour values first, hourly values where there are none.
///
/// A meter that changed from hourly to quarter-hour readings inside the chunk
/// answers PT15MIN only from the change on; the hours before the first quarter
/// value are then fetched with PT1H, so the switch needs no hard-coded date.
enum ResolutionFallback {
    /// The points of `range`, each with the resolution it came in.
    /// - Parameters:
    ///   - range: UTC seconds, start inclusive, end exclusive.
    ///   - fetch: Fetches the points of a range with a result step.
    /// - Returns: Points sorted by time, never two for the same instant.
    static func points(in range: Range<Int>, fetch: (Resolution, Range<Int>) throws -> [MeterPoint]) throws
        -> [MeterPoint]
    {
        let quarters = try fetch(.quarterHour, range)
        guard let first = quarters.first else { return try fetch(.hour, range) }
        guard first.time > range.lowerBound else { return quarters }
        // Hours that end before the first quarter value: the meter's hourly past.
        let hours = try fetch(.hour, range.lowerBound..<first.time).filter {
            $0.time + Resolution.hour.seconds <= first.time
        }
        return hours + quarters
    }
}
