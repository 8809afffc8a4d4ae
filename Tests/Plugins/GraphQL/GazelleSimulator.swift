import FerryJSON
import FerryPluginSDK
import FerryTesting
import Foundation
import Synchronization

/// Gazelle's private GraphQL API as `shared/reference/external-apis.md` §3 and the 001
/// section of `seed-behaviours.md` describe it, on a loopback server:
/// - `POST /graphql/private/` with `{query, variables}` and `Authorization: Bearer <token>`
///   (or `x-gazelle-api-key`); 401 for an unknown or expired access token.
/// - `POST /developer/oauth/token` (form): the refresh grant with `client_id`,
///   `client_secret`, `refresh_token` answers `{access_token, expires_in: 2592000}`, with a
///   new `refresh_token` only when `rotates` (Gazelle does not promise rotation, so the seed
///   keeps the old one); `client_credentials` is 400 `unsupported_grant_type`.
/// - `allClients(first, after, sortBy, filters)`, `allPianos(first, after, sortBy)`,
///   `allEventsBatched(first, after, filters: {startOn, endOn}, sortBy: [START_DESC])`,
///   `allTimelineEntries(first, after, occurredAtGet, clientId)`: Relay connections with
///   `nodes`, `edges { cursor node }`, `pageInfo { hasNextPage endCursor }` and
///   `totalCount`; `sortBy: [UPDATED_AT_DESC]` or `[CREATED_AT_DESC]` is newest first,
///   otherwise by id; `occurredAtGet` is ">="; without `first`, a default-sized page.
/// - A field the type does not have fails before execution at HTTP 200 with
///   `extensions.code: undefinedField` and no data; only requested fields are returned.
/// Faults: throttling (`THROTTLED` at 200, the code is an assumption: Gazelle documents no
/// limits), an error beside partial data, a page cursor that repeats or is missing, expired
/// access tokens, HTTP 503.
final class GazelleSimulator: @unchecked Sendable {
    static let clientID = "gz-client-id"
    static let clientSecret = "gz-client-secret-7Q2"
    static let apiKey = "gz-api-key"

    /// One GraphQL request as received: the top-level field and the variables.
    struct Query: Sendable {
        var field: String
        var arguments: JSONObject
        var variables: JSONObject
    }

    struct State {
        var clients: [JSONObject] = []
        var pianos: [JSONObject] = []
        var timeline: [JSONObject] = []
        var events: [JSONObject] = []
        var refreshTokens: Set<String>
        var accessTokens: Set<String> = []
        var issued = 0
        var tokenForms: [[String: String]] = []
        var queries: [Query] = []
        var unauthorized = 0
        /// The queries with these numbers (1-based, counted over all queries) answer THROTTLED.
        var throttled: Set<Int> = []
        /// The query with this number (1-based, counted over all queries) answers an error beside partial data.
        var partialErrorAt: Int?
        /// Every page's endCursor is the one it was asked with (a server that cannot page).
        var repeatCursor = false
        /// Once this many queries were answered, every access token issued so far expires.
        var expireAfterQueries: Int?
        /// Pages say hasNextPage without an endCursor.
        var omitEndCursor = false
        /// The queries with these numbers answer HTTP 503 (an overloaded server, before GraphQL runs).
        var unavailable: Set<Int> = []
    }

    let state: Mutex<State>
    let rotates: Bool
    let defaultPageSize: Int
    private var server: LoopbackServer!

    init(refreshTokens: [String] = ["gz-refresh-seed"], rotates: Bool = false, defaultPageSize: Int = 25) throws {
        self.rotates = rotates
        self.defaultPageSize = defaultPageSize
        state = Mutex(State(refreshTokens: Set(refreshTokens)))
        // Weak: a request still being answered while the test releases the simulator gets a
        // closed connection, not a read of a freed object.
        server = try LoopbackServer { [weak self] request in
            guard let self else { return .drop }
            return self.handle(
                Incoming(method: request.method, path: request.path, headers: request.headers, body: request.body))
        }
    }

    /// A request as the simulator reads it, from the loopback server or in process.
    struct Incoming {
        var method: String
        var path: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        var form: [String: String] {
            var result: [String: String] = [:]
            for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                result[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return result
        }
    }

    /// The GraphQL endpoint in process, for the plugin harness (which has no HTTP service):
    /// relative URLs are the endpoint itself; `headers` stand for the connection's auth.
    func handler(headers: [(name: String, value: String)]) -> @Sendable (HTTPRequest) throws -> HTTPResponse {
        { [self] request in
            let path = request.url.isEmpty ? "/graphql/private/" : request.url
            let reply = handle(
                Incoming(method: request.method, path: path, headers: headers + request.headers, body: request.body))
            guard case .response(let status, let replyHeaders, let body) = reply else {
                throw PluginError.retryable("the simulator dropped the request")
            }
            return HTTPResponse(status: status, headers: replyHeaders.map { (name: $0.0, value: $0.1) }, body: body)
        }
    }

    deinit { server.stop() }

    var url: String { server.url }
    var endpoint: String { server.url + "/graphql/private/" }
    var tokenURL: String { server.url + "/developer/oauth/token" }
    var queries: [Query] { state.withLock { $0.queries } }
    var tokenForms: [[String: String]] { state.withLock { $0.tokenForms } }
    var unauthorizedCount: Int { state.withLock { $0.unauthorized } }

    /// Queries of one connection so far.
    func queries(of field: String) -> [Query] { queries.filter { $0.field == field } }

    /// Every access token issued so far expires now: the next API call gets 401.
    func expireAccessTokens() { state.withLock { $0.accessTokens.removeAll() } }

    // MARK: Data

    static func client(_ n: Int, updated: String, company: String? = nil) -> JSONObject {
        let id = "cli_" + String(format: "%04d", n)
        return [
            "id": .string(id), "companyName": company.map(JSONValue.string) ?? .string("Company \(n)"),
            "status": "ACTIVE", "createdAt": "2025-01-01T00:00:00Z", "updatedAt": .string(updated),
            "personalNotes": .string("Personal \(n)"), "preferenceNotes": "", "tags": ["piano"],
            "defaultClientLocalization": ["locale": "fr_CA"],
            "defaultContact": [
                "id": .string("con_\(n)"), "firstName": .string("First\(n)"), "lastName": .string("Last\(n)"),
                "title": .null, "wantsEmail": true,
                "defaultEmail": ["email": .string("c\(n)@example.com")],
                "defaultPhone": ["phoneNumber": .string("+1555000\(n)")],
                "defaultLocation": [
                    "street1": .string("\(n) rue Principale"), "municipality": "Montréal",
                    "postalCode": .string("H2X \(n)A\(n)"), "region": "QC",
                ],
            ],
        ]
    }

    static func piano(_ n: Int, client: Int, updated: String) -> JSONObject {
        [
            "id": .string("pno_\(n)"), "make": "Yamaha", "model": .string("U\(n)"), "serialNumber": .string("SN\(n)"),
            "type": n % 2 == 0 ? "GRAND" : "UPRIGHT", "year": .int(Int64(1980 + n)),
            "client": ["id": .string("cli_" + String(format: "%04d", client))], "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": .string(updated), "location": "Salon", "notes": .null,
        ]
    }

    static func timelineEntry(_ n: Int, occurred: String) -> JSONObject {
        [
            "id": .string("tle_\(n)"), "occurredAt": .string(occurred), "type": "SERVICE",
            "summary": .string("Tuning \(n)"), "comment": n % 3 == 0 ? .null : .string("Note \(n)"),
            "client": ["id": "cli_0001"], "piano": n % 2 == 0 ? .null : ["id": "pno_1"],
            "invoice": .null, "estimate": .null, "user": ["id": "usr_1"],
        ]
    }

    /// An appointment (`PrivateEvent`) of client `client` on piano `piano` (none: no piano).
    static func event(_ n: Int, start: String, client: Int, piano: Int?) -> JSONObject {
        [
            "id": .string("evt_\(n)"), "title": .string("Tuning visit \(n)"), "start": .string(start),
            "duration": 60, "isAllDay": false, "notes": .string("Bring mutes \(n)"), "type": "APPOINTMENT",
            "status": "ACTIVE", "client": ["id": .string("cli_" + String(format: "%04d", client))],
            "user": ["id": "usr_1"], "createdAt": "2026-02-01T00:00:00Z", "confirmedByClient": true,
            "allEventPianos": ["nodes": .array(piano.map { [["piano": ["id": .string("pno_\($0)")]]] } ?? [])],
        ]
    }

    /// `2026-03-01T10:MM:SSZ` for a minute offset, so later numbers are newer.
    static func time(_ minutes: Int) -> String {
        String(format: "2026-03-01T%02d:%02d:00Z", 8 + minutes / 60, minutes % 60)
    }

    private static let templates: [String: JSONObject] = [
        "allClients": client(0, updated: ""), "allPianos": piano(0, client: 0, updated: ""),
        "allTimelineEntries": timelineEntry(1, occurred: ""),
        "allEventsBatched": event(0, start: "", client: 0, piano: 0),
    ]
    private static let typeNames = [
        "allClients": "PrivateClient", "allPianos": "PrivatePiano", "allTimelineEntries": "PrivateTimelineEntry",
        "allEventsBatched": "PrivateEvent",
    ]

    // MARK: HTTP

    private func handle(_ request: Incoming) -> LoopbackServer.Reply {
        switch (request.method, request.path) {
        case ("POST", "/developer/oauth/token"): return token(request.form)
        case ("POST", "/graphql/private/"): return graphQL(request)
        case (_, "/graphql/private"):
            // The seed's note: the trailing slash is required.
            return .response(status: 404, body: Array("Not Found".utf8))
        default: return .response(status: 404)
        }
    }

    private func token(_ form: [String: String]) -> LoopbackServer.Reply {
        state.withLock { state in
            state.tokenForms.append(form)
            switch form["grant_type"] {
            case "refresh_token":
                guard form["client_id"] == Self.clientID, form["client_secret"] == Self.clientSecret else {
                    return .json(#"{"error":"invalid_client"}"#, status: 401)
                }
                guard let used = form["refresh_token"], state.refreshTokens.contains(used) else {
                    return .json(
                        #"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired or revoked."}"#,
                        status: 400)
                }
                state.issued += 1
                let access = "gz-access-\(state.issued)-\(String(repeating: "x", count: 50))"
                state.accessTokens.insert(access)
                var answer = #"{"access_token":"\#(access)","token_type":"Bearer","expires_in":2592000"#
                if rotates {
                    let next = "gz-refresh-\(state.issued)"
                    state.refreshTokens = [next]
                    answer += #","refresh_token":"\#(next)""#
                }
                return .json(answer + "}")
            case "client_credentials":
                return .json(#"{"error":"unsupported_grant_type"}"#, status: 400)
            default:
                return .json(#"{"error":"invalid_request"}"#, status: 400)
            }
        }
    }

    private func graphQL(_ request: Incoming) -> LoopbackServer.Reply {
        let authorized = state.withLock { state -> Bool in
            if let limit = state.expireAfterQueries, state.queries.count >= limit {
                state.accessTokens.removeAll()
                state.expireAfterQueries = nil
            }
            if let header = request.header("authorization"), header.hasPrefix("Bearer "),
                state.accessTokens.contains(String(header.dropFirst("Bearer ".count)))
            {
                return true
            }
            if request.header("x-gazelle-api-key") == Self.apiKey { return true }
            state.unauthorized += 1
            return false
        }
        guard authorized else { return .json(#"{"error":"invalid_token"}"#, status: 401) }
        guard request.header("content-type")?.hasPrefix("application/json") == true,
            let body = try? JSONParser().parse(request.body), let text = body["query"]?.stringValue
        else {
            return .json(#"{"errors":[{"message":"No query string was present"}]}"#, status: 400)
        }
        let variables = body["variables"]?.objectValue ?? JSONObject()
        let fields: [MiniGraphQL.Field]
        do { fields = try MiniGraphQL.parse(text, variables: variables) } catch {
            return Self.errors([["message": .string("Parse error: \(error)"), "extensions": ["code": "parseError"]]])
        }
        var data = JSONObject()
        var partial: JSONValue?
        for field in fields {
            if field.name == "__typename" {
                data[field.responseKey] = "PrivateQuery"
                continue
            }
            guard let template = Self.templates[field.name] else {
                return Self.undefined(field.name, on: "PrivateQuery")
            }
            if let problem = Self.validate(field.selections, against: template, type: Self.typeNames[field.name]!) {
                return problem
            }
            let number = state.withLock { state -> Int in
                state.queries.append(Query(field: field.name, arguments: field.arguments, variables: variables))
                return state.queries.count
            }
            let (throttled, partialHere, repeating) = state.withLock { state -> (Bool, Bool, Bool) in
                (state.throttled.contains(number), state.partialErrorAt == number, state.repeatCursor)
            }
            if state.withLock({ $0.unavailable.contains(number) }) {
                return .response(status: 503, headers: [("Retry-After", "0")], body: Array("Service Unavailable".utf8))
            }
            if throttled {
                return Self.errors([
                    ["message": "Too many requests; slow down.", "extensions": ["code": "THROTTLED"]]
                ])
            }
            var connection = connectionValue(field, repeating: repeating)
            if partialHere, var nodes = connection["nodes"]?.arrayValue, nodes.count > 1,
                var broken = nodes[1].objectValue
            {
                broken["defaultContact"] = .null
                nodes[1] = .object(broken)
                connection["nodes"] = .array(nodes)
                partial = [
                    "message": .string("Contact lookup failed for \(broken["id"]?.stringValue ?? "?")"),
                    "path": [.string(field.responseKey), "nodes", 1, "defaultContact"],
                    "extensions": ["code": "CONTACT_LOOKUP_FAILED"],
                ]
            }
            data[field.responseKey] = .object(connection)
        }
        var answer: JSONObject = ["data": .object(data)]
        if let partial { answer["errors"] = [partial] }
        return .json(JSONWriter().encodeString(.object(answer)))
    }

    /// A connection's page, projected on the selection.
    private func connectionValue(_ field: MiniGraphQL.Field, repeating: Bool) -> JSONObject {
        let arguments = field.arguments
        var all = state.withLock { state -> [JSONObject] in
            switch field.name {
            case "allClients": return state.clients
            case "allPianos": return state.pianos
            case "allEventsBatched": return state.events
            default: return state.timeline
            }
        }
        if let since = arguments["occurredAtGet"]?.stringValue {
            all = all.filter { ($0["occurredAt"]?.stringValue ?? "") >= since }
        }
        // Events by day (YYYY-MM-DD, inclusive), as PrivateAllEventsFilter's startOn and endOn.
        let filters = arguments["filters"]?.objectValue ?? [:]
        if let startOn = filters["startOn"]?.stringValue {
            all = all.filter { String(($0["start"]?.stringValue ?? "").prefix(10)) >= startOn }
        }
        if let endOn = filters["endOn"]?.stringValue {
            all = all.filter { String(($0["start"]?.stringValue ?? "").prefix(10)) <= endOn }
        }
        let sort = arguments["sortBy"]?.arrayValue?.first?.stringValue ?? ""
        let sortField = [
            "UPDATED_AT_DESC": "updatedAt", "CREATED_AT_DESC": "createdAt", "START_DESC": "start",
        ][sort]
        all.sort { a, b in
            let (ida, idb) = (a["id"]?.stringValue ?? "", b["id"]?.stringValue ?? "")
            guard let sortField else { return ida < idb }
            let (x, y) = (a[sortField]?.stringValue ?? "", b[sortField]?.stringValue ?? "")
            return x == y ? ida > idb : x > y
        }
        let size = arguments["first"]?.intValue.map(Int.init) ?? defaultPageSize
        let after = arguments["after"]?.stringValue
        let offset = after.flatMap(Self.offset(of:)).map { $0 + 1 } ?? 0
        let page = Array(all.dropFirst(offset).prefix(size))
        let end = offset + page.count - 1
        let endCursor: JSONValue =
            repeating
            ? after.map(JSONValue.string) ?? .string(Self.cursor(end))
            : page.isEmpty ? .null : .string(Self.cursor(end))
        let type = Self.typeNames[field.name]!
        var result = JSONObject()
        for selection in field.selections {
            switch selection.name {
            case "nodes":
                result[selection.responseKey] = .array(
                    page.map { .object(Self.project($0, selection.selections, type)) })
            case "edges":
                result[selection.responseKey] = .array(
                    page.enumerated().map { index, node in
                        var edge = JSONObject()
                        for part in selection.selections {
                            if part.name == "cursor" { edge[part.responseKey] = .string(Self.cursor(offset + index)) }
                            if part.name == "node" {
                                edge[part.responseKey] = .object(Self.project(node, part.selections, type))
                            }
                        }
                        return .object(edge)
                    })
            case "pageInfo":
                var info = JSONObject()
                for part in selection.selections {
                    switch part.name {
                    case "hasNextPage": info[part.responseKey] = .bool(offset + page.count < all.count)
                    case "endCursor":
                        info[part.responseKey] = state.withLock { $0.omitEndCursor } ? .null : endCursor
                    case "hasPreviousPage": info[part.responseKey] = .bool(offset > 0)
                    case "startCursor": info[part.responseKey] = page.isEmpty ? .null : .string(Self.cursor(offset))
                    default: break
                    }
                }
                result[selection.responseKey] = .object(info)
            case "totalCount": result[selection.responseKey] = .int(Int64(all.count))
            default: break
            }
        }
        return result
    }

    /// graphql-relay's opaque cursor: base64 of `arrayconnection:<offset>`.
    static func cursor(_ offset: Int) -> String { Data("arrayconnection:\(offset)".utf8).base64EncodedString() }

    static func offset(of cursor: String) -> Int? {
        guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("arrayconnection:")
        else { return nil }
        return Int(text.dropFirst("arrayconnection:".count))
    }

    /// Only the requested fields, as a GraphQL server answers.
    static func project(_ node: JSONObject, _ selections: [MiniGraphQL.Field], _ type: String) -> JSONObject {
        var out = JSONObject()
        for field in selections {
            if field.name == "__typename" {
                out[field.responseKey] = .string(type)
                continue
            }
            let value = node[field.name] ?? .null
            if let object = value.objectValue, !field.selections.isEmpty {
                out[field.responseKey] = .object(project(object, field.selections, type))
            } else if let list = value.arrayValue, !field.selections.isEmpty {
                // A list of objects (allEventPianos.nodes): each projected.
                out[field.responseKey] = .array(
                    list.map { $0.objectValue.map { .object(project($0, field.selections, type)) } ?? $0 })
            } else {
                out[field.responseKey] = value
            }
        }
        return out
    }

    /// The connection fields a selection may use, and node fields checked against the type's template.
    private static func validate(_ selections: [MiniGraphQL.Field], against template: JSONObject, type: String)
        -> LoopbackServer.Reply?
    {
        for selection in selections {
            switch selection.name {
            case "nodes":
                if let problem = validateNode(selection.selections, template, type) { return problem }
            case "edges":
                for part in selection.selections where part.name != "cursor" {
                    guard part.name == "node" else { return undefined(part.name, on: type + "Edge") }
                    if let problem = validateNode(part.selections, template, type) { return problem }
                }
            case "pageInfo":
                for part in selection.selections
                where !["hasNextPage", "endCursor", "hasPreviousPage", "startCursor"].contains(part.name) {
                    return undefined(part.name, on: "PageInfo")
                }
            case "totalCount", "__typename": continue
            default: return undefined(selection.name, on: type + "Connection")
            }
        }
        return nil
    }

    private static func validateNode(_ selections: [MiniGraphQL.Field], _ template: JSONObject, _ type: String)
        -> LoopbackServer.Reply?
    {
        for field in selections where field.name != "__typename" {
            guard let value = template[field.name] else { return undefined(field.name, on: type) }
            if let object = value.objectValue, !field.selections.isEmpty,
                let problem = validateNode(field.selections, object, type)
            {
                return problem
            }
        }
        return nil
    }

    /// graphql-ruby's validation error for an unknown field: HTTP 200, no data.
    static func undefined(_ field: String, on type: String) -> LoopbackServer.Reply {
        errors([
            [
                "message": .string("Field '\(field)' doesn't exist on type '\(type)'"),
                "locations": [["line": 1, "column": 3]],
                "extensions": ["code": "undefinedField", "typeName": .string(type), "fieldName": .string(field)],
            ]
        ])
    }

    static func errors(_ list: [JSONObject]) -> LoopbackServer.Reply {
        .json(JSONWriter().encodeString(["errors": .array(list.map(JSONValue.object))]))
    }
}
