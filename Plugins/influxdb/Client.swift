import FerryJSON
import FerryPluginSDK

/// The InfluxDB HTTP API through the host's HTTP service (which adds the
/// connection's endpoint, authentication, retries and redaction), with
/// InfluxDB's error JSON mapped to clear errors.
struct InfluxClient {
    /// What the server said to one write.
    enum WriteReply: Equatable {
        /// Every point written (204).
        case written
        /// 400/422: some or all points refused; the server's message.
        case refused(String)
        /// 413: the body is too large for the server.
        case tooLarge(String)
    }

    let host: HostServices
    let config: InfluxConfig

    /// Sends line protocol to the write endpoint.
    /// - Parameter body: `\n`-separated points.
    /// - Throws: `PluginError` for a missing database or bucket (invalid), rejected
    ///   credentials (auth), 429 (rate-limited) and 5xx (retryable).
    func write(_ body: [UInt8]) throws -> WriteReply {
        // Writing the same points again overwrites them with the same values, so a retry is safe.
        let request = HTTPRequest(
            method: "POST", url: config.writePath,
            headers: [("Content-Type", "text/plain; charset=utf-8")], body: body, retrySafe: true)
        let response = try host.http(request)
        switch response.status {
        case 200..<300: return .written
        case 400, 422: return .refused(Self.message(response))
        case 413: return .tooLarge(Self.message(response))
        default: throw error(response, doing: "write to")
        }
    }

    /// Runs an InfluxQL statement (v1) and returns its first result.
    /// - Parameter statement: The InfluxQL text.
    /// - Throws: `PluginError` for HTTP errors and for a statement-level `error`.
    func query(_ statement: String) throws -> JSONValue {
        var query = [("db", config.database ?? ""), ("q", statement)]
        if let retentionPolicy = config.retentionPolicy { query.append(("rp", retentionPolicy)) }
        let response = try host.http(.get("query", query: query))
        guard response.isSuccess else { throw error(response, doing: "query") }
        let result = try response.json()["results"]?.arrayValue?.first ?? .null
        if let message = result["error"]?.stringValue { throw mapped(message, status: response.status, doing: "query") }
        return result
    }

    /// Runs a Flux query (v2) and returns the annotated CSV text.
    /// - Parameter flux: The Flux program.
    func flux(_ flux: String) throws -> String {
        let request = HTTPRequest(
            method: "POST", url: HTTPRequest.path("api/v2/query", query: [("org", config.org ?? "")]),
            headers: [("Content-Type", "application/vnd.flux"), ("Accept", "application/csv")],
            body: Array(flux.utf8), retrySafe: true)
        let response = try host.http(request)
        guard response.isSuccess else { throw error(response, doing: "query") }
        return response.text
    }

    /// `GET /ping` (v1) or `GET /health` (v2): the server's version when it answers.
    func ping() throws -> String {
        let response = try host.http(.get(config.api == .v1 ? "ping" : "health"))
        guard response.isSuccess else { throw error(response, doing: "reach") }
        return response[header: "X-Influxdb-Version"] ?? (try? response.json()["version"]?.stringValue)
            ?? "unknown version"
    }

    /// The server's message: `{"error": …}` (1.x), `{"message": …}` (2.x), the
    /// `X-Influxdb-Error` header, or the body text.
    static func message(_ response: HTTPResponse) -> String {
        if let json = try? response.json() {
            if let text = json["error"]?.stringValue ?? json["message"]?.stringValue { return text }
        }
        if let header = response[header: "X-Influxdb-Error"], !header.isEmpty { return header }
        let text = response.text.trimmingWhitespace
        return text.isEmpty ? "HTTP \(response.status) with an empty body" : String(text.prefix(300))
    }

    /// The `PluginError` for a failed response.
    func error(_ response: HTTPResponse, doing action: String) -> PluginError {
        mapped(Self.message(response), status: response.status, doing: action)
    }

    private func mapped(_ message: String, status: Int, doing action: String) -> PluginError {
        let lowered = message.lowercased()
        let prefix = "InfluxDB refused to \(action) \(config.target)"
        let isAuth =
            status == 401 || status == 403
            || (status < 500 && (lowered.contains("authorization failed") || lowered.contains("unauthorized")))
        if isAuth {
            return .auth(
                "\(prefix): \(message) (HTTP \(status)); check the connection's http.auth (v1: basic username/password; "
                    + "v2: an 'Authorization: Token …' header) and its permissions")
        }
        if lowered.contains("database not found") {
            return .invalid(
                "InfluxDB has no database '\(config.database ?? "")': \(message); create it (CREATE DATABASE \"\(config.database ?? "")\") or fix config.database"
            )
        }
        if lowered.contains("retention policy not found") {
            return .invalid("InfluxDB \(config.target): \(message); fix config.retention_policy")
        }
        // 1.x answers a missing retention policy with a 500; the checks above keep it from looking transient.
        if status == 429 { return .rateLimited("\(prefix): \(message) (HTTP 429)", retryAfter: nil) }
        if status >= 500 { return .retryable("\(prefix): \(message) (HTTP \(status))") }
        if status == 404 {
            return .invalid(
                "\(prefix): \(message) (HTTP 404); check config.org and config.bucket, and that http.endpoint is the server's base URL"
            )
        }
        return .invalid("\(prefix): \(message) (HTTP \(status))")
    }
}
