import FerryJSON
import FerryPluginSDK

/// What Ferry keeps about a work order it linked tickets to (state key `workorder:<id>`):
/// its site and title, the tickets, the last status, planned date and technician it saw, and
/// the change history (the seed's `wo_history`) the ticket comments and the weekly report are
/// rendered from.
struct FollowedWorkOrder: Equatable {
    /// One line of the history and when Ferry saw the change (UTC, `YYYY-MM-DDTHH:MM:SSZ`;
    /// nil for lines kept before times were).
    struct Change: Equatable {
        var text: String
        var at: String?
    }

    var id: Int64
    var number: String
    /// The VCOM system key of its site.
    var site: String?
    var title: String?
    /// Yuman's description (the tickets listed in it) and site id, as last read, for the `work_orders` table.
    var description: String?
    var siteID: Int64?
    var tickets: [String] = []
    var status: String?
    var datePlanned: String?
    /// The planned date as Yuman gives it (`YYYY-MM-DD`), for the table's date column.
    var plannedOn: String?
    var technician: String?
    var history: [Change] = []
    /// Yuman no longer has it (the seed's ghost work orders, marked Deleted, kept for the record).
    var deleted = false

    static func key(_ id: Int64) -> String { "workorder:\(id)" }

    init(id: Int64, number: String) {
        self.id = id
        self.number = number
    }

    init?(stateText: String) {
        guard case .object(let object)? = try? JSONParser().parse(Array(stateText.utf8)),
            let id = object["id"]?.intValue
        else { return nil }
        self.id = id
        number = object["number"]?.stringValue ?? String(id)
        site = object["site"]?.stringValue
        title = object["title"]?.stringValue
        description = object["description"]?.stringValue
        siteID = object["site_id"]?.intValue
        tickets = (object["tickets"]?.arrayValue ?? []).compactMap(\.stringValue)
        status = object["status"]?.stringValue
        datePlanned = object["date_planned"]?.stringValue
        plannedOn = object["planned_on"]?.stringValue
        technician = object["technician"]?.stringValue
        history = (object["history"]?.arrayValue ?? []).compactMap { line in
            line.stringValue.map { Change(text: $0) }
                ?? line["text"]?.stringValue.map { Change(text: $0, at: line["at"]?.stringValue) }
        }
        deleted = object["deleted"]?.boolValue ?? false
    }

    var stateText: String {
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return JSONWriter().encodeString([
            "id": .int(id), "number": .string(number), "site": optional(site), "title": optional(title),
            "description": optional(description), "site_id": siteID.map(JSONValue.int) ?? .null,
            "tickets": .array(tickets.map(JSONValue.string)),
            "status": optional(status), "date_planned": optional(datePlanned),
            "planned_on": optional(plannedOn), "technician": optional(technician),
            "history": .array(history.map { ["text": .string($0.text), "at": optional($0.at)] }),
            "deleted": .bool(deleted),
        ])
    }

    /// Appends a history line (seen `now`) for each of status, planned date and technician
    /// that changed since last seen; returns whether anything did.
    mutating func observe(_ workOrder: WorkOrder, technicianName: String?, now: String) -> Bool {
        let before = self
        let status = workOrder.status.capitalizedFirst
        let date = workOrder.datePlanned.map(Self.french)
        if self.status != status {
            history.append(
                Change(text: self.status.map { "Statut : \($0) → \(status)" } ?? "Statut : \(status)", at: now))
            self.status = status
        }
        if datePlanned != date {
            history.append(Change(text: "Date prévue : \(datePlanned ?? "—") → \(date ?? "—")", at: now))
            datePlanned = date
        }
        if technician != technicianName {
            history.append(Change(text: "Technicien : \(technician ?? "—") → \(technicianName ?? "—")", at: now))
            technician = technicianName
        }
        number = workOrder.number
        title = workOrder.title
        description = workOrder.description
        siteID = workOrder.siteID ?? siteID
        plannedOn = workOrder.datePlanned
        return self != before
    }

    mutating func markDeleted(now: String) {
        guard !deleted else { return }
        deleted = true
        history.append(Change(text: "Ordre de travail supprimé dans Yuman", at: now))
    }

    /// The one follow-up comment of each of its tickets in VCOM.
    var comment: String {
        ([
            Self.followUpMarker + " Ordre de travail Yuman n°\(number)",
            "Statut actuel : \(deleted ? "Supprimé" : status ?? "—")",
        ]
            + (datePlanned.map { ["Date prévue : \($0)"] } ?? []) + (technician.map { ["Technicien : \($0)"] } ?? [])
            + ["Historique :"] + history.map { "- \($0.text)" }).joined(separator: "\n")
    }

    /// Starts every follow-up comment Ferry writes, so a create whose answer was lost is found again.
    static let followUpMarker = "[Ferry · suivi]"
    /// Starts the closing report comment.
    static let reportMarker = "[Ferry · rapport]"

    /// `2026-12-05` as `05/12/2026`.
    static func french(_ date: String) -> String {
        let parts = date.split(separator: "-")
        return parts.count == 3 ? "\(parts[2])/\(parts[1])/\(parts[0])" : date
    }
}

extension String {
    /// "in progress" → "In progress".
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
