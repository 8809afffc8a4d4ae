import FerryJSON
import FerryPluginSDK

/// PostgREST's HTTP protocol over the host's HTTP service: bulk inserts and
/// upserts, deletes by filter, and reads. Authentication headers are the
/// host's; this type adds only the protocol's own (`Prefer`, profiles).
struct PostgRESTClient {
    let host: HostServices
    /// The exposed schema sent as `Content-Profile`/`Accept-Profile`; nil: the server's default.
    let schema: String?

    /// Posts a JSON array of objects with the same keys, as one statement.
    /// - Parameters:
    ///   - table: The table.
    ///   - body: The encoded JSON array.
    ///   - upsert: The conflict columns (empty: the primary key) and resolution, or nil for a plain insert.
    ///   - returning: Columns of the written rows to send back (`return=representation` with `select=`); nil: none.
    /// - Returns: The rows sent back (empty without `returning`) when PostgREST accepted the rows, else the
    ///   error for the caller to split or report.
    /// - Throws: `PluginError` for auth (401/403), rate limits (429) and server failures (5xx).
    func insert(
        into table: String, body: [UInt8], upsert: (columns: [String], resolution: PostgRESTConfig.Resolution)?,
        returning: [String]? = nil
    ) throws -> Result<[JSONValue], PostgRESTError> {
        var query: [(String, String)] = []
        let representation = returning.map { _ in "return=representation" } ?? "return=minimal"
        var prefer = representation
        if let upsert {
            if !upsert.columns.isEmpty { query.append(("on_conflict", upsert.columns.joined(separator: ","))) }
            prefer = "resolution=\(upsert.resolution.rawValue),\(representation)"
        }
        if let returning { query.append(("select", returning.joined(separator: ","))) }
        var headers = [(name: "Content-Type", value: "application/json"), (name: "Prefer", value: prefer)]
        if let schema { headers.append((name: "Content-Profile", value: schema)) }
        // An upsert may be repeated after a lost answer; a plain insert may not.
        let request = HTTPRequest(
            method: "POST", url: HTTPRequest.path(Self.path(table), query: query), headers: headers,
            body: body, retrySafe: upsert != nil)
        let response = try host.http(request)
        if let error = try Self.failure(of: response, table: table) { return .failure(error) }
        guard returning != nil else { return .success([]) }
        guard let rows = try response.json().arrayValue else {
            throw PluginError.invalid("PostgREST answered POST \(table) with return=representation but no JSON array")
        }
        return .success(rows)
    }

    /// Deletes the rows a filter selects (`id=in.(1,2)`).
    /// - Parameters:
    ///   - table: The table.
    ///   - filter: One filter parameter.
    /// - Returns: nil on success, else the error.
    func delete(from table: String, filter: (String, String)) throws -> PostgRESTError? {
        var headers = [(name: "Prefer", value: "return=minimal")]
        if let schema { headers.append((name: "Content-Profile", value: schema)) }
        return try send(
            HTTPRequest(method: "DELETE", url: HTTPRequest.path(Self.path(table), query: [filter]), headers: headers),
            table: table)
    }

    /// Reads rows.
    /// - Parameters:
    ///   - table: The table.
    ///   - query: Filters, `order`, `limit`, `offset`.
    /// - Returns: The rows and the total from `Content-Range` when the server counted them.
    func select(from table: String, query: [(String, String)]) throws -> (rows: [JSONValue], total: Int?) {
        var headers = [(name: "Prefer", value: "count=exact")]
        if let schema { headers.append((name: "Accept-Profile", value: schema)) }
        let request = HTTPRequest(
            method: "GET", url: HTTPRequest.path(Self.path(table), query: query), headers: headers)
        let response = try host.http(request)
        guard response.isSuccess else {
            throw PostgRESTError(response).pluginError(table: table, retryAfter: Self.retryAfter(response))
        }
        guard let rows = try response.json().arrayValue else {
            throw PluginError.invalid("PostgREST answered GET \(table) with something other than a JSON array")
        }
        let total = response[header: "Content-Range"].flatMap { $0.split(separator: "/").last.flatMap { Int($0) } }
        return (rows, total)
    }

    /// Sends a write; 2xx (200, 201, 204) is success.
    private func send(_ request: HTTPRequest, table: String) throws -> PostgRESTError? {
        try Self.failure(of: host.http(request), table: table)
    }

    /// nil for 2xx; the error the caller may split on; throws the errors of the whole request.
    private static func failure(of response: HTTPResponse, table: String) throws -> PostgRESTError? {
        if response.isSuccess { return nil }
        let error = PostgRESTError(response)
        if [401, 403, 429].contains(response.status) || response.status >= 500 {
            throw error.pluginError(table: table, retryAfter: Self.retryAfter(response))
        }
        return error
    }

    /// The relative path of a table: `/<table>`, joined by the host to `http.endpoint`.
    static func path(_ table: String) -> String { "/" + HTTPRequest.encode(table) }

    /// `Retry-After` in seconds, when the server sent a number.
    static func retryAfter(_ response: HTTPResponse) -> Double? {
        response[header: "Retry-After"].flatMap { Double($0.trimmed) }
    }

    /// A filter value double-quoted as PostgREST reads it inside `in.(...)` and logic trees,
    /// so commas, dots, parentheses and quotes in keys are safe.
    /// - Parameter value: A scalar value.
    static func quoted(_ value: JSONValue) -> String? {
        let text: String
        switch value {
        case .string(let string): text = string
        case .int(let int): return String(int)
        case .double(let double): return String(double)
        case .bool(let bool): return String(bool)
        default: return nil
        }
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }
}
