import FerryJSON
import FerryTesting
import Foundation
import Synchronization

/// A 4D REST server (`/rest/...`) as the seed's `LegacyAPIExtractor` met it, following
/// external-apis.md §6: login with `username-4D`/`password-4D` headers, the `WASID4D`
/// session cookie (one licence per session until its timeout), `$skip`/`$top` pages in the
/// `__ENTITIES`/`__COUNT` envelope, `$orderby`, `$filter` (`attr op value` joined with
/// AND, in the documented and in the seed's quoting), dates as `D!M!YYYY`, and failures in
/// 4D's `{"__ERROR": [{message, componentSignature, errCode}]}` shape.
///
/// Tests change the data between runs (`upsert`), expire every session (`expireSessions`,
/// a server restart or timeout: the next request gets 401), hold licences for another
/// tool (`holdLicences`) and queue one-off failures (`failNext`).
final class FourDSimulator: @unchecked Sendable {
    struct State {
        var tables: [String: [JSONObject]] = [:]
        var sessions: Set<String> = []
        var heldByOthers = 0
        var logins = 0
        var refusedForLicences = 0
        var failures: [(path: String, status: Int)] = []
        var stamp = 0
    }

    static let user = "sync"
    static let password = "geheim-4D-pw"

    let state = Mutex(State())
    let licences: Int
    private(set) var server: LoopbackServer!

    init(licences: Int = 2) throws {
        self.licences = licences
        // Weak: a request answered while the test releases the simulator must not read freed memory.
        server = try LoopbackServer { [weak self] request in self?.reply(request) ?? .drop }
    }

    var url: String { server.url }
    var requests: [LoopbackServer.Request] { server.requests }
    var logins: Int { state.withLock { $0.logins } }

    /// The data requests (not logins) made to `table`.
    func reads(of table: String) -> [LoopbackServer.Request] {
        server.requests.filter { $0.path == "/rest/\(table)" }
    }

    /// Adds or replaces (by `__KEY`) entities of `table`, stamping them as 4D does.
    func upsert(_ table: String, _ entities: [JSONObject]) {
        state.withLock { state in
            for var entity in entities {
                state.stamp += 1
                entity["__STAMP"] = .int(Int64(state.stamp))
                entity["__TIMESTAMP"] = "2025-06-01T08:00:00.000Z"
                var rows = state.tables[table, default: []]
                if let index = rows.firstIndex(where: { $0["__KEY"] == entity["__KEY"] }) {
                    rows[index] = entity
                } else {
                    rows.append(entity)
                }
                state.tables[table] = rows
            }
        }
    }

    /// Forgets every session, as a restarted server or a passed timeout does.
    func expireSessions() { state.withLock { $0.sessions = [] } }

    /// Another client holds `count` licences (the Windows client, a second script).
    func holdLicences(_ count: Int) { state.withLock { $0.heldByOthers = count } }

    /// The next request to `path` fails with `status` (once per entry).
    func failNext(_ path: String, status: Int) { state.withLock { $0.failures.append((path, status)) } }

    func stop() { server.stop() }

    // MARK: - Answers

    static func error(_ message: String, code: Int, status: Int) -> LoopbackServer.Reply {
        let entry: JSONValue = .object([
            "message": .string(message), "componentSignature": "dbmg", "errCode": .int(Int64(code)),
        ])
        return .json(JSONValue.object(["__ERROR": .array([entry])]).encodedString(), status: status)
    }

    private func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        state.withLock { state in
            if let index = state.failures.firstIndex(where: { $0.path == request.path }) {
                let failure = state.failures.remove(at: index)
                return Self.error("Internal server error", code: 1, status: failure.status)
            }
            if request.path == "/rest/$directory/login" { return login(request, &state) }
            let presented = (request.header("Cookie") ?? "").firstMatch(of: #/WASID4D=([\w-]+)/#).map { String($0.1) }
            guard let presented, state.sessions.contains(presented) else {
                return Self.error("This request requires a valid session", code: 1102, status: 401)
            }
            if request.path == "/rest/$info" {
                return .json(#"{"cacheSize":209715200,"usedCache":3136000,"entitySetCount":0,"sessionInfo":[]}"#)
            }
            guard request.method == "GET", request.path.hasPrefix("/rest/") else {
                return Self.error("Unknown request", code: 1800, status: 404)
            }
            let table = String(request.path.dropFirst("/rest/".count))
            guard let rows = state.tables[table] else {
                return Self.error("Dataclass \(table) does not exist", code: 1800, status: 404)
            }
            return page(of: table, rows, request)
        }
    }

    private func login(_ request: LoopbackServer.Request, _ state: inout State) -> LoopbackServer.Reply {
        guard request.method == "POST", request.header("username-4D") == Self.user,
            request.header("password-4D") == Self.password
        else {
            return .json(#"{"result":false}"#, status: 401)
        }
        guard state.sessions.count + state.heldByOthers < licences else {
            state.refusedForLicences += 1
            return Self.error("Maximum number of licenses reached", code: 1279, status: 402)
        }
        state.logins += 1
        let id = "D4\(state.logins)SESSION\(UInt32.random(in: 1000...9999))"
        state.sessions.insert(id)
        return .response(
            status: 200, headers: [("Set-Cookie", "WASID4D=\(id); path=/; HttpOnly")],
            body: Array(#"{"result":true}"#.utf8))
    }

    private func page(of table: String, _ rows: [JSONObject], _ request: LoopbackServer.Request)
        -> LoopbackServer.Reply
    {
        var matching = rows
        if let filter = request.query["$filter"] {
            do {
                let conditions = try FourDFilter.parse(filter)
                for condition in conditions {
                    guard rows.isEmpty || rows.contains(where: { $0[condition.attribute] != nil }) else {
                        return Self.error(
                            "The attribute \(condition.attribute) does not exist in dataclass \(table)", code: 1102,
                            status: 400)
                    }
                }
                matching = matching.filter { row in conditions.allSatisfy { $0.holds(for: row) } }
            } catch {
                return Self.error("Syntax error in $filter: \(filter)", code: 1281, status: 400)
            }
        }
        if let order = request.query["$orderby"] {
            let parts = order.trimmingCharacters(in: CharacterSet(charactersIn: "\"' ")).split(separator: " ")
            let attribute = String(parts.first ?? "")
            let descending = parts.count > 1 && parts[1].lowercased() == "desc"
            matching.sort { a, b in
                let (x, y) = (FourDFilter.text(a[attribute]), FourDFilter.text(b[attribute]))
                return descending ? x > y : x < y
            }
        }
        guard let skip = Int(request.query["$skip"] ?? "0"), let top = Int(request.query["$top"] ?? "100") else {
            return Self.error("$skip and $top must be numbers", code: 1281, status: 400)
        }
        let sent = Array(matching.dropFirst(skip).prefix(top))
        let body: JSONValue = .object([
            "__entityModel": .string(table), "__GlobalStamp": 42, "__COUNT": .int(Int64(matching.count)),
            "__SENT": .int(Int64(sent.count)), "__FIRST": .int(Int64(skip)),
            "__ENTITIES": .array(sent.map { .object($0) }),
        ])
        return .json(body.encodedString())
    }
}

/// A `$filter` as 4D reads it: conditions `attribute comparator value` joined by AND, each
/// optionally in parentheses or, as the seed wrote them, in single quotes; values quoted
/// text, numbers, `true`/`false`.
struct FourDFilter {
    struct Condition {
        var attribute: String
        var comparator: String
        var value: String

        func holds(for row: JSONObject) -> Bool {
            guard let present = row[attribute] else { return false }
            let actual = FourDFilter.text(present)
            switch comparator {
            case "=", "==": return actual == value
            case "!=": return actual != value
            case ">": return actual > value
            case ">=": return actual >= value
            case "<": return actual < value
            case "<=": return actual <= value
            default: return false
            }
        }
    }

    struct SyntaxError: Error {}

    static func parse(_ filter: String) throws -> [Condition] {
        try split(filter).map { part in
            var text = part.trimmingCharacters(in: .whitespaces)
            while let first = text.first, let last = text.last,
                (first == "(" && last == ")") || (first == "'" && last == "'")
            {
                text = String(text.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
            }
            guard
                let match = text.wholeMatch(of: #/([A-Za-z_][\w]*)\s*(==|=|!=|>=|<=|>|<)\s*(.+)/#)
            else { throw SyntaxError() }
            var value = String(match.3).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.first == "\"", value.last == "\"" {
                value = String(value.dropFirst().dropLast())
            }
            return Condition(attribute: String(match.1), comparator: String(match.2), value: value)
        }
    }

    /// The filter cut at each top-level ` AND ` (any case), outside quotes and parentheses.
    static func split(_ filter: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var quote: Character?
        var index = filter.startIndex
        while index < filter.endIndex {
            let character = filter[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\""
                || (character == "'" && depth == 0 && current.trimmingCharacters(in: .whitespaces).isEmpty)
            {
                quote = character
            } else if character == "(" {
                depth += 1
            } else if character == ")" {
                depth -= 1
            } else if depth == 0, filter[index...].lowercased().hasPrefix(" and ") {
                parts.append(current)
                current = ""
                index = filter.index(index, offsetBy: 5)
                continue
            }
            current.append(character)
            index = filter.index(after: index)
        }
        parts.append(current)
        return parts
    }

    /// A value as the text comparisons use: strings as they are, others as JSON.
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: return text
        case nil, .null?: return ""
        case let other?: return other.encodedString()
        }
    }
}
