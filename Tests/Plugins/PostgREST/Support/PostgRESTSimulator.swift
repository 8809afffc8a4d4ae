import FerryJSON
import FerryPluginSDK
import Foundation

/// A PostgREST-protocol server in process, backed by a real PostgreSQL: what
/// the harness's `http_request` reaches in the postgrest tests. It follows
/// `shared/reference/external-apis.md` §7: a bulk POST is one
/// `INSERT … SELECT … FROM json_populate_recordset(…)` statement (all or
/// nothing) with `ON CONFLICT` for `Prefer: resolution=…`; uniform keys
/// (PGRST102), known columns (PGRST204), exposed tables (PGRST205) and schemas
/// (PGRST106, via `Content-Profile`/`Accept-Profile`); SQLSTATEs mapped to HTTP
/// as PostgREST maps them (23505/23503 → 409, 23502/22P02 → 400); Supabase's
/// 401 without an `apikey`; GET with filters, `order`, `limit`/`offset`,
/// `Prefer: count=exact` and a row cap; DELETE with filters.
final class PostgRESTSimulator: @unchecked Sendable {
    /// The key clients must send as `apikey` (and as the bearer token when they send one).
    let apiKey: String
    /// Exposed schemas; the first is the default profile.
    let schemas: [String]
    /// Rows per GET at most (`db-max-rows`), nil: unlimited.
    var maxRows: Int?
    private let database: PostgRESTDatabase
    private let lock = NSLock()
    private var log: [String] = []

    /// Opens its own connection to the test server.
    /// - Parameters:
    ///   - dsn: The server.
    ///   - apiKey: The required `apikey`.
    ///   - schemas: The exposed schemas.
    init(dsn: String, apiKey: String = "service-role-key", schemas: [String]) throws {
        database = try PostgRESTDatabase(dsn: dsn)
        self.apiKey = apiKey
        self.schemas = schemas
    }

    /// Requests served, as `METHOD /path` (query left out).
    var requests: [String] { lock.withLock { log } }

    /// The harness handler: adds the headers the host would add from the connection's `http:` settings, then serves.
    /// - Parameter connectionHeaders: What `http.headers`/`http.auth` would contribute.
    func handler(connectionHeaders: [(name: String, value: String)]) -> @Sendable (HTTPRequest) throws -> HTTPResponse {
        { request in
            var request = request
            request.headers = connectionHeaders + request.headers
            return self.serve(request)
        }
    }

    /// Answers one request.
    func serve(_ request: HTTPRequest) -> HTTPResponse {
        let (path, query) = Self.split(request.url)
        lock.withLock { log.append("\(request.method) \(path)") }
        func header(_ name: String) -> String? {
            request.headers.last { $0.name.lowercased() == name.lowercased() }?.value
        }
        guard let key = header("apikey") else {
            return Self.json(
                401,
                [
                    "message": "No API key found in request",
                    "hint": "No `apikey` request header or url param was found.",
                ])
        }
        guard key == apiKey else {
            return Self.json(
                401,
                ["message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."])
        }
        if let authorization = header("Authorization"), authorization != "Bearer \(apiKey)" {
            return Self.error(401, "PGRST301", "JWSError JWSInvalidSignature")
        }
        let writing = request.method != "GET" && request.method != "HEAD"
        let schema = header(writing ? "Content-Profile" : "Accept-Profile") ?? schemas[0]
        guard schemas.contains(schema) else {
            return Self.error(
                406, "PGRST106", "The schema must be one of the following: \(schemas.joined(separator: ", "))")
        }
        let table = String(path.dropFirst()).removingPercentEncoding ?? ""
        if table.isEmpty && request.method == "GET" {
            return HTTPResponse(status: 200, body: Array("{\"swagger\":\"2.0\"}".utf8))
        }
        do {
            let columns = try database.query(
                """
                SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position
                """, [schema, table]
            ).map { $0[0]! }
            guard !columns.isEmpty else {
                return Self.error(404, "PGRST205", "Could not find the table '\(schema).\(table)' in the schema cache")
            }
            let target = PostgRESTFilter.identifier(schema) + "." + PostgRESTFilter.identifier(table)
            switch request.method {
            case "POST":
                return try insert(
                    request, into: target, named: "\(schema).\(table)", columns: columns, query: query,
                    prefer: header("Prefer") ?? "")
            case "DELETE": return try delete(from: target, query: query)
            case "GET": return try select(from: target, query: query, prefer: header("Prefer") ?? "")
            default: return Self.error(405, "PGRST117", "Unsupported HTTP method: \(request.method)")
            }
        } catch let failure as PostgRESTDatabase.Failure {
            var body: JSONObject = ["code": .string(failure.code), "message": .string(failure.message)]
            body["details"] = failure.details.map(JSONValue.string) ?? .null
            body["hint"] = failure.hint.map(JSONValue.string) ?? .null
            return Self.json(Self.status(sqlState: failure.code), body)
        } catch {
            return Self.error(400, "PGRST100", "\(error)")
        }
    }

    private func insert(
        _ request: HTTPRequest, into target: String, named: String, columns: [String], query: [(String, String)],
        prefer: String
    ) throws -> HTTPResponse {
        guard let body = try? JSONParser().parse(request.body) else {
            return Self.error(400, "PGRST102", "Empty or invalid json")
        }
        let rows = body.arrayValue ?? [body]
        guard let first = rows.first else { return HTTPResponse(status: 200, body: Array("[]".utf8)) }
        guard let keys = first.objectValue?.keys,
            rows.allSatisfy({ Set($0.objectValue?.keys ?? ["\u{0}"]) == Set(keys) })
        else {
            return Self.error(400, "PGRST102", "All object keys must match")
        }
        if let unknown = keys.first(where: { !columns.contains($0) }) {
            return Self.error(
                400, "PGRST204", "Could not find the '\(unknown)' column of '\(named)' in the schema cache")
        }
        let list = keys.map(PostgRESTFilter.identifier).joined(separator: ", ")
        var sql = "INSERT INTO \(target) (\(list)) SELECT \(list) FROM json_populate_recordset(null::\(target), $1)"
        let preferences = prefer.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let merge = preferences.contains("resolution=merge-duplicates")
        if merge || preferences.contains("resolution=ignore-duplicates") {
            let conflict = query.first { $0.0 == "on_conflict" }?.1.split(separator: ",").map(String.init) ?? []
            let targetColumns = conflict.isEmpty ? try primaryKey(of: target) : conflict
            sql += " ON CONFLICT (" + targetColumns.map(PostgRESTFilter.identifier).joined(separator: ", ") + ")"
            sql +=
                merge
                ? " DO UPDATE SET "
                    + keys.map { "\(PostgRESTFilter.identifier($0)) = EXCLUDED.\(PostgRESTFilter.identifier($0))" }
                    .joined(separator: ", ") : " DO NOTHING"
        }
        // xmax = 0 marks a freshly inserted row: 201 when any row was inserted, 200 when an upsert only updated.
        // With return=representation the affected rows come back, in insert order, as `select=` names them.
        let selected = query.first { $0.0 == "select" }?.1.split(separator: ",").map {
            PostgRESTFilter.identifier(String($0))
        }
        let representation = preferences.contains("return=representation")
        let rowsJSON =
            representation
            ? "(SELECT coalesce(json_agg(json_build_object(\((selected ?? []).map { "'\($0.replacingOccurrences(of: "\"", with: ""))', w.\($0)" }.joined(separator: ", ")))), '[]'::json)::text FROM w)"
            : "'[]'"
        let inserted = try database.query(
            "WITH w AS (\(sql) RETURNING *, (xmax = 0) AS fresh) SELECT count(*) FILTER (WHERE fresh), \(rowsJSON) FROM w",
            [String(decoding: JSONWriter().encode(.array(rows)), as: UTF8.self)])
        let status = merge && inserted.first?.first == "0" ? 200 : 201
        return HTTPResponse(
            status: status,
            headers: [
                (
                    "Preference-Applied",
                    preferences.filter { $0.hasPrefix("resolution=") || $0.hasPrefix("return=") }
                        .joined(separator: ", ")
                )
            ], body: representation ? Array((inserted.first?[1] ?? "[]").utf8) : [])
    }

    private func delete(from target: String, query: [(String, String)]) throws -> HTTPResponse {
        var parameters: [String?] = []
        let conditions = try filters(query, &parameters)
        try database.query(
            "DELETE FROM \(target)" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")),
            parameters)
        return HTTPResponse(status: 204)
    }

    private func select(from target: String, query: [(String, String)], prefer: String) throws -> HTTPResponse {
        var parameters: [String?] = []
        let conditions = try filters(query, &parameters)
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        var sql = "SELECT row_to_json(t)::text FROM \(target) t" + whereClause
        if let order = query.first(where: { $0.0 == "order" })?.1 {
            sql +=
                " ORDER BY "
                + order.split(separator: ",").map { term in
                    let parts = term.split(separator: ".")
                    return PostgRESTFilter.identifier(String(parts[0]))
                        + (parts.dropFirst().contains("desc") ? " DESC" : " ASC")
                }.joined(separator: ", ")
        }
        let offset = query.first { $0.0 == "offset" }.flatMap { Int($0.1) } ?? 0
        let limit = [query.first { $0.0 == "limit" }.flatMap { Int($0.1) }, maxRows].compactMap { $0 }.min()
        if let limit { sql += " LIMIT \(limit)" }
        sql += " OFFSET \(offset)"
        let rows = try database.query(sql, parameters).map { $0[0]! }
        var total = "*"
        if prefer.contains("count=exact") {
            total = try database.query("SELECT count(*) FROM \(target) t" + whereClause, parameters)[0][0]!
        }
        let range = rows.isEmpty ? "*" : "\(offset)-\(offset + rows.count - 1)"
        let partial = Int(total).map { offset + rows.count < $0 } ?? false
        return HTTPResponse(
            status: partial ? 206 : 200,
            headers: [("Content-Type", "application/json"), ("Content-Range", "\(range)/\(total)")],
            body: Array(("[" + rows.joined(separator: ",") + "]").utf8))
    }

    private static let reserved: Set<String> = ["select", "order", "limit", "offset", "on_conflict", "columns"]

    private func filters(_ query: [(String, String)], _ parameters: inout [String?]) throws -> [String] {
        try query.filter { !Self.reserved.contains($0.0) }.map {
            try PostgRESTFilter(name: $0.0, value: $0.1, parameters: &parameters).sql
        }
    }

    private func primaryKey(of target: String) throws -> [String] {
        try database.query(
            """
            SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = $1::regclass AND i.indisprimary
            """, [target]
        ).map { $0[0]! }
    }

    /// PostgREST's SQLSTATE → HTTP table (PGR `errors.rst`), the parts tests reach.
    static func status(sqlState code: String) -> Int {
        switch code {
        case "23503", "23505": return 409
        case "42P01", "42883": return 404
        case "42501": return 403
        case "25006": return 405
        case _ where code.hasPrefix("08"): return 503
        case _ where ["53", "54", "55", "57", "58", "XX", "40", "25"].contains(String(code.prefix(2))): return 500
        default: return 400
        }
    }

    /// Path and percent-decoded query pairs of a request URL.
    static func split(_ url: String) -> (String, [(String, String)]) {
        let parts = url.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? "/"
        guard parts.count == 2 else { return (path, []) }
        let query = parts[1].split(separator: "&").map { pair -> (String, String) in
            let halves = pair.split(separator: "=", maxSplits: 1).map {
                String($0).removingPercentEncoding ?? String($0)
            }
            return (halves[0], halves.count > 1 ? halves[1] : "")
        }
        return (path, query)
    }

    private static func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
        json(status, ["code": .string(code), "message": .string(message), "details": nil, "hint": nil])
    }

    private static func json(_ status: Int, _ body: JSONObject) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")], body: JSONWriter().encode(.object(body)))
    }
}
