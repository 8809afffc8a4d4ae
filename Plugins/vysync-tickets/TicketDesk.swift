import FerryJSON
import FerryPluginSDK

/// The VCOM side: ticket updates in (stream `ticket_updates`, one record per ticket from the
/// Yuman side), applied to VCOM once each: status `assigned`, one follow-up comment (created
/// once, then updated when its text changes), and on a closed work order the report comment,
/// the outage deleted (400: it had none) and the ticket closed with a summary. What was done
/// is kept per ticket in this connection's state (`ticket:<id>`), and an intent is stored
/// before each comment create so a create whose answer was lost is found again in the
/// ticket's comments by its marker instead of posted twice.
struct TicketDesk {
    let host: HostServices
    let api: API
    /// A dry run: what would be done to each ticket is logged, nothing is written.
    let preview: Bool

    init(host: HostServices, preview: Bool = false) {
        self.host = host
        self.preview = preview
        api = API(host: host, name: "VCOM")
    }

    func write(_ records: RecordsView) throws -> WriteOutcome {
        var rejections: [RecordRejection] = []
        for (index, result) in records.objects().enumerated() {
            do {
                try apply(try result.get())
            } catch let error as PluginError where error.status == PluginError.invalid("").status {
                rejections.append(RecordRejection(index: index, error: error.message))
            }
        }
        return WriteOutcome(acceptedCount: records.count - rejections.count, rejections: rejections)
    }

    private func apply(_ update: JSONObject) throws {
        guard let ticket = text(update["ticket_id"]), let comment = update["comment"]?.stringValue else {
            throw PluginError.invalid("a ticket update needs 'ticket_id' and 'comment'")
        }
        var done = try TicketProgress(host.state(TicketProgress.key(ticket)))
        func save() throws { try host.setState(done.stateText, for: TicketProgress.key(ticket)) }
        let closed = update["closed"]?.boolValue ?? false
        guard !preview else {
            let steps = done.steps(comment: comment, closed: closed)
            if !steps.isEmpty {
                host.log(.info, "Dry run: VCOM ticket \(ticket): would \(steps.joined(separator: ", ")).")
            }
            return
        }
        if !done.assigned && !closed {
            try api.send("PATCH", "tickets/\(ticket)", body: ["status": "assigned"])
            done.assigned = true
            try save()
        }
        if done.commentID == nil {
            done.commentID = try post(comment, on: ticket, marker: FollowedWorkOrder.followUpMarker, intent: "comment")
            done.comment = comment
            try save()
        } else if done.comment != comment, let id = done.commentID {
            try api.send("PATCH", "tickets/\(ticket)/comments/\(id)", body: ["comment": .string(comment)])
            done.comment = comment
            try save()
        }
        guard closed else { return }
        if !done.closed {
            try close(ticket, update, &done)
            try save()
            host.log(.info, "Ticket \(ticket) closed with its work order's report.")
        }
        // For the Yuman side, which stops reading a closed work order once all its tickets are
        // closed (checked on every pass, so a kill before this line is made good by the next run).
        if try host.destinationID(scope: WorkOrderDesk.closedScope, sourceID: ticket) == nil {
            try host.setDestinationID("closed", scope: WorkOrderDesk.closedScope, sourceID: ticket)
        }
    }

    /// The close flow: the ticket's detail read once, the report comment (once), the outage
    /// deleted when the detail names one, the ticket closed with a summary. A ticket VCOM
    /// already holds closed (someone closed it, or a kill came after this flow's own close) is
    /// noted as closed without being closed again: its summary stays as it is.
    private func close(_ ticket: String, _ update: JSONObject, _ done: inout TicketProgress) throws {
        let detail = try TicketDetail(api.get("tickets/\(ticket)")?["data"], ticket: ticket)
        if done.reportID == nil {
            let report = update["report"]?.stringValue ?? FollowedWorkOrder.reportMarker
            done.reportID = try post(report, on: ticket, marker: FollowedWorkOrder.reportMarker, intent: "report")
            try host.setState(done.stateText, for: TicketProgress.key(ticket))
        }
        guard !detail.isClosed else {
            host.log(.info, "Ticket \(ticket) is already closed in VCOM: not closed again, its summary kept.")
            done.closed = true
            return
        }
        if detail.hasOutage {
            // 400 is VCOM's "this ticket has no outage" (the seed reads it so): gone since the detail was read.
            try api.send("DELETE", "tickets/\(ticket)/outage", accepting: [400])
        }
        let summary = update["summary"]?.stringValue ?? "Clôturé dans Yuman"
        try api.send("PATCH", "tickets/\(ticket)", body: ["status": "closed", "summary": .string(summary)])
        done.closed = true
    }

    /// Posts a comment once: with an intent stored first, a retry after a lost answer or a
    /// kill looks for the comment by its marker before posting again.
    private func post(_ comment: String, on ticket: String, marker: String, intent: String) throws -> Int64 {
        let intentKey = "\(intent)-intent:\(ticket)"
        if try host.state(intentKey) != nil,
            let found = try api.get("tickets/\(ticket)/comments")?["data"]?.arrayValue?.first(where: {
                $0["comment"]?.stringValue?.hasPrefix(marker) == true
            }), let id = found["commentId"]?.intValue
        {
            host.log(
                .info, "Comment \(id) on ticket \(ticket) found again after an interrupted create; not posted twice.")
            if found["comment"]?.stringValue != comment {
                try api.send("PATCH", "tickets/\(ticket)/comments/\(id)", body: ["comment": .string(comment)])
            }
            try host.removeState(intentKey)
            return id
        }
        try host.setState("posting", for: intentKey)
        guard
            let id = try api.send("POST", "tickets/\(ticket)/comments", body: ["comment": .string(comment)])
                .json?["data"]?["commentId"]?.intValue
        else { throw PluginError.invalid("VCOM answered a comment create on ticket \(ticket) without a commentId") }
        try host.removeState(intentKey)
        return id
    }
}

/// What was already done to one VCOM ticket.
struct TicketProgress {
    var assigned = false
    var commentID: Int64?
    var comment: String?
    var reportID: Int64?
    var closed = false

    static func key(_ ticket: String) -> String { "ticket:\(ticket)" }

    /// What applying an update would still do, in order (a dry run's preview).
    func steps(comment: String, closed: Bool) -> [String] {
        var steps: [String] = []
        if !assigned && !closed { steps.append("set its status to assigned") }
        if commentID == nil {
            steps.append("post its follow-up comment")
        } else if self.comment != comment, let id = commentID {
            steps.append("update its follow-up comment \(id)")
        }
        if closed && !self.closed {
            steps.append("post the report comment, delete its outage and close it with a summary")
        }
        return steps
    }

    init(_ stateText: String?) {
        guard let stateText, case .object(let object)? = try? JSONParser().parse(Array(stateText.utf8)) else { return }
        assigned = object["assigned"]?.boolValue ?? false
        commentID = object["comment_id"]?.intValue
        comment = object["comment"]?.stringValue
        reportID = object["report_id"]?.intValue
        closed = object["closed"]?.boolValue ?? false
    }

    var stateText: String {
        JSONWriter().encodeString([
            "assigned": .bool(assigned), "comment_id": commentID.map(JSONValue.int) ?? .null,
            "comment": comment.map(JSONValue.string) ?? .null, "report_id": reportID.map(JSONValue.int) ?? .null,
            "closed": .bool(closed),
        ])
    }
}
