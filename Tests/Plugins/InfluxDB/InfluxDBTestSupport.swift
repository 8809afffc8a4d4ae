import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// Shortcuts for the influxdb connector tests: the server comes from
/// `FERRY_TEST_INFLUX_URL` (scripts/test.sh starts one); each test works in a
/// database of its own, dropped when the test ends. HTTP goes through
/// `LoopbackHTTPClient`, standing in for the host's libcurl service.
enum InfluxTest {
    /// True only when someone asked explicitly to skip these tests.
    static let skipped = ProcessInfo.processInfo.environment["FERRY_SKIP_INFLUX"] == "1"

    /// The test server's base URL. Missing, the tests fail: they never skip quietly.
    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["FERRY_TEST_INFLUX_URL"], !url.isEmpty else {
            throw HarnessError(
                """
                FERRY_TEST_INFLUX_URL is not set: run scripts/test.sh (it starts an InfluxDB server), or \
                eval "$(scripts/influxdb-test-server.sh start)" before swift test; FERRY_SKIP_INFLUX=1 skips these tests
                """)
        }
        return url
    }

    /// The auth-enabled server: its URL and admin credentials.
    static func authServer() throws -> (url: String, user: String, password: String) {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["FERRY_TEST_INFLUX_AUTH_URL"], !url.isEmpty,
            let user = environment["FERRY_TEST_INFLUX_AUTH_USER"],
            let password = environment["FERRY_TEST_INFLUX_AUTH_PASSWORD"]
        else {
            throw HarnessError(
                """
                FERRY_TEST_INFLUX_AUTH_URL/_USER/_PASSWORD are not set: run scripts/test.sh, or \
                eval "$(scripts/influxdb-test-server.sh start)" before swift test; FERRY_SKIP_INFLUX=1 skips these tests
                """)
        }
        return (url, user, password)
    }

    /// An `Authorization: Basic …` header.
    static func basic(_ user: String, _ password: String) -> (name: String, value: String) {
        ("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }
}

/// A database of the test's own on the test server.
final class InfluxScratch {
    let url: String
    let database: String
    let client: LoopbackHTTPClient

    /// A database on the open server, or with `authenticated` on the auth-enabled one (as its admin).
    init(authenticated: Bool = false) throws {
        if authenticated {
            let server = try InfluxTest.authServer()
            url = server.url
            client = LoopbackHTTPClient(endpoint: url, headers: [InfluxTest.basic(server.user, server.password)])
        } else {
            url = try InfluxTest.url()
            client = LoopbackHTTPClient(endpoint: url)
        }
        database = "ferry_t_" + UUID().uuidString.prefix(8).lowercased()
        try admin("CREATE DATABASE \"\(database)\"")
    }

    deinit { _ = try? admin("DROP DATABASE \"\(database)\"") }

    /// An instance of the plugin on this database, its HTTP going to the test server
    /// through `handler` (default: straight to the server).
    func open(_ extra: JSONObject = [:], handler: (@Sendable (HTTPRequest) throws -> HTTPResponse)? = nil) throws
        -> PluginInstance
    {
        var config: JSONObject = ["database": .string(database)]
        for (key, value) in extra { config[key] = value }
        let instance = try PluginInstance("influxdb", config: .object(config))
        let client = self.client
        instance.host.http = handler ?? { try client.send($0) }
        return instance
    }

    /// Runs a management statement (POST /query).
    @discardableResult
    func admin(_ statement: String) throws -> JSONValue {
        let response = try client.send(
            HTTPRequest(method: "POST", url: HTTPRequest.path("query", query: [("q", statement)])))
        guard response.isSuccess else { throw HarnessError("\(statement): HTTP \(response.status) \(response.text)") }
        return try response.json()
    }

    /// Runs a query on this database and returns the first series' rows as
    /// column → value objects (times in RFC 3339, or in `epoch` units when given).
    func rows(_ statement: String, epoch: String? = nil) throws -> [[String: JSONValue]] {
        var query = [("db", database), ("q", statement)]
        if let epoch { query.append(("epoch", epoch)) }
        let response = try client.send(.get("query", query: query))
        guard response.isSuccess else { throw HarnessError("\(statement): HTTP \(response.status) \(response.text)") }
        let result = try response.json()["results"]?.arrayValue?.first ?? .null
        if let error = result["error"]?.stringValue { throw HarnessError("\(statement): \(error)") }
        var rows: [[String: JSONValue]] = []
        for series in result["series"]?.arrayValue ?? [] {
            let columns = series["columns"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for values in series["values"]?.arrayValue ?? [] {
                var row: [String: JSONValue] = [:]
                for (column, value) in zip(columns, values.arrayValue ?? []) { row[column] = value }
                rows.append(row)
            }
        }
        return rows
    }

    /// The number of points in `measurement`.
    func count(_ measurement: String, field: String) throws -> Int64 {
        try rows("SELECT COUNT(\"\(field)\") FROM \"\(measurement)\"").first?["count"]?.intValue ?? 0
    }
}

/// Counts the write requests an instance sends and the points in each.
final class WriteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var sizes: [Int] = []
    var pointsPerWrite: [Int] { lock.withLock { sizes } }

    func handler(_ client: LoopbackHTTPClient) -> @Sendable (HTTPRequest) throws -> HTTPResponse {
        { [self] request in
            if request.method == "POST" && request.url.hasPrefix("write") {
                let lines = request.body.split(separator: UInt8(ascii: "\n")).count
                lock.withLock { sizes.append(lines) }
            }
            return try client.send(request)
        }
    }
}

extension WriteRequest {
    /// A write to `stream` with `operation`.
    static func influx(_ stream: String = "m", _ operation: WriteOperation = .append, batch: String = "1")
        -> WriteRequest
    {
        WriteRequest(stream: stream, operation: operation, batchID: batch)
    }
}

/// Requests a fake server saw.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [HTTPRequest] = []
    var requests: [HTTPRequest] { lock.withLock { list } }
    func append(_ request: HTTPRequest) { lock.withLock { list.append(request) } }
}
