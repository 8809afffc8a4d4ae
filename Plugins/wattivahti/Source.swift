import FerryJSON
import FerryPluginSDK

/// Reads the `consumption` stream chunk by chunk (local days): each chunk's
/// resolution is detected on its own, and each non-empty chunk is one batch
/// whose checkpoint is the newest point time so far.
final class ConsumptionReader: BatchReader {
    private let window: ReadWindow
    private let client: MeterDataClient
    private let host: HostServices
    private let chunkDays: Int
    private var cursor: Int
    /// The newest point time acknowledged or read; a backfill never moves it back.
    private var newest: Int?

    init(window: ReadWindow, client: MeterDataClient, host: HostServices, chunkDays: Int, checkpoint: Int?) {
        self.window = window
        self.client = client
        self.host = host
        self.chunkDays = chunkDays
        cursor = window.range.lowerBound
        newest = checkpoint
    }

    func next() throws -> RecordBatch? {
        while cursor < window.range.upperBound {
            if host.isCancelled { throw PluginError.cancelled() }
            let chunk = cursor..<min(window.range.upperBound, Self.chunkEnd(after: cursor, days: chunkDays))
            cursor = chunk.upperBound
            let points = try ResolutionFallback.points(in: chunk) { resolution, range in
                let converted = MeterEntry.points(
                    from: try client.entries(resolution, in: range), resolution: resolution, in: range)
                if converted.skipped > 0 {
                    host.log(
                        .warning, "Skipped meter values whose local time does not exist or repeats too often.",
                        [
                            "count": .int(Int64(converted.skipped)), "resolution": .string(resolution.rawValue),
                            "from": .string(HelsinkiTime.formatUTC(range.lowerBound)),
                        ])
                }
                return converted.points
            }
            guard let last = points.last else { continue }
            newest = max(newest ?? last.time, last.time)
            var batch = RecordBatch(checkpoint: ["time": .string(HelsinkiTime.formatUTC(newest!))])
            for point in points { batch.append(point.record(meteringPoint: client.config.meteringPoint)) }
            host.count("wattivahti.points", by: Double(points.count))
            return batch
        }
        return nil
    }

    /// The UTC instant of the local midnight `days` days after the local day holding `utc`.
    /// - Parameters:
    ///   - utc: A UTC instant.
    ///   - days: Local days per chunk.
    static func chunkEnd(after utc: Int, days: Int) -> Int {
        let local = HelsinkiTime.local(forUTC: utc)
        return HelsinkiTime.utc(forLocal: (HelsinkiTime.floorDiv(local, HelsinkiTime.day) + days) * HelsinkiTime.day)
    }
}
