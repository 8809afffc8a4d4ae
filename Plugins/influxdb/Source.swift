import FerryJSON
import FerryPluginSDK

/// The source side: one stream, `latest`, whose single batch is one record
/// `{"measurement", "tags", "field", "time"}` giving the newest point of the
/// configured `series` (InfluxQL `LAST()` on v1, Flux `last()` on v2), or no
/// record when the series has no point yet. The engine (or a pipeline) reads it
/// to start an incremental sync where the data already in InfluxDB ends.
final class InfluxSource {
    /// The stream's name.
    static let stream = "latest"

    private let client: InfluxClient
    private let config: InfluxConfig

    init(client: InfluxClient, config: InfluxConfig) {
        self.client = client
        self.config = config
    }

    /// The `latest` stream when a series is configured (or can be defaulted).
    func discover() throws -> [StreamDescriptor] {
        guard (try? resolvedSeries()) != nil else { return [] }
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "measurement": ["type": "string"], "field": ["type": "string"],
                "tags": ["type": "object"], "time": ["type": "string", "format": "date-time"],
            ],
        ]
        return [StreamDescriptor(name: Self.stream, schema: schema, primaryKey: ["measurement"], cursorField: "time")]
    }

    /// A reader of the one-record batch.
    func read(_ request: ReadRequest) throws -> any BatchReader {
        guard request.stream == Self.stream else {
            throw PluginError.invalid(
                "unknown stream '\(request.stream)'; the influxdb connector offers '\(Self.stream)'")
        }
        return LatestReader { [self] in try latestRecord() }
    }

    /// The newest point's record, or nil when the series is empty.
    func latestRecord() throws -> JSONObject? {
        let series = try resolvedSeries()
        let time: String?
        switch config.api {
        case .v1: time = try latestV1(series)
        case .v2: time = try latestV2(series)
        }
        guard let time else { return nil }
        let tags = JSONObject(series.tags.map { ($0.key, JSONValue.string($0.value)) })
        return JSONObject([
            ("measurement", .string(series.measurement ?? "")), ("field", .string(series.field ?? "")),
            ("tags", .object(tags)), ("time", .string(time)),
        ])
    }

    /// The series with its defaults applied: measurement from `measurement`, field from the first of `fields`.
    func resolvedSeries() throws -> InfluxConfig.Series {
        var series = config.series ?? InfluxConfig.Series()
        if series.measurement == nil { series.measurement = config.measurement }
        if series.field == nil { series.field = config.fields?.first }
        guard series.measurement != nil else {
            throw PluginError.invalid("the latest stream needs config.series.measurement (or config.measurement)")
        }
        guard series.field != nil else {
            throw PluginError.invalid("the latest stream needs config.series.field (or config.fields)")
        }
        return series
    }

    /// `SELECT LAST("field") FROM "measurement" WHERE "tag"='value' …`: the time column, in RFC 3339.
    private func latestV1(_ series: InfluxConfig.Series) throws -> String? {
        var statement = "SELECT LAST(\(Self.identifier(series.field!))) FROM \(Self.identifier(series.measurement!))"
        if !series.tags.isEmpty {
            statement +=
                " WHERE "
                + series.tags.map { "\(Self.identifier($0.key)) = \(Self.literal($0.value))" }.joined(
                    separator: " AND ")
        }
        let result = try client.query(statement)
        guard let row = result["series"]?.arrayValue?.first?["values"]?.arrayValue?.first?.arrayValue,
            let time = row.first?.stringValue
        else { return nil }
        return time
    }

    /// Flux `last()` over all time; the newest `_time` of the rows (one per table).
    private func latestV2(_ series: InfluxConfig.Series) throws -> String? {
        var flux = "from(bucket: \(Self.fluxString(config.bucket ?? "")))\n  |> range(start: 0)\n"
        flux +=
            "  |> filter(fn: (r) => r._measurement == \(Self.fluxString(series.measurement!)) and r._field == \(Self.fluxString(series.field!)))\n"
        for (tag, value) in series.tags {
            flux += "  |> filter(fn: (r) => r[\(Self.fluxString(tag))] == \(Self.fluxString(value)))\n"
        }
        flux += "  |> last()\n  |> keep(columns: [\"_time\"])\n"
        let csv = try client.flux(flux)
        var newest: (nanoseconds: Int64, text: String)?
        var timeColumn: Int?
        for rawLine in csv.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty || line.hasPrefix("#") { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let column = cells.firstIndex(of: "_time") {
                timeColumn = column
                continue
            }
            guard let timeColumn, timeColumn < cells.count,
                let nanoseconds = try? Timestamp.nanoseconds(iso: cells[timeColumn])
            else { continue }
            if newest == nil || nanoseconds > newest!.nanoseconds { newest = (nanoseconds, cells[timeColumn]) }
        }
        return newest.map { Timestamp.iso(nanoseconds: $0.nanoseconds) }
    }

    /// An InfluxQL double-quoted identifier.
    static func identifier(_ name: String) -> String {
        "\"" + name.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    /// An InfluxQL single-quoted string literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
    }

    /// A Flux double-quoted string literal.
    static func fluxString(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("${", with: "\\${") + "\""
    }
}
