import FerryJSON
import FerryPluginSDK

/// The destination side: records → points → line-protocol writes of at most
/// `batch_points` points. Points the server refuses are isolated (named from
/// its message when it names them, else by splitting the write in halves) so
/// the rest of the batch still lands; rewriting a point is harmless, because
/// InfluxDB keys a point by measurement, tag set and time.
final class InfluxDestination {
    private let client: InfluxClient
    private let encoder: PointEncoder
    private let host: HostServices
    private let batchPoints: Int
    var isCancelled: () -> Bool = { false }

    init(client: InfluxClient, config: InfluxConfig, host: HostServices) {
        self.client = client
        self.encoder = PointEncoder(config: config)
        self.host = host
        self.batchPoints = config.batchPoints
    }

    /// Writes one batch. `append` and `upsert` both write (a point with the same
    /// series and time replaces the old one); `delete` is not supported.
    func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        guard request.operation != .delete else {
            throw PluginError.unsupported(
                "the influxdb destination cannot delete points; use write mode append or upsert")
        }
        var rejections: [RecordRejection] = []
        var points: [PointEncoder.Point] = []
        points.reserveCapacity(records.count)
        for (index, parsed) in records.objects().enumerated() {
            switch parsed {
            case .failure(let error): rejections.append(RecordRejection(index: index, error: error.message))
            case .success(let record):
                do { points.append(try encoder.point(record, index: index, stream: request.stream)) } catch {
                    rejections.append(RecordRejection(index: index, error: error.description))
                }
            }
        }
        var written = 0
        var start = 0
        while start < points.count {
            if isCancelled() { throw PluginError.cancelled() }
            let chunk = Array(points[start..<min(start + batchPoints, points.count)])
            let refused = try writeIsolating(chunk)
            written += chunk.count - refused.count
            rejections += refused
            start += chunk.count
        }
        host.count("points_written", by: Double(written))
        if !rejections.isEmpty { host.count("points_rejected", by: Double(rejections.count)) }
        return WriteOutcome(acceptedCount: written, rejections: rejections.sorted { $0.index < $1.index })
    }

    /// Writes `points`; returns the rejections of those the server refused.
    private func writeIsolating(_ points: [PointEncoder.Point]) throws -> [RecordRejection] {
        guard !points.isEmpty else { return [] }
        let body = Array(points.map(\.line).joined(separator: "\n").utf8) + [UInt8(ascii: "\n")]
        let message: String
        switch try client.write(body) {
        case .written: return []
        case .refused(let text): message = text
        case .tooLarge(let text):
            guard points.count > 1 else {
                return [RecordRejection(index: points[0].index, error: "InfluxDB refused the point: \(text)")]
            }
            return try bisect(points)
        }
        guard points.count > 1 else {
            return [RecordRejection(index: points[0].index, error: "InfluxDB refused the point: \(message)")]
        }
        let named = Self.namedPoints(in: message, among: points)
        if !named.isEmpty && named.count < points.count {
            host.log(
                .warning, "InfluxDB refused some points; retrying the others.",
                ["refused": .int(Int64(named.count)), "error": .string(message)])
            let rest = points.enumerated().filter { !named.contains($0.offset) }.map(\.element)
            let refused = named.sorted().map {
                RecordRejection(index: points[$0].index, error: "InfluxDB refused the point: \(message)")
            }
            return refused + (try writeIsolating(rest))
        }
        host.log(
            .warning, "InfluxDB refused part of a write; splitting it to find the points.",
            ["points": .int(Int64(points.count)), "error": .string(message)])
        return try bisect(points)
    }

    private func bisect(_ points: [PointEncoder.Point]) throws -> [RecordRejection] {
        if isCancelled() { throw PluginError.cancelled() }
        let middle = points.count / 2
        return try writeIsolating(Array(points[..<middle])) + writeIsolating(Array(points[middle...]))
    }

    /// Positions in `points` that InfluxDB's message names: the line of
    /// `unable to parse '<line>'`, or every point giving the field of
    /// `input field "f" on measurement "m" is type T` that type.
    static func namedPoints(in message: String, among points: [PointEncoder.Point]) -> Set<Int> {
        var named = Set<Int>()
        var rest = Substring(message)
        while let range = rest.firstRange(of: "unable to parse '") {
            let after = rest[range.upperBound...]
            // The line ends at the "': " that precedes the reason; lines may contain quotes themselves.
            guard let end = after.firstRange(of: "': ") else { break }
            let line = String(after[..<end.lowerBound])
            for (position, point) in points.enumerated() where point.line == line { named.insert(position) }
            rest = after[end.upperBound...]
        }
        rest = Substring(message)
        while let range = rest.firstRange(of: "input field \"") {
            let after = rest[range.upperBound...]
            guard let fieldEnd = after.firstRange(of: "\" on measurement \""),
                let measurementEnd = after[fieldEnd.upperBound...].firstRange(of: "\" is type ")
            else { break }
            let field = String(after[..<fieldEnd.lowerBound])
            let measurement = String(after[fieldEnd.upperBound..<measurementEnd.lowerBound])
            let typeText = after[measurementEnd.upperBound...].prefix { $0.isLetter || $0.isNumber }
            let type = Self.normalisedType(String(typeText))
            for (position, point) in points.enumerated()
            where point.measurement == measurement && point.fieldTypes[field] == type {
                named.insert(position)
            }
            rest = after[measurementEnd.upperBound...]
        }
        return named
    }

    private static func normalisedType(_ name: String) -> String {
        switch name {
        case "int64", "integer", "int": return "integer"
        case "float64", "float": return "float"
        case "bool", "boolean": return "boolean"
        case "uint64", "unsigned": return "unsigned"
        default: return name
        }
    }
}
