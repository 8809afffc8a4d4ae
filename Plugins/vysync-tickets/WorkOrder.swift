import FerryJSON
import FerryPluginSDK

/// A Yuman work order as the ticket rules read it.
struct WorkOrder {
    var id: Int64
    var number: String
    /// Lower-cased, as the seed compares it ("open", "scheduled", "in progress", "closed").
    var status: String
    var category: Int64?
    var siteID: Int64?
    /// `YYYY-MM-DD`, or nil when not planned.
    var datePlanned: String?
    var createdAt: String
    var title: String
    var description: String
    var technicianID: Int64?
    var report: String

    init?(_ object: JSONObject) {
        guard let id = object["id"]?.intValue else { return nil }
        self.id = id
        number = text(object["number"]) ?? String(id)
        status = (object["status"]?.stringValue ?? "open").lowercased()
        category = object["category_id"]?.intValue
        siteID = object["site_id"]?.intValue
        datePlanned = object["date_planned"]?.stringValue.map { String($0.prefix(10)) }
        createdAt = object["created_at"]?.stringValue ?? ""
        title = object["title"]?.stringValue ?? ""
        description = object["description"]?.stringValue ?? ""
        technicianID = object["technician_id"]?.intValue
        report = object["report"]?.stringValue ?? ""
    }

    /// Neither closed nor deleted: a ticket may still be attached to it.
    var isActive: Bool { !["closed", "deleted", "cancelled", "canceled"].contains(status) }

    var isClosed: Bool { status == "closed" }

    /// Whether the description lists the ticket: `#<id>` not followed by a digit, as in the
    /// `- #<id> ` line Ferry writes or the `#<id>` and `[VCOM #<id>]` a person types.
    func lists(ticket: String) -> Bool {
        let text = Array(description.utf8)
        let needle = Array("#\(ticket)".utf8)
        guard text.count >= needle.count else { return false }
        for start in 0...(text.count - needle.count)
        where text[start..<start + needle.count].elementsEqual(needle) {
            let end = start + needle.count
            if end == text.count || !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[end]) { return true }
        }
        return false
    }

    /// The title marker of a work order created for a ticket, found again after a lost answer.
    static func marker(ticket: String) -> String { "[VCOM #\(ticket)]" }
}

/// The seed's choice of a work order for a site's tickets (`sync_tickets_workorders.py`).
struct WorkOrderRules {
    let config: TicketsConfig
    /// Today, `YYYY-MM-DD`.
    let today: String
    /// Today plus `plannedWithinDays`, `YYYY-MM-DD`.
    let horizon: String

    /// The best open reactive work order for urgent or high tickets: among the open ones of
    /// the reactive category, the one planned soonest within the horizon, else the most recent.
    func bestReactive(_ workOrders: [WorkOrder]) -> WorkOrder? {
        let open = workOrders.filter { $0.isActive && $0.category == config.reactiveCategory }
        let planned = open.filter { ($0.datePlanned ?? "") >= today && ($0.datePlanned ?? "") <= horizon }
        if let nearest = planned.min(by: { ($0.datePlanned!, $0.id) < ($1.datePlanned!, $1.id) }) { return nearest }
        return open.max { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Any active work order for normal tickets: the most recent one.
    func anyActive(_ workOrders: [WorkOrder]) -> WorkOrder? {
        workOrders.filter(\.isActive).max { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// The category of a new work order: SAV during a preventive visit when a preventive one
    /// is open or scheduled, else SAV reactive.
    func categoryForNew(_ workOrders: [WorkOrder]) -> Int64 {
        let preventiveDue = workOrders.contains {
            $0.category == config.preventiveCategory && ["open", "scheduled"].contains($0.status)
        }
        return preventiveDue ? config.duringPreventiveCategory : config.reactiveCategory
    }

    /// The seed's title: the first ticket's designation, with the marker that finds it again.
    static func title(for tickets: [Ticket]) -> String {
        "\(WorkOrder.marker(ticket: tickets[0].id)) \(tickets[0].designation)"
    }

    /// The seed's description: the tickets, then the site's other open work orders.
    static func description(for tickets: [Ticket], siteWorkOrders: [WorkOrder]) -> String {
        var lines = ["Tickets VCOM :"] + tickets.map(\.line)
        let open = siteWorkOrders.filter(\.isActive)
        if !open.isEmpty {
            lines += ["", "Autres ordres de travail ouverts sur le site :"]
            lines += open.map { "- n°\($0.number) \($0.title) (\($0.status))" }
        }
        return lines.joined(separator: "\n")
    }
}

/// A VCOM ticket as the rules read it.
struct Ticket {
    var id: String
    var systemKey: String
    var priority: String
    var status: String
    var designation: String

    init(_ record: JSONObject) throws {
        guard let id = text(record["id"]), let system = text(record["systemKey"]) else {
            throw PluginError.invalid("a ticket needs 'id' and 'systemKey'")
        }
        self.id = id
        systemKey = system
        priority = (record["priority"]?.stringValue ?? "normal").lowercased()
        status = record["status"]?.stringValue ?? "open"
        designation = record["designation"]?.stringValue ?? "Ticket \(id)"
    }

    /// Urgent or high: may create a work order.
    var isPressing: Bool { priority == "urgent" || priority == "high" }

    /// The ticket's line in a work order's description; `#<id> ` marks it as listed there.
    var line: String { "- #\(id) [\(priority)] \(designation)" }
}
