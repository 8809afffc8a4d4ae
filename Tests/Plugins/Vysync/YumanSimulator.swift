import FerryJSON
import FerryTesting
import Foundation
import Synchronization

/// The Yuman API v1 as `reference/external-apis.md` §2 and the seed behaviours (000 vysync,
/// "Yuman simulator must serve") describe it, for clients, sites and materials. Yuman
/// assigns integer ids itself and, like the real API, does not refuse a second object with
/// the same code or serial number: a duplicate is a sync tool's bug, which the tests count.
///
/// - **Auth**: `Authorization: Bearer <token>`, else 401.
/// - **Lists**: `GET /clients|sites|materials` with `page` (from 1) and `perPage` or
///   `per_page` (at most 100, default 20) answer `{"items": […], "total_pages": n,
///   "total_entries": m}`; without `page` the list is a bare JSON array of everything, the
///   other shape the seed's client accepts. Filters: `code` (sites and clients),
///   `serial_number` and `category_id` (materials), `site_id` (work orders); soft-deleted
///   objects (`deleted_at`) are left out. Work orders, users and work-order categories:
///   YumanSimulator+WorkOrders.swift. `embed=fields` adds `_embed.fields`
///   with each custom field's name.
/// - **Writes**: `POST` creates and answers 201 with the object and its `id`; `PATCH
///   /<collection>/<id>` changes the fields sent and answers the object. 422 for a blank
///   name, a `client_id`/`site_id` that names nothing, an unknown material category or
///   custom-field blueprint. `DELETE /materials/<id>` removes a material
///   (YumanSimulator+Deletes.swift).
/// - **Rate limit**: `perMinute` requests per window of `minuteLength` seconds; past it, 429
///   with `Retry-After` (seconds to the window's end). `throttleEvery` answers one request in
///   that many with 429 and `Retry-After: 0` besides, as a quota shared with other tools would.
/// - **Lost answers**: ``loseAnswers(_:)`` makes the next creates store their object and then
///   answer 502, as a gateway that lost Yuman's answer would.
final class YumanSimulator: Sendable {
    struct Object: Sendable {
        var id: Int
        var fields: JSONObject
    }

    static let token = "yuman-test-token"
    /// Material categories of the seed's tenant: inverter, module, string, plant, SIM.
    static let categories: Set<Int64> = [11102, 11103, 12404, 11441, 11382]
    /// Site custom fields of the seed's tenant; the two ALDI ids' blueprints are not in the
    /// seed's sources, so this tenant's are made up (the example takes them as settings).
    static let blueprints: [Int64: String] = [
        13582: "Project number (Centroplan ID)", 13583: "System Key (Vcom ID)", 13585: "Nominal Power (kWc)",
        13586: "Commission Date", aldiIDBlueprint: "ALDI ID", aldiStoreIDBlueprint: "ALDI Store ID",
    ]
    static let aldiIDBlueprint: Int64 = 14101
    static let aldiStoreIDBlueprint: Int64 = 14102
    static let collections: Set = ["clients", "sites", "materials", "workorders", "users"]

    struct Store {
        var objects: [String: [Object]] = [:]
        var lastID = 500
        var windowEnd = -Double.infinity
        var usedInWindow = 0
        var count = 0
    }

    let perMinute: Int
    let minuteLength: Double
    let throttleEvery: Int
    let store = Mutex(Store())
    private let log = Mutex<[String]>([])
    private let refusalLog = Mutex<[String]>([])
    private let answersToLose = Mutex(0)

    /// Whether work-order pages answer `{items, totalPages, totalEntries}` (the other spelling
    /// the seed's client accepts) instead of `total_pages`/`total_entries`.
    let camelCaseWorkOrderPages: Bool

    init(perMinute: Int = 60, minuteLength: Double = 60, throttleEvery: Int = 0, camelCaseWorkOrderPages: Bool = false)
    {
        self.perMinute = perMinute
        self.minuteLength = minuteLength
        self.throttleEvery = throttleEvery
        self.camelCaseWorkOrderPages = camelCaseWorkOrderPages
        addPeople()
    }

    /// `METHOD target` of every request, in order (refused ones included).
    var requests: [String] { log.withLock { $0 } }

    /// `STATUS METHOD target` of every request answered 4xx.
    var refusals: [String] { refusalLog.withLock { $0 } }

    /// The objects of one collection, in creation order.
    func objects(_ collection: String) -> [Object] { store.withLock { $0.objects[collection] ?? [] } }

    /// Makes the next `count` creates store their object and answer 502 instead of 201.
    func loseAnswers(_ count: Int) { answersToLose.withLock { $0 = count } }

    /// Creates an object as a person would in Yuman; returns its id.
    @discardableResult
    func add(_ collection: String, _ fields: JSONObject) -> Int {
        store.withLock { store in
            store.lastID += 1
            store.objects[collection, default: []].append(Object(id: store.lastID, fields: fields))
            return store.lastID
        }
    }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        let label = "\(request.method) \(request.target)"
        log.withLock { $0.append(label) }
        let reply = answer(request)
        if case .response(let status, _, _) = reply, status >= 400 {
            refusalLog.withLock { $0.append("\(status) \(label)") }
        }
        return reply
    }

    private func answer(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        guard request.header("Authorization") == "Bearer \(Self.token)" else {
            return .json(#"{"message":"Unauthorized"}"#, status: 401)
        }
        let now = Date().timeIntervalSince1970
        let wait: Int? = store.withLock { store in
            store.count += 1
            if throttleEvery > 0, store.count % throttleEvery == 0 { return 0 }
            if now >= store.windowEnd { (store.windowEnd, store.usedInWindow) = (now + minuteLength, 0) }
            guard store.usedInWindow < perMinute else { return Int((store.windowEnd - now).rounded(.up)) }
            store.usedInWindow += 1
            return nil
        }
        if let wait {
            return .json(#"{"message":"Too many requests"}"#, status: 429, headers: [("Retry-After", "\(wait)")])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        if let answer = workOrderAnswer(request, parts) { return answer }
        guard let collection = parts.first, Self.collections.contains(collection), parts.count <= 2 else {
            return .json(#"{"message":"Not found"}"#, status: 404)
        }
        switch (request.method, parts.count == 2 ? Int(parts[1]) : nil) {
        case ("GET", nil) where parts.count == 1: return list(collection, request.query)
        case ("POST", nil) where parts.count == 1: return write(collection, id: nil, request.body)
        case ("PATCH", let id?): return write(collection, id: id, request.body)
        case ("DELETE", let id?) where collection == "materials": return deleteMaterial(id)
        default: return .json(#"{"message":"Method not allowed"}"#, status: 405)
        }
    }

    private func list(_ collection: String, _ query: [String: String]) -> LoopbackServer.Reply {
        let found = objects(collection).filter { object in
            object.fields["deleted_at"] == nil
                && ["code", "serial_number", "category_id", "site_id"].allSatisfy { name in
                    guard let wanted = query[name] else { return true }
                    return object.fields[name].map(Self.text) == wanted
                }
        }
        let embed = query["embed"]?.split(separator: ",").contains("fields") == true
        let items = found.map { Self.json($0, embed: embed) }
        guard let page = query["page"].flatMap(Int.init) else {
            return .json("[\(items.joined(separator: ","))]")
        }
        let size = min(max(Int(query["perPage"] ?? query["per_page"] ?? "") ?? 20, 1), 100)
        let slice = items.dropFirst((max(page, 1) - 1) * size).prefix(size)
        let pages = (items.count + size - 1) / size
        let (pagesName, entriesName) =
            collection == "workorders" && camelCaseWorkOrderPages
            ? ("totalPages", "totalEntries") : ("total_pages", "total_entries")
        return .json(
            #"{"items":[\#(slice.joined(separator: ","))],"\#(pagesName)":\#(pages),"\#(entriesName)":\#(items.count)}"#
        )
    }

    private func write(_ collection: String, id: Int?, _ body: [UInt8]) -> LoopbackServer.Reply {
        guard case .object(let fields)? = try? JSONParser().parse(body) else {
            return .json(#"{"message":"Body is not JSON"}"#, status: 400)
        }
        return store.withLock { store -> LoopbackServer.Reply in
            var object: Object
            if let id {
                guard let found = store.objects[collection]?.first(where: { $0.id == id }) else {
                    return .json(#"{"message":"Not found"}"#, status: 404)
                }
                object = found
                for (key, value) in fields { object.fields[key] = value }
            } else {
                object = Object(id: store.lastID + 1, fields: fields)
                if collection == "workorders" { Self.stampNewWorkOrder(&object) }
            }
            if let problem = Self.problem(collection, object.fields, store) {
                return .json(JSONWriter().encodeString(.object(["message": .string(problem)])), status: 422)
            }
            if let id {
                let index = store.objects[collection]!.firstIndex { $0.id == id }!
                store.objects[collection]![index] = object
                return .json(Self.json(object, embed: false))
            }
            store.lastID += 1
            store.objects[collection, default: []].append(object)
            let lost = answersToLose.withLock { count in
                defer { count = max(0, count - 1) }
                return count > 0
            }
            if lost { return .json(#"{"message":"Bad gateway"}"#, status: 502) }
            return .json(Self.json(object, embed: false), status: 201)
        }
    }

    /// Why Yuman would refuse this object, or nil.
    private static func problem(_ collection: String, _ fields: JSONObject, _ store: Store) -> String? {
        func exists(_ collection: String, _ value: JSONValue?) -> Bool {
            guard let value, let id = Int(text(value)) else { return false }
            return store.objects[collection, default: []].contains { $0.id == id }
        }
        if collection != "workorders", (fields["name"]?.stringValue ?? "").isEmpty {
            return "Validation failed: Name can't be blank"
        }
        switch collection {
        case "sites":
            if !exists("clients", fields["client_id"]) { return "Validation failed: Client must exist" }
            for field in fields["fields"]?.arrayValue ?? [] {
                guard let blueprint = field["blueprint_id"]?.intValue, blueprints[blueprint] != nil else {
                    return "Validation failed: unknown custom field \(field["blueprint_id"].map(text) ?? "null")"
                }
            }
        case "workorders": return workOrderProblem(fields, store)
        case "materials":
            if !exists("sites", fields["site_id"]) { return "Validation failed: Site must exist" }
            guard let category = fields["category_id"]?.intValue, categories.contains(category) else {
                return "Validation failed: unknown category"
            }
        default: break
        }
        return nil
    }

    /// A value as the text a query parameter would carry.
    static func text(_ value: JSONValue) -> String {
        value.stringValue ?? value.intValue.map(String.init) ?? JSONWriter().encodeString(value)
    }

    /// The object as the API answers it: its fields, its id and, with `embed`, `_embed.fields`.
    static func json(_ object: Object, embed: Bool) -> String {
        var fields = object.fields
        fields["id"] = .int(Int64(object.id))
        if embed {
            let custom: [JSONValue] = (object.fields["fields"]?.arrayValue ?? []).map { field in
                let blueprint = field["blueprint_id"]?.intValue ?? 0
                return [
                    "blueprint_id": .int(blueprint), "name": .string(blueprints[blueprint] ?? ""),
                    "value": field["value"] ?? nil,
                ]
            }
            fields["_embed"] = ["fields": .array(custom)]
        }
        return JSONWriter().encodeString(.object(fields))
    }
}
