import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The ticket half of `examples/vysync/` end to end: the real `ferry`, the real
/// `vysync-tickets` plugin and the `rest` plugin, against the VCOM and Yuman simulators. Each
/// branch of the seed's rules, the follow-up comment rendered from the work order's history,
/// the close flow, reruns that send nothing, kill -9 at random writes, lost answers and the
/// shared VCOM budget.
@Suite struct VysyncTicketsTests {
    @Test func anUrgentTicketCreatesAWorkOrderByTheSeedsRulesAndARerunChangesNothing() throws {
        let flow = try TicketFlow()
        let urgent = flow.vcom.open(system: "PV001", designation: "Onduleur WR 1 en défaut", priority: "urgent")
        let high = flow.vcom.open(system: "PV002", designation: "Perte de communication", priority: "high")
        // PV002 has a preventive visit scheduled: its new work order takes the SAV-during-preventive category.
        let preventive = flow.addWorkOrder(
            site: "PV002", category: 13135, status: "Scheduled", title: "Visite annuelle")

        let run = try flow.example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let created = flow.yuman.liveWorkOrders.filter { $0.id != preventive }
        #expect(created.count == 2, "\(created.map(\.fields))")
        let first = try #require(created.first { $0.fields["site_id"]?.intValue == Int64(flow.siteID("PV001")) })
        #expect(first.fields["category_id"] == 11138)
        #expect(first.fields["manager_id"] == 10338)
        #expect(first.fields["workorder_type"] == "Reactive")
        // The seed's "Camembert" custom field (blueprint 3146): a troubleshooting call-out.
        #expect(first.fields["fields"] == [["blueprint_id": 3146, "value": "Dépannage SAV"]])
        #expect(first.fields["client_id"] == flow.site("PV001").fields["client_id"])
        #expect(first.fields["title"]?.stringValue == "[VCOM #\(urgent)] Onduleur WR 1 en défaut")
        let description = first.fields["description"]?.stringValue ?? ""
        #expect(description.contains("- #\(urgent) [urgent] Onduleur WR 1 en défaut"), "\(description)")
        let second = try #require(created.first { $0.fields["site_id"]?.intValue == Int64(flow.siteID("PV002")) })
        #expect(second.fields["category_id"] == 14804)
        #expect(second.fields["description"]?.stringValue?.contains("Visite annuelle") == true)
        // VCOM: both tickets assigned, each with one follow-up comment naming its work order.
        for (ticket, workOrder) in [(urgent, first), (high, second)] {
            #expect(flow.vcom.ticket(ticket)?["status"] == "assigned")
            let comments = flow.vcom.comments(ticket)
            #expect(comments.count == 1, "\(comments)")
            #expect(
                comments.first?.text.hasPrefix("[Ferry · suivi] Ordre de travail Yuman n°\(70_000 + workOrder.id)")
                    == true)
            #expect(comments.first?.text.contains("Statut actuel : Open") == true, "\(comments)")
            #expect(try flow.workOrderMapped(to: ticket) == String(workOrder.id))
        }
        // No secret in the output.
        for secret in [VCOMSimulator.password, VCOMSimulator.apiKey, YumanSimulator.token] {
            #expect(!(run.stdout + run.stderr).contains(secret))
        }

        let rerun = try flow.rerunSendsNothing()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(flow.yuman.liveWorkOrders.count == 3)
    }

    @Test func anUrgentTicketAttachesToTheBestOpenReactiveWorkOrder() throws {
        // VCOM answers ticket ids as numbers here (the PHP client's fixtures), strings elsewhere.
        let flow = try TicketFlow(vcom: VCOMSimulator(plants: 3, numericTicketIDs: true))
        // PV001: the nearest planned within 30 days wins over a later one, a closed one, one
        // planned too far ahead and one of another category.
        let later = flow.addWorkOrder(site: "PV001", category: 11138, status: "Open", planned: 10)
        let nearest = flow.addWorkOrder(site: "PV001", category: 11138, status: "Scheduled", planned: 3)
        flow.addWorkOrder(site: "PV001", category: 11138, status: "Closed", planned: 1)
        flow.addWorkOrder(site: "PV001", category: 11138, status: "Open", planned: 45)
        flow.addWorkOrder(site: "PV001", category: 13135, status: "Open", planned: 2)
        // PV002: none planned within 30 days, so the most recent open reactive one.
        flow.addWorkOrder(site: "PV002", category: 11138, status: "Open", created: "2026-10-01T08:00:00Z")
        let recent = flow.addWorkOrder(
            site: "PV002", category: 11138, status: "In progress", created: "2026-11-02T08:00:00Z")
        let urgent = flow.vcom.open(system: "PV001", designation: "Onduleur arrêté", priority: "urgent")
        let high = flow.vcom.open(system: "PV002", designation: "Production nulle", priority: "high")
        let before = flow.yuman.liveWorkOrders.count

        let run = try flow.example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(flow.yuman.liveWorkOrders.count == before)
        #expect(!flow.yuman.requests.contains("POST /workorders"), "\(flow.yuman.requests)")
        #expect(try flow.workOrderMapped(to: urgent) == String(nearest))
        #expect(try flow.workOrderMapped(to: high) == String(recent))
        // The ticket is listed in the work order's description, once; the other one is untouched.
        let description = flow.workOrder(nearest)?.fields["description"]?.stringValue ?? ""
        #expect(description.components(separatedBy: "#\(urgent) ").count == 2, "\(description)")
        #expect(flow.workOrder(later)?.fields["description"] == "")
        #expect(flow.vcom.ticket(urgent)?["status"] == "assigned")
        #expect(flow.vcom.comments(high).count == 1)
        #expect(try flow.rerunSendsNothing().status == 0)
    }

    @Test func aNormalTicketAttachesToAnActiveWorkOrderAndNeverCreatesOne() throws {
        let flow = try TicketFlow()
        let active = flow.addWorkOrder(site: "PV001", category: 13135, status: "Open", title: "Visite annuelle")
        flow.addWorkOrder(site: "PV002", category: 11138, status: "Closed")
        let attached = flow.vcom.open(system: "PV001", designation: "Alarme isolement", priority: "normal")
        let waiting = flow.vcom.open(system: "PV002", designation: "Écart de production", priority: "normal")

        let run = try flow.example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try flow.workOrderMapped(to: attached) == String(active))
        #expect(flow.vcom.ticket(attached)?["status"] == "assigned")
        // PV002 has only a closed work order: nothing is created, and the run says why.
        #expect(!flow.yuman.requests.contains("POST /workorders"), "\(flow.yuman.requests)")
        #expect(try flow.workOrderMapped(to: waiting) == nil)
        #expect(flow.vcom.ticket(waiting)?["status"] == "open")
        #expect(flow.vcom.comments(waiting).isEmpty)
        let output = run.stdout + run.stderr
        #expect(output.contains("Ticket \(waiting) (priority normal) of PV002 waits"), "\(output)")

        // Once the site has an active work order, the next run attaches the waiting ticket.
        let reopened = flow.addWorkOrder(site: "PV002", category: 11138, status: "Open")
        let next = try flow.example.ferry()
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(try flow.workOrderMapped(to: waiting) == String(reopened))
        #expect(flow.vcom.comments(waiting).count == 1)
    }

    @Test func theCommentFollowsTheWorkOrderAndClosingItClosesTheTicket() throws {
        let flow = try TicketFlow()
        let withOutage = flow.vcom.open(
            system: "PV001", designation: "Onduleur WR 2 HS", priority: "urgent", outage: true)
        let without = flow.vcom.open(system: "PV001", designation: "Sectionneur ouvert", priority: "high")
        #expect(try flow.example.ferry().status == 0)
        let workOrder = try #require(flow.yuman.liveWorkOrders.first)
        #expect(flow.yuman.liveWorkOrders.count == 1)
        let commentIDs = [withOutage, without].map { flow.vcom.comments($0).first?.id }

        // The field team plans it and names a technician: the history grows and each
        // ticket's one comment is updated in place.
        let planned = TicketFlow.day(2)
        flow.yuman.progress(
            workOrder.id,
            ["status": "Scheduled", "date_planned": .string(planned + "T08:00:00Z"), "technician_id": 20001])
        #expect(try flow.example.ferry().status == 0)
        let french = planned.split(separator: "-").reversed().joined(separator: "/")
        for ticket in [withOutage, without] {
            let comments = flow.vcom.comments(ticket)
            #expect(comments.count == 1)
            let text = comments.first?.text ?? ""
            for line in [
                "- Statut : Open", "- Statut : Open → Scheduled", "- Date prévue : — → \(french)",
                "- Technicien : — → Jean Martin",
            ] {
                #expect(text.contains(line), "\(text)")
            }
        }
        #expect([withOutage, without].map { flow.vcom.comments($0).first?.id } == commentIDs)

        // Closed with a report: the report comment, the outage deleted (only for the ticket
        // whose detail names one), the ticket closed with a summary.
        flow.yuman.progress(workOrder.id, ["status": "Closed", "report": "Onduleur remplacé, production rétablie."])
        #expect(try flow.example.ferry().status == 0)
        for ticket in [withOutage, without] {
            let comments = flow.vcom.comments(ticket)
            #expect(comments.count == 2, "\(comments)")
            #expect(comments.last?.text.hasPrefix("[Ferry · rapport]") == true)
            #expect(comments.last?.text.contains("Onduleur remplacé, production rétablie.") == true)
            #expect(comments.first?.text.contains("- Statut : Scheduled → Closed") == true)
            #expect(flow.vcom.ticket(ticket)?["status"] == "closed")
            #expect(flow.vcom.ticket(ticket)?["summary"]?.stringValue?.contains("n°\(70_000 + workOrder.id)") == true)
        }
        #expect(flow.vcom.writes.contains("DELETE /tickets/\(withOutage)/outage"))
        #expect(!flow.vcom.writes.contains("DELETE /tickets/\(without)/outage"))
        #expect(!flow.vcom.hasOutage(withOutage))
        #expect(flow.example.vcom.refusals.isEmpty, "\(flow.example.vcom.refusals)")
        // Its tickets closed, the work order is no longer read.
        let before = flow.yuman.requests.count
        #expect(try flow.rerunSendsNothing().status == 0)
        let read = flow.yuman.requests.dropFirst(before).filter { $0.hasPrefix("GET /workorders") }
        #expect(read.isEmpty, "\(read)")
    }

    @Test func aKillAtARandomWriteOfTheTicketFlowNeverDuplicatesAWorkOrderOrAComment() throws {
        for iteration in 1...12 {
            // A dozen runs in a row: budgets opened wide so that no run waits for a minute to refill.
            let flow = try TicketFlow(
                vcom: VCOMSimulator(plants: 3, perMinute: 10_000), clientPerMinute: 100_000, name: "kill-\(iteration)")
            let tickets = [
                flow.vcom.open(system: "PV001", designation: "Onduleur HS", priority: "urgent", outage: true),
                flow.vcom.open(system: "PV001", designation: "Alarme isolement", priority: "normal"),
                flow.vcom.open(system: "PV002", designation: "Production nulle", priority: "high"),
            ]
            // PV002's new work order takes the preventive-visit category, which the rules do not
            // pick up again: after a kill, only its title marker finds it.
            flow.addWorkOrder(site: "PV002", category: 13135, status: "Scheduled")
            // Two phases: attaching (2 creates, 1 description, 3 statuses, 3 comments) and closing
            // (per ticket a comment update, a report and a close, the one outage delete; the
            // detail read before them is no write, but a kill after a close makes the next run
            // find the ticket closed in it).
            for phase in ["attach", "close"] {
                if phase == "close" {
                    for workOrder in flow.yuman.liveWorkOrders where workOrder.fields["category_id"] != 13135 {
                        flow.yuman.progress(workOrder.id, ["status": "Closed", "report": "Réparé"])
                    }
                }
                let write = Int.random(in: 1...9)
                let killed = try flow.example.runKilled(afterWrite: write)
                #expect(killed, "iteration \(iteration), \(phase): the run ended before write \(write)")
                var rerun = try flow.example.ferry()
                for _ in 0..<3 where rerun.status != 0 { rerun = try flow.example.ferry() }
                let context = "iteration \(iteration), \(phase), kill after write \(write)"
                #expect(rerun.status == 0, "\(context): \(rerun.stdout)\(rerun.stderr)")
                let problems = flow.ticketProblems(tickets, closed: phase == "close")
                #expect(problems.isEmpty, "\(context): \(problems)")
                #expect(try flow.example.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["0"])
            }
            #expect(try flow.rerunSendsNothing().status == 0)
        }
    }

    @Test func createsWhoseAnswerWasLostAreFoundAgainNotMadeTwice() throws {
        // Yuman stores the work order and VCOM the comment, but both answers are lost (502):
        // the next attempt finds them by their markers.
        let flow = try TicketFlow(yuman: YumanSimulator(perMinute: 1000, camelCaseWorkOrderPages: true))
        let ticket = flow.vcom.open(system: "PV003", designation: "Onduleur HS", priority: "urgent")
        // With a preventive visit scheduled the new work order is not a reactive one, so the
        // rules would not pick it up again: only its title marker finds it.
        let preventive = flow.addWorkOrder(site: "PV003", category: 13135, status: "Scheduled")
        flow.yuman.loseAnswers(1)
        flow.vcom.loseCommentAnswers(1)
        var run = try flow.example.ferry()
        for _ in 0..<4 where run.status != 0 { run = try flow.example.ferry() }
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(flow.yuman.liveWorkOrders.count == 2)
        #expect(flow.yuman.requests.filter { $0 == "POST /workorders" }.count == 1, "\(flow.yuman.requests)")
        #expect(flow.yuman.refusals.filter { $0.hasPrefix("502 POST /workorders") }.count == 1)
        #expect(flow.vcom.comments(ticket).count == 1, "\(flow.vcom.comments(ticket))")
        #expect(flow.vcom.writes.filter { $0 == "POST /tickets/\(ticket)/comments" }.count == 1)
        let created = flow.yuman.liveWorkOrders.first { $0.id != preventive }
        #expect(created?.fields["category_id"] == 14804)
        #expect(try flow.workOrderMapped(to: ticket) == created.map { String($0.id) })
    }

    @Test func aWorkOrderDeletedInYumanIsMarkedDeletedAndItsTicketAttachedAgain() throws {
        let flow = try TicketFlow()
        let ticket = flow.vcom.open(system: "PV001", designation: "Onduleur HS", priority: "urgent")
        #expect(try flow.example.ferry().status == 0)
        let ghost = try #require(flow.yuman.liveWorkOrders.first)
        let commentID = flow.vcom.comments(ticket).first?.id
        flow.yuman.progress(ghost.id, ["deleted_at": "2026-11-28T10:00:00Z"])
        // The first run finds it gone (after the rules ran); the next attaches the ticket again.
        let found = try flow.example.ferry()
        #expect(found.status == 0, "\(found.stdout)\(found.stderr)")
        #expect(
            (found.stdout + found.stderr).contains("is gone from Yuman: marked Deleted"),
            "\(found.stdout)\(found.stderr)")
        #expect(try flow.example.ferry().status == 0)
        let replacement = try #require(flow.yuman.liveWorkOrders.first)
        #expect(replacement.id != ghost.id)
        #expect(try flow.workOrderMapped(to: ticket) == String(replacement.id))
        // Still one comment, now naming the new work order.
        let comments = flow.vcom.comments(ticket)
        #expect(comments.map(\.id) == [commentID].compactMap { $0 })
        #expect(comments.first?.text.contains("n°\(70_000 + replacement.id)") == true, "\(comments)")
        #expect(try flow.rerunSendsNothing().status == 0)
    }

    @Test func aTicketOfASystemWithoutAYumanSiteIsADeadLetterNamingBoth() throws {
        let flow = try TicketFlow()
        let orphan = flow.vcom.open(system: "PV404", designation: "Onduleur HS", priority: "urgent")
        let fine = flow.vcom.open(system: "PV001", designation: "Onduleur HS", priority: "urgent")
        let run = try flow.example.ferry()
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        let letters = try flow.example.sandbox.sql("state.db", "SELECT pipeline || ': ' || error FROM dead_letters")
        #expect(
            letters == ["tickets: ticket \(orphan): system PV404 has no Yuman site in yuman/sites yet"], "\(letters)")
        // The other site's ticket went through.
        #expect(flow.vcom.ticket(fine)?["status"] == "assigned")
        #expect(flow.vcom.comments(orphan).isEmpty)
    }

    @Test func theTicketFlowKeepsToTheSharedVCOMBudget() throws {
        // A tier of 20 requests per simulated minute of 3 s: the ticket pipelines read and write
        // through the same budget (and follow the same headers) as the systems ones.
        let vcom = VCOMSimulator(plants: 4, perMinute: 20, minuteLength: 3)
        let flow = try TicketFlow(vcom: vcom, clientPerMinute: 90)
        for plant in vcom.plants {
            flow.vcom.open(system: plant.key, designation: "Onduleur HS", priority: "urgent")
        }
        let served = vcom.served.count
        let run = try flow.example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // The systems reads of the run (with one detail per inverter, 8) and the two lists of
        // tickets (open, closed since the last read); per ticket a status and a comment.
        #expect(flow.example.vcomRequestsPerRun() == 2 + 4 * 4 + 8 + 2)
        #expect(
            vcom.served.count - served == flow.example.vcomRequestsPerRun() + 4 * 2,
            "\(vcom.served.dropFirst(served).map(\.request))")
        #expect(vcom.busiestMinute <= 20, "\(vcom.busiestMinute)")
        #expect(vcom.refusals.isEmpty, "\(vcom.refusals)")
        let budget = try flow.example.sandbox.sql(
            "state.db", "SELECT value FROM kv WHERE scope = 'http.budget' AND key = 'vcom'")
        let dayUsed = try JSONParser().parse(Array((budget.first ?? "{}").utf8))["day_used"]?.intValue
        #expect(dayUsed == Int64(vcom.served.count), "\(budget)")
    }
}
