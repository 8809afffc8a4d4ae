import FerryJSON
import FerryPluginSDK

/// The UTC range one read covers: `--since/--until` when given, else from the
/// checkpoint minus the lookback, else `initial_sync_days` before the end.
struct ReadWindow: Equatable {
    /// The lookback used when the pipeline sets none: the seed's `SYNC_BUFFER_HOURS` default.
    static let defaultLookback = 2 * HelsinkiTime.hour

    /// UTC seconds, start inclusive (on a whole hour), end exclusive.
    var range: Range<Int>

    /// Works out the range of a read.
    /// - Parameters:
    ///   - request: The host's read request.
    ///   - initialSyncDays: Days to fetch when there is neither a checkpoint nor `since`.
    ///   - now: The current time (UTC seconds), the default end.
    init(_ request: ReadRequest, initialSyncDays: Int, now: Int) throws {
        let end = try request.until.map { try Self.instant($0, what: "until") } ?? now
        var start: Int
        if let since = request.since {
            start = try Self.instant(since, what: "since")
        } else if !request.fullRefresh, let last = Self.checkpointTime(request.checkpoint) {
            start = last - (request.lookback ?? Self.defaultLookback)
        } else {
            start = end - initialSyncDays * HelsinkiTime.day
        }
        start = HelsinkiTime.floorDiv(start, HelsinkiTime.hour) * HelsinkiTime.hour
        range = start..<max(start, end)
    }

    /// The last point's time a checkpoint holds (`{"time": "…Z"}`), if any.
    /// - Parameter checkpoint: The checkpoint handed to `read`.
    static func checkpointTime(_ checkpoint: JSONValue?) -> Int? {
        guard let text = checkpoint?["time"]?.stringValue else { return nil }
        return try? instant(text, what: "checkpoint")
    }

    /// An instant from a date or date-time, as the seed's `--start-date`/`--end-date` accept:
    /// `2024-01-31` is that day's Finnish midnight; `2024-01-31T23:59:59` without an offset is
    /// Finnish local time; `Z` or `±HH:MM` are honoured.
    /// - Parameters:
    ///   - text: The value.
    ///   - what: Its name, for the error.
    static func instant(_ text: String, what: String) throws -> Int {
        let invalid = PluginError.invalid(
            "\(what) '\(text)' is not a date (2024-01-31) or date-time (2024-01-31T23:59:59, "
                + "optionally with Z or an offset such as +02:00)")
        if text.count == 10, let local = HelsinkiTime.parseNaive(text + "T00:00") {
            return HelsinkiTime.utc(forLocal: local)
        }
        var body = Substring(text)
        var offset: Int?
        if body.hasSuffix("Z") || body.hasSuffix("z") {
            body = body.dropLast()
            offset = 0
        } else if body.count > 19 || (body.count > 16 && !body.dropFirst(16).hasPrefix(":")) {
            // ±HH:MM or ±HHMM at the end.
            let tail = Array(body.suffix(6))
            let compact = Array(body.suffix(5))
            if tail.count == 6, tail[0] == "+" || tail[0] == "-", tail[3] == ":",
                let hours = Int(String(tail[1...2])), let minutes = Int(String(tail[4...5]))
            {
                offset = (tail[0] == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
                body = body.dropLast(6)
            } else if compact.count == 5, compact[0] == "+" || compact[0] == "-",
                let hours = Int(String(compact[1...2])), let minutes = Int(String(compact[3...4]))
            {
                offset = (compact[0] == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
                body = body.dropLast(5)
            }
        }
        if let dot = body.firstIndex(of: ".") { body = body[..<dot] }
        guard body.count == 16 || body.count == 19, let local = HelsinkiTime.parseNaive(body) else { throw invalid }
        if let offset { return local - offset }
        return HelsinkiTime.utc(forLocal: local)
    }
}
