import FerryJSON
import FerryTesting
import Foundation
import Synchronization

/// The field-service API of `examples/field-service/`, in the manner of Yuman
/// (reference/external-apis.md §2), with four collections linked by the ids it assigns
/// itself: customers, sites (`customer_id`), equipment (`site_id`) and work orders
/// (`site_id`). Ids come from one counter shared by every collection, so a link to an
/// object of the wrong kind is never a valid id by accident.
///
/// - `POST /<collection>` creates (201 with the object and its `id`); it answers 422 when
///   the name (`title` for work orders) is blank or the parent id names no parent, and 409
///   when an object of the collection already has the body's `ref`.
/// - `PATCH /<collection>/<id>` updates the fields sent (404 for an unknown id, 422 as above).
/// - `GET /<collection>?ref=…&page=…&per_page=…` lists, filtered by `ref`, in pages of at
///   most 50 (`{"items": […], "total_entries": n}`).
/// - One request in `rateLimitEvery` answers 429 with `Retry-After: 0`.
final class FieldServiceAPI: Sendable {
    struct Object: Equatable {
        var id: Int
        var fields: JSONObject
    }

    /// Each collection's parent: the link field and the collection it points into.
    static let parents: [String: (field: String, collection: String)] = [
        "sites": ("customer_id", "customers"), "equipment": ("site_id", "sites"),
        "work_orders": ("site_id", "sites"),
    ]
    static let collections: Set = ["customers", "sites", "equipment", "work_orders"]

    private struct Store {
        var objects: [String: [Object]] = [:]
        var lastID = 1000
    }

    private let store = Mutex(Store())
    private let log = Mutex<[String]>([])
    private let refusalLog = Mutex<[String]>([])
    let rateLimitEvery: Int

    init(rateLimitEvery: Int = 0) { self.rateLimitEvery = rateLimitEvery }

    /// `METHOD path` of every request, in order (429s included).
    var requests: [String] { log.withLock { $0 } }

    /// `STATUS METHOD path` of every request refused with 409 or 422: a second create of one
    /// `ref`, or a missing name or parent.
    var refusals: [String] { refusalLog.withLock { $0 } }

    /// The objects of one collection, in creation order.
    func objects(_ collection: String) -> [Object] { store.withLock { $0.objects[collection] ?? [] } }

    /// The object of a collection with this `ref`.
    func object(_ collection: String, ref: String) -> Object? {
        objects(collection).first { $0.fields["ref"]?.stringValue == ref }
    }

    /// Creates an object as a person would in the field-service tool; returns its id.
    @discardableResult
    func add(_ collection: String, _ fields: JSONObject) -> Int {
        store.withLock { store in
            store.lastID += 1
            store.objects[collection, default: []].append(Object(id: store.lastID, fields: fields))
            return store.lastID
        }
    }

    /// Changes an object as a person would in the field-service tool.
    func edit(_ collection: String, ref: String, _ field: String, _ value: JSONValue) {
        store.withLock { store in
            guard let index = store.objects[collection]?.firstIndex(where: { $0.fields["ref"]?.stringValue == ref })
            else { return }
            store.objects[collection]![index].fields[field] = value
        }
    }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        let number = log.withLock { log in
            log.append("\(request.method) \(request.path)")
            return log.count
        }
        if rateLimitEvery > 0, number % rateLimitEvery == 0 {
            return .json(#"{"message":"Too many requests"}"#, status: 429, headers: [("Retry-After", "0")])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        guard let collection = parts.first, Self.collections.contains(collection) else {
            return .json(#"{"message":"Not found"}"#, status: 404)
        }
        let id = parts.count > 1 ? Int(parts[1]) : nil
        let reply: LoopbackServer.Reply
        switch (request.method, id) {
        case ("GET", nil): reply = list(collection, request.query)
        case ("POST", nil): reply = create(collection, request.body)
        case ("PATCH", let id?): reply = update(collection, id, request.body)
        default: reply = .json(#"{"message":"Method not allowed"}"#, status: 405)
        }
        if case .response(let status, _, _) = reply, status == 409 || status == 422 {
            refusalLog.withLock { $0.append("\(status) \(request.method) \(request.path)") }
        }
        return reply
    }

    private func list(_ collection: String, _ query: [String: String]) -> LoopbackServer.Reply {
        let found = objects(collection).filter { query["ref"] == nil || $0.fields["ref"]?.stringValue == query["ref"] }
        let size = min(max(Int(query["per_page"] ?? "") ?? 20, 1), 50)
        let page = max(Int(query["page"] ?? "") ?? 1, 1)
        let slice = found.dropFirst((page - 1) * size).prefix(size)
        return .json(#"{"items":[\#(slice.map(Self.text).joined(separator: ","))],"total_entries":\#(found.count)}"#)
    }

    private func create(_ collection: String, _ body: [UInt8]) -> LoopbackServer.Reply {
        guard case .object(let fields)? = try? JSONParser().parse(body) else {
            return .json(#"{"message":"Body is not JSON"}"#, status: 400)
        }
        return store.withLock { store -> LoopbackServer.Reply in
            if let refusal = Self.refusal(collection, fields, store, creating: true) { return refusal }
            if let ref = fields["ref"]?.stringValue,
                store.objects[collection, default: []].contains(where: { $0.fields["ref"]?.stringValue == ref })
            {
                return .json(#"{"message":"Ref has already been taken"}"#, status: 409)
            }
            store.lastID += 1
            let object = Object(id: store.lastID, fields: fields)
            store.objects[collection, default: []].append(object)
            return .json(Self.text(object), status: 201)
        }
    }

    private func update(_ collection: String, _ id: Int, _ body: [UInt8]) -> LoopbackServer.Reply {
        guard case .object(let fields)? = try? JSONParser().parse(body) else {
            return .json(#"{"message":"Body is not JSON"}"#, status: 400)
        }
        return store.withLock { store -> LoopbackServer.Reply in
            guard let index = store.objects[collection]?.firstIndex(where: { $0.id == id }) else {
                return .json(#"{"message":"Not found"}"#, status: 404)
            }
            if let refusal = Self.refusal(collection, fields, store, creating: false) { return refusal }
            for (key, value) in fields { store.objects[collection]![index].fields[key] = value }
            return .json(Self.text(store.objects[collection]![index]))
        }
    }

    /// The 422 a create or update gets: a blank name, or a parent id that names no parent.
    private static func refusal(_ collection: String, _ fields: JSONObject, _ store: Store, creating: Bool)
        -> LoopbackServer.Reply?
    {
        let nameField = collection == "work_orders" ? "title" : "name"
        if creating || fields[nameField] != nil, (fields[nameField]?.stringValue ?? "").isEmpty {
            return .json(#"{"message":"Validation failed: \#(nameField) can't be blank"}"#, status: 422)
        }
        if let parent = parents[collection], creating || fields[parent.field] != nil {
            let id = fields[parent.field].flatMap(Self.id)
            guard let id, store.objects[parent.collection, default: []].contains(where: { $0.id == id }) else {
                return .json(#"{"message":"Validation failed: \#(parent.field) must exist"}"#, status: 422)
            }
        }
        return nil
    }

    /// An id as the API accepts it: a number or its decimal text.
    static func id(_ value: JSONValue) -> Int? {
        if let number = value.intValue { return Int(number) }
        return value.stringValue.flatMap { Int($0) }
    }

    /// The object as the API answers it: its fields and its id.
    static func text(_ object: Object) -> String {
        var fields = object.fields
        fields["id"] = .int(Int64(object.id))
        return JSONWriter().encodeString(.object(fields))
    }
}

/// The dispatch system of `examples/field-service/`: the second system, where work orders
/// are planned. `GET /work_orders?updated_since=…&page=…&per_page=…` lists those changed at or
/// after `updated_since`, oldest first, as `{"data": […], "meta": {"total": n}}`.
final class DispatchAPI: Sendable {
    private let orders: Mutex<[JSONObject]>

    /// Serves the work orders of a JSON array (the example's `data/work_orders.json`).
    init(json: String) throws {
        guard case .array(let items) = try JSONParser().parse(Array(json.utf8)) else {
            throw ServerError("work orders: not a JSON array")
        }
        orders = Mutex(items.compactMap(\.objectValue))
    }

    /// Every work order, as the dispatch system holds it now.
    var all: [JSONObject] { orders.withLock { $0 } }

    /// Adds a work order, or changes one's fields, as a dispatcher would.
    func save(_ ref: String, _ fields: JSONObject) {
        orders.withLock { orders in
            if let index = orders.firstIndex(where: { $0["ref"]?.stringValue == ref }) {
                for (key, value) in fields { orders[index][key] = value }
            } else {
                var order = fields
                order["ref"] = .string(ref)
                orders.append(order)
            }
        }
    }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        guard request.method == "GET", request.path == "/work_orders" else {
            return .json(#"{"message":"Not found"}"#, status: 404)
        }
        let since = request.query["updated_since"] ?? ""
        let found = orders.withLock { $0 }
            .filter { ($0["updated_at"]?.stringValue ?? "") >= since }
            .sorted {
                ($0["updated_at"]?.stringValue ?? "", $0["ref"]?.stringValue ?? "")
                    < ($1["updated_at"]?.stringValue ?? "", $1["ref"]?.stringValue ?? "")
            }
        let size = max(Int(request.query["per_page"] ?? "") ?? 20, 1)
        let page = max(Int(request.query["page"] ?? "") ?? 1, 1)
        let slice = found.dropFirst((page - 1) * size).prefix(size)
        let items = slice.map { JSONWriter().encodeString(.object($0)) }.joined(separator: ",")
        return .json(#"{"data":[\#(items)],"meta":{"total":\#(found.count)}}"#)
    }
}
