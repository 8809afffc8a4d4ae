import FerryJSON
import FerryPluginSDK

/// The Yuman side: VCOM tickets in (stream `tickets`), attached to work orders by the seed's
/// rules; ticket updates out (stream `ticket_updates`), rendered from each followed work
/// order's history. State (this connection's): `workorder:<id>` per followed work order,
/// `followed` (their ids), `reported` (every work order ever followed, for the weekly report)
/// and `create-intent:<ticket>` while a create is in flight. The ID map
/// scope `vysync/ticket_workorders` holds ticket id → work-order id.
struct WorkOrderDesk {
    static let ticketScope = "vysync/ticket_workorders"
    /// Tickets the VCOM side closed (ticket id → "closed"): their closed work orders are no longer read.
    static let closedScope = "vysync/closed_tickets"

    let config: TicketsConfig
    let host: HostServices
    let api: API
    let rules: WorkOrderRules
    /// Now, UTC (`YYYY-MM-DDTHH:MM:SSZ`): when the history lines of this pass were seen.
    let now: String
    /// A dry run: the decisions are logged ("Dry run: would …"), nothing is written to Yuman
    /// nor to Ferry's state and ID map (so the history is not advanced either).
    let preview: Bool

    init(config: TicketsConfig, host: HostServices, today: String, horizon: String, now: String, preview: Bool = false)
    {
        self.config = config
        self.host = host
        self.now = now
        self.preview = preview
        api = API(host: host, name: "Yuman")
        rules = WorkOrderRules(config: config, today: today, horizon: horizon)
    }

    // MARK: Tickets → work orders

    /// Applies the rules to a batch of tickets, site by site; a ticket whose site has no Yuman
    /// id yet is rejected with a message naming both.
    func write(_ records: RecordsView) throws -> WriteOutcome {
        var rejections: [RecordRejection] = []
        var bySite: [(key: String, tickets: [(index: Int, ticket: Ticket)])] = []
        for (index, result) in records.objects().enumerated() {
            do {
                let ticket = try Ticket(try result.get())
                guard !["closed", "deleted"].contains(ticket.status) else { continue }
                if let at = bySite.firstIndex(where: { $0.key == ticket.systemKey }) {
                    bySite[at].tickets.append((index, ticket))
                } else {
                    bySite.append((ticket.systemKey, [(index, ticket)]))
                }
            } catch let error as PluginError {
                rejections.append(RecordRejection(index: index, error: error.message))
            }
        }
        if !preview { try remember(bySite.flatMap { $0.tickets.map(\.ticket) }) }
        for site in bySite {
            guard let siteID = try host.destinationID(scope: config.siteScope, sourceID: site.key) else {
                for (index, ticket) in site.tickets {
                    rejections.append(
                        RecordRejection(
                            index: index,
                            error:
                                "ticket \(ticket.id): system \(site.key) has no Yuman site in \(config.siteScope) yet"))
                }
                continue
            }
            do {
                try attach(site.tickets.map(\.ticket), systemKey: site.key, siteID: siteID)
            } catch let error as PluginError where error.status == PluginError.invalid("").status {
                rejections += site.tickets.map {
                    RecordRejection(index: $0.index, error: "ticket \($0.ticket.id): \(error.message)")
                }
            }
        }
        return WriteOutcome(acceptedCount: records.count - rejections.count, rejections: rejections)
    }

    private func attach(_ tickets: [Ticket], systemKey: String, siteID: String) throws {
        let unlinked = try tickets.filter { try !isLinked($0) }
        guard !unlinked.isEmpty else { return }
        var workOrders = try api.pages("workorders", query: [("site_id", siteID)]).compactMap(WorkOrder.init)
        let relinked = try relinkByDescription(unlinked, in: workOrders, systemKey: systemKey)
        let pending = unlinked.filter { !relinked.contains($0.id) }
        let pressing = pending.filter(\.isPressing)
        if !pressing.isEmpty {
            let target: WorkOrder
            if let found = try foundAgain(pressing, in: workOrders) {
                target = found
            } else if let best = rules.bestReactive(workOrders) {
                target = best
            } else {
                target = try create(pressing, systemKey: systemKey, siteID: siteID, siteWorkOrders: workOrders)
                workOrders.append(target)
            }
            try link(pressing, to: target, systemKey: systemKey)
        }
        let normal = pending.filter { !$0.isPressing }
        guard !normal.isEmpty else { return }
        guard let target = rules.anyActive(workOrders) else {
            for ticket in normal {
                host.log(
                    .warning,
                    "Ticket \(ticket.id) (priority normal) of \(systemKey) waits: the site has no active work order to attach it to, and a normal ticket never creates one.",
                    ["ticket": .string(ticket.id), "system": .string(systemKey)])
            }
            host.count("vysync.tickets_waiting", by: Double(normal.count))
            return
        }
        try link(normal, to: target, systemKey: systemKey)
    }

    /// The seed's re-linking of a deleted work order's tickets: a ticket whose work order
    /// Yuman no longer has goes to a live work order of the site whose description already
    /// lists it (a person moved it there), before the rules would attach it anew. Returns the
    /// ids of the tickets so linked.
    private func relinkByDescription(_ tickets: [Ticket], in workOrders: [WorkOrder], systemKey: String) throws
        -> Set<String>
    {
        var relinked: Set<String> = []
        for ticket in tickets {
            guard
                let previous = try host.destinationID(scope: Self.ticketScope, sourceID: ticket.id)
                    .flatMap({ Int64($0) }),
                let gone = try followed(previous), gone.deleted
            else { continue }
            // Among those listing it, an active one first, then the most recent.
            let listing = workOrders.filter {
                $0.id != previous && $0.status != "deleted" && $0.lists(ticket: ticket.id)
            }
            guard
                let target = listing.max(by: {
                    ($0.isActive ? 1 : 0, $0.createdAt, $0.id) < ($1.isActive ? 1 : 0, $1.createdAt, $1.id)
                })
            else { continue }
            if !preview {
                host.log(
                    .info,
                    "Ticket \(ticket.id) of deleted work order n°\(gone.number) is listed in work order n°\(target.number)'s description: re-linked to it.",
                    ["ticket": .string(ticket.id), "workorder": .int(target.id)])
            }
            try link([ticket], to: target, systemKey: systemKey)
            relinked.insert(ticket.id)
        }
        return relinked
    }

    /// A work order created for one of these tickets whose answer was lost (its title carries the marker).
    private func foundAgain(_ tickets: [Ticket], in workOrders: [WorkOrder]) throws -> WorkOrder? {
        for ticket in tickets {
            let marker = WorkOrder.marker(ticket: ticket.id)
            guard let found = workOrders.first(where: { $0.title.contains(marker) }) else { continue }
            let interrupted = try host.state("create-intent:\(ticket.id)") != nil
            host.log(
                .info,
                "Work order n°\(found.number) created for ticket \(ticket.id) found again by its title\(interrupted ? " after an interrupted create" : ""); not created twice."
            )
            return found
        }
        return nil
    }

    private func isLinked(_ ticket: Ticket) throws -> Bool {
        guard let id = try host.destinationID(scope: Self.ticketScope, sourceID: ticket.id).flatMap({ Int64($0) })
        else {
            return false
        }
        return try followed(id)?.deleted != true
    }

    private func create(
        _ tickets: [Ticket], systemKey: String, siteID: String, siteWorkOrders: [WorkOrder]
    ) throws -> WorkOrder {
        let sites = try api.get("sites", query: [("code", systemKey)])
        let site = (sites?.arrayValue ?? sites?["items"]?.arrayValue ?? []).compactMap(\.objectValue)
            .first { text($0["id"]) == siteID }
        guard let site, let clientID = site["client_id"] else {
            throw PluginError.invalid(
                "ticket \(tickets[0].id): Yuman site \(siteID) (\(systemKey)) was not found by its code")
        }
        let body: JSONValue = [
            "workorder_type": "Reactive", "category_id": .int(rules.categoryForNew(siteWorkOrders)),
            "title": .string(WorkOrderRules.title(for: tickets)),
            "description": .string(WorkOrderRules.description(for: tickets, siteWorkOrders: siteWorkOrders)),
            "client_id": clientID, "site_id": .int(Int64(siteID) ?? 0), "address": site["address"] ?? .null,
            "manager_id": .int(config.managerID),
            "fields": [["blueprint_id": .int(config.camembertBlueprint), "value": .string(config.camembertValue)]],
        ]
        if preview {
            host.log(
                .info,
                "Dry run: would create a work order for \(systemKey) (Yuman site \(siteID), category \(rules.categoryForNew(siteWorkOrders))) titled \"\(WorkOrderRules.title(for: tickets))\" for tickets \(tickets.map { "#\($0.id)" }.joined(separator: ", "))."
            )
            return WorkOrder(["id": 0, "number": "(new)", "title": .string(WorkOrderRules.title(for: tickets))])!
        }
        // The intent first: a kill after Yuman stored the work order leaves it to be found by its title.
        try host.setState(siteID, for: "create-intent:\(tickets[0].id)")
        guard let object = try api.send("POST", "workorders", body: body).json?.objectValue,
            let created = WorkOrder(object)
        else { throw PluginError.invalid("Yuman answered a work-order create without an id") }
        host.log(.info, "Created work order n°\(created.number) for ticket \(tickets[0].id) of \(systemKey).")
        host.count("vysync.workorders_created")
        return created
    }

    /// Lists the tickets in the work order's description (once), follows the work order, then maps the tickets.
    private func link(_ tickets: [Ticket], to workOrder: WorkOrder, systemKey: String) throws {
        if preview {
            let target = workOrder.id == 0 ? "the new work order" : "work order n°\(workOrder.number)"
            for ticket in tickets {
                host.log(
                    .info,
                    "Dry run: would attach ticket \(ticket.id) (\(ticket.priority)) of \(systemKey) to \(target).")
            }
            return
        }
        let unlisted = tickets.filter { !workOrder.lists(ticket: $0.id) }
        if !unlisted.isEmpty {
            let description = ([workOrder.description] + unlisted.map(\.line)).joined(separator: "\n")
            try api.send("PATCH", "workorders/\(workOrder.id)", body: ["description": .string(description)])
        }
        var record = try followed(workOrder.id) ?? FollowedWorkOrder(id: workOrder.id, number: workOrder.number)
        record.site = record.site ?? systemKey
        record.title = record.title ?? workOrder.title
        for ticket in tickets where !record.tickets.contains(ticket.id) { record.tickets.append(ticket.id) }
        try host.setState(record.stateText, for: FollowedWorkOrder.key(workOrder.id))
        var index = try followedIDs()
        if !index.contains(workOrder.id) {
            index.append(workOrder.id)
            try host.setState(index.map(String.init).joined(separator: ","), for: "followed")
        }
        let reported = try ids("reported")
        if !reported.contains(workOrder.id) {
            try host.setState((reported + [workOrder.id]).map(String.init).joined(separator: ","), for: "reported")
        }
        for ticket in tickets {
            try host.setDestinationID(String(workOrder.id), scope: Self.ticketScope, sourceID: ticket.id)
            try host.removeState("create-intent:\(ticket.id)")
            host.log(.info, "Ticket \(ticket.id) attached to work order n°\(workOrder.number).")
        }
    }

    // MARK: Work orders → ticket updates

    /// One record per ticket of every followed work order: its follow-up comment and, once
    /// the work order is closed, the report and summary to close the ticket with.
    func ticketUpdates() throws -> RecordBatch {
        var batch = RecordBatch()
        var names: [Int64: String]?
        var index = try followedIDs()
        for id in index {
            guard var record = try followed(id) else { continue }
            if record.status == "Closed", try record.tickets.allSatisfy(isClosedInVCOM) {
                // Its tickets were closed in VCOM (the VCOM side says so in the ID map): done with it.
                if !preview { try unfollow(id, from: &index) }
                host.log(.debug, "Work order n°\(record.number) and its tickets are closed; no longer followed.")
                continue
            }
            let answer = try api.send("GET", "workorders/\(id)", accepting: [404])
            guard answer.status != 404, let object = answer.json?.objectValue, let workOrder = WorkOrder(object) else {
                record.markDeleted(now: now)
                if preview {
                    host.log(.info, "Dry run: would mark work order n°\(record.number) Deleted (gone from Yuman).")
                    continue
                }
                try host.setState(record.stateText, for: FollowedWorkOrder.key(id))
                try unfollow(id, from: &index)
                host.log(
                    .warning,
                    "Work order n°\(record.number) is gone from Yuman: marked Deleted; its tickets \(record.tickets.joined(separator: ", ")) will be attached again."
                )
                continue
            }
            var technician: String?
            if let technicianID = workOrder.technicianID {
                if names == nil { names = try userNames() }
                technician = names?[technicianID] ?? "#\(technicianID)"
            }
            let before = record.history.count
            if record.observe(workOrder, technicianName: technician, now: now) {
                if preview {
                    for change in record.history.dropFirst(before) {
                        host.log(
                            .info,
                            "Dry run: work order n°\(record.number) would note \"\(change.text)\" in its history.")
                    }
                } else {
                    try host.setState(record.stateText, for: FollowedWorkOrder.key(id))
                }
            }
            for ticket in record.tickets {
                // A ticket attached elsewhere since (its work order was deleted) follows its new one.
                guard try host.destinationID(scope: Self.ticketScope, sourceID: ticket) == String(id) else { continue }
                batch.append([
                    "ticket_id": .string(ticket), "workorder_id": .int(id), "workorder_number": .string(record.number),
                    "comment": .string(record.comment), "closed": .bool(workOrder.isClosed),
                    "report": .string(
                        "\(FollowedWorkOrder.reportMarker) Rapport d'intervention (OT n°\(record.number)) :\n\(workOrder.report.isEmpty ? "—" : workOrder.report)"
                    ),
                    "summary": .string("Clôturé dans Yuman, ordre de travail n°\(record.number)"),
                ])
            }
        }
        return batch
    }

    /// Whether the VCOM side finished closing the ticket (ID map scope `vysync/closed_tickets`).
    private func isClosedInVCOM(_ ticket: String) throws -> Bool {
        try host.destinationID(scope: Self.closedScope, sourceID: ticket) != nil
    }

    private func unfollow(_ id: Int64, from index: inout [Int64]) throws {
        index.removeAll { $0 == id }
        try host.setState(index.map(String.init).joined(separator: ","), for: "followed")
    }

    private func userNames() throws -> [Int64: String] {
        var names: [Int64: String] = [:]
        for user in try api.pages("users") {
            guard let id = user["id"]?.intValue else { continue }
            let full = [user["first_name"]?.stringValue, user["last_name"]?.stringValue].compactMap { $0 }
                .joined(separator: " ")
            names[id] = full.isEmpty ? user["name"]?.stringValue ?? "#\(id)" : full
        }
        return names
    }

    func followed(_ id: Int64) throws -> FollowedWorkOrder? {
        try host.state(FollowedWorkOrder.key(id)).flatMap(FollowedWorkOrder.init(stateText:))
    }

    func followedIDs() throws -> [Int64] { try ids("followed") }

    /// A comma-separated list of work-order ids kept in the state under `key`.
    func ids(_ key: String) throws -> [Int64] {
        (try host.state(key) ?? "").split(separator: ",").compactMap { Int64($0) }
    }
}
