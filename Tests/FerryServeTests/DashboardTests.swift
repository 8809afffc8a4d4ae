import FerryCore
import FerryServe
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The dashboard's content and its forms, on the router; `DashboardBrowserTests`
/// shows it in a real browser.
@Suite struct DashboardTests {
    static let token = "t0ken-abc-123456"

    static func basic(_ password: String) -> String {
        "Basic " + Data("anyone:\(password)".utf8).base64EncodedString()
    }

    func page(_ client: some TestClientProtocol, authorization: String) async throws -> (Int, String, HTTPFields) {
        try await client.execute(uri: "/dashboard", method: .get, headers: [.authorization: authorization]) {
            (Int($0.status.code), String(buffer: $0.body), $0.headers)
        }
    }

    /// With a `serve --worker` fleet on the same state: each worker with its heartbeat (a
    /// stale one marked), what it holds and how late, and the units no live worker holds;
    /// the same in `GET /v1/workers`. Without one, no section and empty lists.
    @Test func thePageAndTheAPIShowTheWorkers() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            let (_, bare, _) = try await page(client, authorization: "Bearer \(Self.token)")
            #expect(!bare.contains("id=\"workers\""))
        }
        let now = Date().timeIntervalSince1970
        let unit = { (site: String, due: Double?, holder: String?, expired: Bool) in
            WorkUnitRecord(
                pipeline: PipelineID(site: site, pipeline: "readings"), due: due, holder: holder, leaseExpired: expired,
                lastStatus: nil, lastFinished: nil)
        }
        fixture.backend.fleet = WorkerFleet(
            workers: [
                WorkerRecord(id: "w1", hostname: "node-a", pid: 41, startedAt: now - 90, heartbeatAge: 30, maxUnits: 4),
                WorkerRecord(id: "w2", hostname: "node-b", pid: 42, startedAt: now - 90, heartbeatAge: 1, maxUnits: 4),
            ],
            units: [
                unit("plant-01", now - 12, "w2", false), unit("plant-02", now - 40, "w1", true),
                unit("plant-03", now + 600, nil, false),
            ],
            now: now, leaseSeconds: 10)
        try await fixture.app.test(.router) { client in
            let (status, html, _) = try await page(client, authorization: "Bearer \(Self.token)")
            #expect(status == 200)
            #expect(html.contains("<h2>Workers (2)</h2>"), "\(html)")
            #expect(html.contains("30 s ago (stale)") && html.contains("1 s ago</td>"), "\(html)")
            #expect(html.contains("plant-01/readings (12 s late)"), "\(html)")
            #expect(html.contains("due and waiting for a worker: 1, most late plant-02/readings by 40 s"), "\(html)")
            let body = try await client.execute(
                uri: "/v1/workers", method: .get, headers: [.authorization: "Bearer \(Self.token)"]
            ) { String(buffer: $0.body) }
            let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            let workers = json?["workers"] as? [[String: Any]] ?? []
            #expect(workers.map { $0["stale"] as? Bool } == [true, false], "\(body)")
            #expect(json?["units_waiting"] as? Int == 1, "\(body)")
        }
    }

    @Test func thePageShowsPipelinesRunsDeadLettersAndBudgets() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        let store = fixture.backend.store
        let a = PipelineID(pipeline: "a")
        for _ in 0..<3 {
            let run = try store.beginRun(a)
            try store.commit(
                BatchCommit(
                    run: run, pipeline: a, stream: "s", checkpoint: nil,
                    counts: BatchCounts(read: 4, written: 3, rejected: 1),
                    deadLetters: [
                        DeadLetter(
                            pipeline: a, stream: "s", stage: "destination", error: "<b>refused</b>",
                            record: #"{"id": 1}"#, createdAt: Date().timeIntervalSince1970)
                    ]))
            try store.finishRun(run, outcome: RunOutcome(status: .deadLettered))
        }
        fixture.backend.budgets = [
            BudgetState(name: "vcom-account", perMinute: 90, perDay: 10_000, minuteRemaining: 42, dayRemaining: 9_000)
        ]
        try await fixture.app.test(.router) { client in
            let (status, html, headers) = try await page(client, authorization: Self.basic(Self.token))
            #expect(status == 200)
            #expect(headers[.contentType] == "text/html; charset=utf-8")
            #expect(headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(html.contains(#"<tr data-pipeline="a">"#) && html.contains(#"<tr data-pipeline="b">"#))
            #expect(html.contains(#"<td class="status dead_lettered">dead_lettered</td>"#))
            #expect(html.contains("2026-06-01 00:10:00 UTC")) // a's next run, on the fixture's clock
            #expect(html.contains("on demand")) // b has no schedule
            #expect(html.components(separatedBy: #"<rect class="records""#).count - 1 == 3)
            #expect(html.contains("Dead letters (3)") && html.contains("Replay 3 of a"))
            #expect(html.contains("&lt;b&gt;refused&lt;/b&gt;") && !html.contains("<b>refused"))
            #expect(
                html.contains(#"<tr data-budget="vcom-account">"#) && html.contains("42 of 90")
                    && html.contains("9000 of 10000"))
            #expect(!html.contains("<script"))
        }
    }

    @Test func aBrowserGivesTheTokenAsABasicPasswordOnlyForTheDashboard() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            let (status, _, headers) = try await page(client, authorization: Self.basic("wrong"))
            #expect(status == 401)
            #expect(headers[.wwwAuthenticate]?.hasPrefix("Basic realm=") == true)
            let api = try await client.execute(
                uri: "/v1/pipelines", method: .get, headers: [.authorization: Self.basic(Self.token)]
            ) { $0.status }
            #expect(api == .unauthorized)
        }
    }

    @Test func theReplayButtonQueuesAReplayAndAFormFromAnotherSiteIsRefused() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            let form = ByteBuffer(string: "site=&pipeline=a")
            var foreign: HTTPFields = [
                .authorization: Self.basic(Self.token), .contentType: "application/x-www-form-urlencoded",
            ]
            foreign[HTTPFields.Element.Name("Sec-Fetch-Site")!] = "cross-site"
            let refused = try await client.execute(
                uri: "/dashboard/replay", method: .post, headers: foreign, body: form
            ) { $0.status }
            #expect(refused == .forbidden)
            #expect(fixture.backend.requests.isEmpty)
            // Whatever the body holds, a form is only text.
            var own = foreign
            own[HTTPFields.Element.Name("Sec-Fetch-Site")!] = "same-origin"
            for junk in ["{}", "%zz=%", "=&&=", "pipeline=%E0%A4%A"] {
                let status = try await client.execute(
                    uri: "/dashboard/replay", method: .post, headers: own, body: ByteBuffer(string: junk)
                ) { $0.status }
                #expect(status == .badRequest || status == .seeOther, "\(junk)")
            }
            own[HTTPFields.Element.Name("Sec-Fetch-Site")!] = "same-origin"
            let replayed = try await client.execute(uri: "/dashboard/replay", method: .post, headers: own, body: form) {
                $0
            }
            #expect(replayed.status == .seeOther && replayed.headers[.location] == "/dashboard")
            #expect(fixture.scheduler.waitForEvent { $0.finishedKey == PipelineID(pipeline: "a") } != nil)
            #expect(fixture.backend.requests.first?.trigger == .replay([]))
        }
    }
}
