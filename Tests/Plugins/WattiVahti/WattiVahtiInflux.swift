import FerryHTTP
import FerryJSON
import FerryPluginSDK
import FerryTesting
import Foundation

/// A database of one test's own on the InfluxDB test server (`FERRY_TEST_INFLUX_URL`,
/// started by `scripts/test.sh`), dropped when the test ends.
final class WattiVahtiInflux {
    /// True only when someone asked explicitly to skip the InfluxDB tests.
    static let skipped = ProcessInfo.processInfo.environment["FERRY_SKIP_INFLUX"] == "1"

    let url: String
    let database: String

    init() throws {
        guard let url = ProcessInfo.processInfo.environment["FERRY_TEST_INFLUX_URL"], !url.isEmpty else {
            throw ServerError(
                """
                FERRY_TEST_INFLUX_URL is not set: run scripts/test.sh (it starts an InfluxDB server), or \
                eval "$(scripts/influxdb-test-server.sh start)" before swift test; FERRY_SKIP_INFLUX=1 skips these tests
                """)
        }
        self.url = url
        database = "ferry_watti_" + UUID().uuidString.prefix(8).lowercased()
        _ = try query("CREATE DATABASE \"\(database)\"", post: true)
    }

    deinit { _ = try? query("DROP DATABASE \"\(database)\"", post: true) }

    /// Runs an InfluxQL statement and returns its first result.
    @discardableResult
    func query(_ statement: String, post: Bool = false) throws -> JSONValue {
        let path = HTTPRequest.path(url + "/query", query: [("db", database), ("q", statement)])
        let response: HTTPTransportResponse
        do {
            response = try CurlTransport().perform(HTTPTransportRequest(method: post ? "POST" : "GET", url: path))
        } catch {
            throw ServerError("InfluxDB at \(url) did not answer: \(error)")
        }
        guard (200..<300).contains(response.status) else {
            throw ServerError("\(statement): HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        let result = try JSONParser().parse(response.body)["results"]?.arrayValue?.first ?? .null
        if let error = result["error"]?.stringValue { throw ServerError("\(statement): \(error)") }
        return result
    }

    /// One stored point.
    struct Point: Equatable {
        var time: String
        var kilowattHours: Double
        var wattHours: Double
        var resolution: String
    }

    /// The points of a metering point in a UTC range, oldest first.
    func points(_ meteringPoint: String, from: String, to: String) throws -> [Point] {
        let result = try query(
            """
            SELECT "consumption_kwh", "consumption_wh", "resolution" FROM "electricity_consumption" \
            WHERE "metering_point" = '\(meteringPoint)' AND time >= '\(from)' AND time < '\(to)'
            """)
        let rows = result["series"]?.arrayValue?.first?["values"]?.arrayValue ?? []
        return rows.compactMap { row in
            guard let values = row.arrayValue, values.count == 4, let time = values[0].stringValue else { return nil }
            return Point(
                time: time, kilowattHours: values[1].doubleValue ?? .nan, wattHours: values[2].doubleValue ?? .nan,
                resolution: values[3].stringValue ?? "")
        }
    }

    /// All points of a metering point.
    func count(_ meteringPoint: String) throws -> Int {
        try points(meteringPoint, from: "1970-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z").count
    }
}
