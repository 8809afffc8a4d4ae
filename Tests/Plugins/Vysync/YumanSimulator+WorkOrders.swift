import FerryJSON
import FerryTesting
import Foundation

/// Yuman's work orders, users and work-order categories (`reference/external-apis.md` §2,
/// "Work orders" and "Users"; seed behaviours 000, "Yuman simulator must serve"):
///
/// - `GET /workorders` pages like the other lists (optionally with the `totalPages` spelling,
///   ``YumanSimulator/camelCaseWorkOrderPages``), filtered by `site_id`; `GET /workorders/{id}`.
/// - `POST /workorders` `{workorder_type, category_id, title, description, client_id, site_id,
///   address, manager_id, fields}` answers the object with its `id`, `number`, `status: "Open"`
///   and `created_at`; 422 for an unknown site, client, category or manager, or a blank title.
/// - `PATCH /workorders/{id}` changes what it is sent; `DELETE /workorders/{id}` is a soft delete:
///   the object stays in the store with `deleted_at`, leaves the lists and answers 404.
/// - ``progress(_:_:)`` moves a work order through its life (Open → Scheduled → In progress →
///   Closed, a planned date, a technician, a report) as the field team would in Yuman.
/// - `GET /workorders/categories` and `GET /users` (managers and technicians).
extension YumanSimulator {
    /// The seed's work-order categories: SAV reactive, SAV while a preventive visit is due, preventive.
    static let workOrderCategories: [Int64: String] = [
        11138: "SAV - Réactif", 14804: "SAV - Préventif en cours", 13135: "Maintenance préventive",
    ]
    /// The seed's manager and two technicians.
    static let people: [(id: Int, first: String, last: String, role: String)] = [
        (10338, "Claire", "Manager", "manager"), (20001, "Jean", "Martin", "technician"),
        (20002, "Ana", "Lopes", "technician"),
    ]

    func addPeople() {
        store.withLock { store in
            store.objects["users"] = Self.people.map {
                Object(
                    id: $0.id,
                    fields: [
                        "first_name": .string($0.first), "last_name": .string($0.last),
                        "name": .string("\($0.first) \($0.last)"), "role": .string($0.role),
                    ])
            }
        }
    }

    /// Changes a work order as a person does in Yuman (no request counted).
    func progress(_ id: Int, _ changes: JSONObject) {
        store.withLock { store in
            guard let index = store.objects["workorders"]?.firstIndex(where: { $0.id == id }) else { return }
            for (key, value) in changes { store.objects["workorders"]![index].fields[key] = value }
        }
    }

    /// Work orders not soft-deleted.
    var liveWorkOrders: [Object] { objects("workorders").filter { $0.fields["deleted_at"] == nil } }

    /// The answer for the routes only work orders have, or nil to let the shared routes answer.
    func workOrderAnswer(_ request: LoopbackServer.Request, _ parts: [String]) -> LoopbackServer.Reply? {
        guard parts.first == "workorders", parts.count == 2 else { return nil }
        if parts[1] == "categories", request.method == "GET" {
            let items = Self.workOrderCategories.sorted { $0.key < $1.key }.map {
                JSONValue.object(["id": .int($0.key), "name": .string($0.value)])
            }
            return .json(JSONWriter().encodeString(.array(items)))
        }
        guard let id = Int(parts[1]) else { return .json(#"{"message":"Not found"}"#, status: 404) }
        return store.withLock { store -> LoopbackServer.Reply? in
            guard let index = store.objects["workorders"]?.firstIndex(where: { $0.id == id }),
                store.objects["workorders"]![index].fields["deleted_at"] == nil
            else { return .json(#"{"message":"Not found"}"#, status: 404) }
            switch request.method {
            case "GET": return .json(Self.json(store.objects["workorders"]![index], embed: false))
            case "DELETE":
                store.objects["workorders"]![index].fields["deleted_at"] = "2026-11-28T10:00:00Z"
                return .response(status: 204)
            default: return nil
            }
        }
    }

    /// A new work order's own fields.
    static func stampNewWorkOrder(_ object: inout Object) {
        object.fields["number"] = .int(Int64(object.id) + 70_000)
        object.fields["status"] = "Open"
        object.fields["created_at"] = "2026-11-28T09:00:00Z"
        for field in ["date_planned", "date_done", "technician_id", "report"] where object.fields[field] == nil {
            object.fields[field] = .null
        }
    }

    /// Why Yuman would refuse this work order, or nil.
    static func workOrderProblem(_ fields: JSONObject, _ store: Store) -> String? {
        func exists(_ collection: String, _ value: JSONValue?) -> Bool {
            guard let value, let id = Int(text(value)) else { return false }
            return store.objects[collection, default: []].contains { $0.id == id }
        }
        if (fields["title"]?.stringValue ?? "").isEmpty { return "Validation failed: Title can't be blank" }
        if !exists("sites", fields["site_id"]) { return "Validation failed: Site must exist" }
        if !exists("clients", fields["client_id"]) { return "Validation failed: Client must exist" }
        guard let category = fields["category_id"]?.intValue, workOrderCategories[category] != nil else {
            return "Validation failed: unknown category"
        }
        if let manager = fields["manager_id"], !manager.isNull, !exists("users", manager) {
            return "Validation failed: Manager must exist"
        }
        return nil
    }
}
