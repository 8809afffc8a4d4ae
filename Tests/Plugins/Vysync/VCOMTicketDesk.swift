import FerryJSON
import FerryTesting
import Foundation
import Synchronization

/// VCOM's ticket routes (`reference/external-apis.md` §1, "Endpoints used by the seed"),
/// served by ``VCOMSimulator`` after its key, credentials and rate limits were checked, so
/// ticket requests draw on the same minute and day as the systems ones:
///
/// - `GET /tickets?status=&priority=&systemKey=` (comma lists; `lastChangedAt[from]`, DATE_ATOM,
///   inclusive; a change through `PATCH` or ``edit(_:_:)`` moves `lastChangedAt` to now) → `[{id, systemKey,
///   designation, description, summary, createdAt, lastChangedAt, rectifiedAt, assignee,
///   status, priority, fieldService, severity}]`, ids as strings as the docs show them;
///   `GET /tickets/{id}` adds `cause`, `includeInReports` and `outage` (an object or null); 404
///   for an unknown ticket.
/// - `PATCH /tickets/{id}` (JSON: any of status, summary, …) → 204, empty body.
/// - `DELETE /tickets/{id}/outage` → 204, or **400** when the ticket has no outage (the seed's
///   reading of it).
/// - `GET /tickets/{id}/comments` → `[{commentId, createdAt, comment, username, firstName,
///   lastName}]`; `POST` `{"comment"}` → `{"data":{"commentId"}}`; `PATCH
///   /tickets/{id}/comments/{cid}` → 204.
/// - ``loseCommentAnswers(_:)``: the next comment creates are stored, then answered 502.
/// - ``edit(_:_:)``: a person closes or changes a ticket in VCOM; ``removeOutageBehind(_:)``:
///   an outage the detail still names but the delete no longer finds (400).
/// - ``numericIDs``: ids and `fieldService` as a number and a boolean, as the PHP client's
///   fixtures show them, instead of the docs' strings (a connector must take both).
final class VCOMTicketDesk: Sendable {
    struct Comment: Sendable {
        var id: Int
        var text: String
    }

    private struct Desk {
        var tickets: [JSONObject] = []
        var comments: [String: [Comment]] = [:]
        var outages: Set<String> = []
        /// Tickets whose detail names an outage another tool already removed (``removeOutageBehind(_:)``).
        var staleOutages: Set<String> = []
        var lastCommentID = 100
        var commentAnswersToLose = 0
    }

    /// Whether tickets are answered with `id` a number and `fieldService` a boolean.
    let numericIDs: Bool
    private let desk = Mutex(Desk())
    private let writeLog = Mutex<[String]>([])

    init(numericIDs: Bool = false) { self.numericIDs = numericIDs }

    /// Opens a ticket as VCOM's alarm rules or a person would; returns its id.
    @discardableResult
    func open(
        system: String, designation: String, priority: String, status: String = "open", outage: Bool = false
    ) -> String {
        desk.withLock { desk in
            let id = String(5000 + desk.tickets.count + 1)
            desk.tickets.append([
                "id": .string(id), "systemKey": .string(system), "designation": .string(designation),
                "description": .string("Alarme: \(designation)"), "summary": nil,
                "createdAt": "2026-11-20T08:00:00+01:00", "lastChangedAt": "2026-11-20T08:00:00+01:00",
                "rectifiedAt": nil, "assignee": nil, "status": .string(status), "priority": .string(priority),
                "fieldService": "false", "severity": "normal",
            ])
            if outage { desk.outages.insert(id) }
            return id
        }
    }

    /// The ticket as VCOM holds it now.
    func ticket(_ id: String) -> JSONObject? { desk.withLock { $0.tickets.first { $0["id"]?.stringValue == id } } }

    /// The ticket's comments, oldest first.
    func comments(_ id: String) -> [Comment] { desk.withLock { $0.comments[id] ?? [] } }

    /// Whether the ticket still has an outage.
    func hasOutage(_ id: String) -> Bool { desk.withLock { $0.outages.contains(id) } }

    /// `METHOD target` of every ticket request that changes something, answered or not.
    var writes: [String] { writeLog.withLock { $0 } }

    /// Changes a ticket as a person does in VCOM's portal (status, summary, …; no request counted).
    func edit(_ id: String, _ changes: JSONObject) {
        desk.withLock { desk in
            guard let index = desk.tickets.firstIndex(where: { $0["id"]?.stringValue == id }) else { return }
            desk.tickets[index]["lastChangedAt"] = .string(Self.now())
            for (key, value) in changes { desk.tickets[index][key] = value }
        }
    }

    /// Removes the ticket's outage behind the detail's back, as when another tool deletes it
    /// between a client's detail read and its delete: the detail still names it, the delete answers 400.
    func removeOutageBehind(_ id: String) {
        desk.withLock { desk in
            if desk.outages.remove(id) != nil { desk.staleOutages.insert(id) }
        }
    }

    /// Makes the next `count` comment creates store their comment and answer 502.
    func loseCommentAnswers(_ count: Int) { desk.withLock { $0.commentAnswersToLose = count } }

    /// The answer to a `/tickets…` request, or nil for another path.
    func answer(_ request: LoopbackServer.Request) -> LoopbackServer.Reply? {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.first == "tickets" else { return nil }
        if request.method != "GET" { writeLog.withLock { $0.append("\(request.method) \(request.target)") } }
        let body = (try? JSONParser().parse(request.body))?.objectValue
        return desk.withLock { desk -> LoopbackServer.Reply in
            switch (request.method, parts.count) {
            case ("GET", 1): return Self.data(.array(Self.list(desk.tickets, request.query).map(served)))
            case (let method, _) where parts.count >= 2:
                guard let index = desk.tickets.firstIndex(where: { $0["id"]?.stringValue == parts[1] }) else {
                    return Self.error(404, "Ticket not found")
                }
                return Self.ticket(&desk, index, method, Array(parts.dropFirst(2)), body)
            default: return Self.error(405, "Method not allowed")
            }
        }
    }

    private static func ticket(
        _ desk: inout Desk, _ index: Int, _ method: String, _ rest: [String], _ body: JSONObject?
    ) -> LoopbackServer.Reply {
        let id = desk.tickets[index]["id"]?.stringValue ?? ""
        switch (method, rest.first, rest.count) {
        case ("GET", nil, 0):
            var detail = desk.tickets[index]
            detail["cause"] = .null
            detail["includeInReports"] = "detail"
            detail["outage"] =
                desk.outages.contains(id) || desk.staleOutages.contains(id)
                ? ["startedAt": "2026-11-20T07:45:00+01:00", "endedAt": .null, "affectedPower": 25] : .null
            return data(.object(detail))
        case ("PATCH", nil, 0):
            guard let body else { return error(400, "Invalid JSON") }
            let allowed: Set = [
                "designation", "description", "summary", "rectifiedAt", "status", "priority", "assignee",
            ]
            for (key, value) in body {
                guard allowed.contains(key) else { return error(400, "Unknown field \(key)") }
                desk.tickets[index][key] = value
            }
            desk.tickets[index]["lastChangedAt"] = .string(now())
            return .response(status: 204)
        case ("DELETE", "outage", 1):
            guard desk.outages.remove(id) != nil else { return error(400, "Ticket has no outage") }
            return .response(status: 204)
        case ("GET", "comments", 1):
            return data(
                .array(
                    (desk.comments[id] ?? []).map {
                        [
                            "commentId": .int(Int64($0.id)), "createdAt": "2026-11-21T09:00:00+01:00",
                            "comment": .string($0.text), "username": "vysync", "firstName": "Vy", "lastName": "Sync",
                        ]
                    }))
        case ("POST", "comments", 1):
            guard let text = body?["comment"]?.stringValue, !text.isEmpty else { return error(400, "comment missing") }
            desk.lastCommentID += 1
            desk.comments[id, default: []].append(Comment(id: desk.lastCommentID, text: text))
            if desk.commentAnswersToLose > 0 {
                desk.commentAnswersToLose -= 1
                return .json(#"{"error":{"code":502,"message":"Bad gateway"}}"#, status: 502)
            }
            return data(["commentId": .int(Int64(desk.lastCommentID))])
        case ("PATCH", "comments", 2):
            guard let text = body?["comment"]?.stringValue, let cid = Int(rest[1]),
                let at = desk.comments[id]?.firstIndex(where: { $0.id == cid })
            else { return error(404, "Comment not found") }
            desk.comments[id]![at].text = text
            return .response(status: 204)
        default: return error(405, "Method not allowed")
        }
    }

    /// A ticket in the shape this desk answers (``numericIDs``).
    private func served(_ ticket: JSONValue) -> JSONValue {
        guard numericIDs, case .object(var object) = ticket else { return ticket }
        object["id"] = object["id"]?.stringValue.flatMap { Int64($0) }.map(JSONValue.int) ?? .null
        object["fieldService"] = .bool(object["fieldService"]?.stringValue == "true")
        return .object(object)
    }

    /// Tickets matching the comma-list filters `status`, `priority` and `systemKey`, and
    /// `lastChangedAt[from]` (DATE_ATOM, inclusive).
    private static func list(_ tickets: [JSONObject], _ query: [String: String]) -> [JSONValue] {
        let from = query["lastChangedAt[from]"].map { ISO8601DateFormatter().date(from: $0) ?? .distantFuture }
        return tickets.filter { ticket in
            let changed = ticket["lastChangedAt"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) }
            guard from == nil || (changed ?? .distantPast) >= from! else { return false }
            return ["status", "priority", "systemKey"].allSatisfy { name in
                guard let wanted = query[name] else { return true }
                return wanted.split(separator: ",").contains { ticket[name]?.stringValue == String($0) }
            }
        }.map(JSONValue.object)
    }

    /// Now as VCOM writes it (DATE_ATOM, Paris winter time like the fixtures' tickets).
    static func now() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 3600)
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssxxx"
        return formatter.string(from: Date())
    }

    private static func data(_ value: JSONValue) -> LoopbackServer.Reply {
        .json(JSONWriter().encodeString(.object(["data": value])))
    }

    private static func error(_ status: Int, _ message: String) -> LoopbackServer.Reply {
        .json(
            JSONWriter().encodeString(["error": ["code": .int(Int64(status)), "message": .string(message)]]),
            status: status)
    }
}
