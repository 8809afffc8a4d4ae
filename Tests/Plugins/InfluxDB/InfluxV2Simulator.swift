import FerryJSON
import FerryPluginSDK
import Foundation

/// The InfluxDB 2.x HTTP API as the reference (§8) describes it, backed by the
/// real 1.x test server: `POST /api/v2/write?org=&bucket=&precision=` with
/// `Authorization: Token …`, the 2.x error JSON (`{"code", "message"}`), and
/// `POST /api/v2/query` answering the Flux `last()` shape the connector sends
/// with annotated CSV, one row per table (per field series) as 2.x does.
final class InfluxV2Simulator: @unchecked Sendable {
    let org: String
    let token: String
    /// Bucket name → the 1.x database holding its points.
    let buckets: [String: String]
    private let server: LoopbackHTTPClient
    private let lock = NSLock()
    private var fluxSeen: [String] = []

    var fluxQueries: [String] { lock.withLock { fluxSeen } }

    init(org: String, token: String, buckets: [String: String], server: LoopbackHTTPClient) {
        self.org = org
        self.token = token
        self.buckets = buckets
        self.server = server
    }

    /// The harness handler. `Authorization` is what the host would add from the connection's `http.auth`.
    func handler(authorization: String) -> @Sendable (HTTPRequest) throws -> HTTPResponse {
        { [self] request in try handle(request, authorization: authorization) }
    }

    private func handle(_ request: HTTPRequest, authorization: String) throws -> HTTPResponse {
        guard authorization == "Token \(token)" else { return error(401, "unauthorized", "unauthorized access") }
        let (path, query) = Self.split(request.url)
        switch (request.method, path) {
        case ("GET", "health"):
            return HTTPResponse(
                status: 200, body: Array(#"{"name":"influxdb","status":"pass","version":"v2-simulator"}"#.utf8))
        case ("POST", "api/v2/write"):
            guard query["org"] == org else {
                return error(404, "not found", "organization name \"\(query["org"] ?? "")\" not found")
            }
            guard let bucket = query["bucket"], let database = buckets[bucket] else {
                return error(404, "not found", "bucket \"\(query["bucket"] ?? "")\" not found")
            }
            let precision = ["ns": "n", "us": "u", "ms": "ms", "s": "s"][query["precision"] ?? "ns"] ?? "n"
            let response = try server.send(
                HTTPRequest(
                    method: "POST",
                    url: HTTPRequest.path("write", query: [("db", database), ("precision", precision)]),
                    body: request.body))
            if response.isSuccess { return HTTPResponse(status: 204) }
            let message = (try? response.json()["error"]?.stringValue) ?? response.text
            return error(
                response.status == 404 ? 404 : 400, "invalid",
                message.hasPrefix("partial write") ? "partial write error: \(message)" : message)
        case ("POST", "api/v2/query"):
            guard query["org"] == org else {
                return error(404, "not found", "organization name \"\(query["org"] ?? "")\" not found")
            }
            let flux = String(decoding: request.body, as: UTF8.self)
            lock.withLock { fluxSeen.append(flux) }
            return try answer(flux)
        default:
            return error(404, "not found", "path not found")
        }
    }

    /// Runs `from(bucket) |> filter(_measurement, _field, tags) |> last()` as InfluxQL on the real server.
    private func answer(_ flux: String) throws -> HTTPResponse {
        guard let bucket = Self.quoted(after: "from(bucket: ", in: flux), let database = buckets[bucket] else {
            return error(404, "not found", "bucket not found")
        }
        guard let measurement = Self.quoted(after: "r._measurement == ", in: flux),
            let field = Self.quoted(after: "r._field == ", in: flux)
        else {
            return error(400, "invalid", "simulator: unsupported Flux")
        }
        var conditions: [String] = []
        var rest = Substring(flux)
        while let range = rest.firstRange(of: "r[") {
            let after = String(rest[range.upperBound...])
            guard let tag = Self.quoted(after: "", in: after), let value = Self.quoted(after: "] == ", in: after) else {
                break
            }
            conditions.append(
                "\"\(tag)\" = '\(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'"))'"
            )
            rest = rest[range.upperBound...]
        }
        var statement = "SELECT LAST(\"\(field)\") FROM \"\(measurement)\""
        if !conditions.isEmpty { statement += " WHERE " + conditions.joined(separator: " AND ") }
        let response = try server.send(.get("query", query: [("db", database), ("q", statement)]))
        let series = try response.json()["results"]?.arrayValue?.first?["series"]?.arrayValue?.first
        let time = series?["values"]?.arrayValue?.first?.arrayValue?.first?.stringValue
        var csv = ",result,table,_time\r\n"
        if let time { csv += ",_result,0,\(time)\r\n" }
        return HTTPResponse(
            status: 200, headers: [("Content-Type", "text/csv; charset=utf-8")], body: Array((csv + "\r\n").utf8))
    }

    private func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        let body = JSONWriter().encodeString(["code": .string(code), "message": .string(message)])
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }

    /// The Flux string literal right after `prefix` (unescaped).
    private static func quoted(after prefix: String, in text: String) -> String? {
        guard let start = prefix.isEmpty ? text.startIndex..<text.startIndex : text.firstRange(of: prefix),
            text[start.upperBound...].first == "\""
        else { return nil }
        var value = ""
        var escaped = false
        for character in text[text.index(after: start.upperBound)...] {
            if escaped {
                value.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return value
            } else {
                value.append(character)
            }
        }
        return nil
    }

    private static func split(_ url: String) -> (String, [String: String]) {
        let parts = url.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).removingPercentEncoding ?? String($0)
                }
                query[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
        }
        return (String(parts.first ?? ""), query)
    }
}
