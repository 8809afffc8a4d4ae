/// One element of the API's `timeseries.values.tsv` list, as sent: a naive
/// Finnish local time and a quantity (null when the meter has no value yet).
struct MeterEntry: Equatable, Sendable {
    /// `YYYY-MM-DDTHH:MM:SS`, Europe/Helsinki wall-clock time without an offset.
    var time: String
    /// kWh, or nil.
    var quantity: Double?

    /// Converts a response's entries to UTC points within `range`.
    ///
    /// The autumn hour 03:00–03:59 occurs twice in local time. Whatever order
    /// the API lists the two occurrences in (the seed's latest notes say
    /// consecutive pairs, an older note says blocks of four), the first entry
    /// carrying a given local time is the earlier instant (EEST, UTC+3) and the
    /// second the later one (EET, UTC+2): each occurrence takes the next unused
    /// instant of that wall-clock time inside `range`. So both points survive,
    /// distinct, and a range that starts inside the repeated hour is handled too.
    /// Local times the spring change skips (03:00–03:59) cannot be placed and are
    /// counted in `skipped`, as are extra repeats and unreadable times.
    /// - Parameters:
    ///   - entries: The entries in the order the API sent them.
    ///   - resolution: The result step they were fetched with.
    ///   - range: UTC seconds the request covered; points outside are dropped.
    /// - Returns: The points sorted by time, and how many entries could not be placed.
    static func points(from entries: [MeterEntry], resolution: Resolution, in range: Range<Int>)
        -> (points: [MeterPoint], skipped: Int)
    {
        var used: [Int: Int] = [:]
        var points: [MeterPoint] = []
        var skipped = 0
        for entry in entries {
            guard let local = HelsinkiTime.parseNaive(entry.time) else {
                skipped += 1
                continue
            }
            let candidates = HelsinkiTime.utcCandidates(forLocal: local).filter { range.contains($0) }
            let occurrence = used[local, default: 0]
            used[local] = occurrence + 1
            guard occurrence < candidates.count else {
                // Outside the range.
                if !HelsinkiTime.utcCandidates(forLocal: local).isEmpty && candidates.isEmpty { continue }
                skipped += 1
                continue
            }
            guard let quantity = entry.quantity, quantity.isFinite else { continue }
            points.append(MeterPoint(time: candidates[occurrence], kilowattHours: quantity, resolution: resolution))
        }
        points.sort { $0.time < $1.time }
        return (points, skipped)
    }
}
