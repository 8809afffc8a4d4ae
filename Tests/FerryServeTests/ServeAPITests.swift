import FerryCore
import FerryEngine
import FerrySchedule
import FerryServe
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

private let token = "t0ken-abc-123456"

/// One request's answer: status, JSON body (when it is JSON), text.
struct Answer {
    var status: Int
    var json: [String: Any]
    var text: String
    var headers: HTTPFields
}

func call(
    _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String? = token,
    body: String? = nil
) async throws -> Answer {
    var headers: HTTPFields = [:]
    if let token { headers[.authorization] = "Bearer \(token)" }
    if body != nil { headers[.contentType] = "application/json" }
    return try await client.execute(
        uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
    ) { response in
        let text = String(buffer: response.body)
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Answer(status: Int(response.status.code), json: json, text: text, headers: response.headers)
    }
}

/// The API on the router (no socket), over a scheduler with a fake backend.
struct APIFixture {
    let backend: FakeBackend
    let scheduler: ServeScheduler
    let metrics = ServeMetrics()
    let app: Application<RouterResponder<BasicRequestContext>>

    init(token: String? = token, schedules: [(String, String?)] = [("a", "*/10 * * * *"), ("b", nil)]) throws {
        let backend = try FakeBackend(schedules)
        let metrics = self.metrics
        scheduler = try ServeScheduler(clock: ManualClock(start), logger: quietLogger(), metrics: metrics) { backend }
        scheduler.start()
        self.backend = backend
        app = Application(router: ServeAPI(scheduler: scheduler, metrics: metrics, token: token).router())
    }

    /// Every documented route, with `{pipeline}` filled in.
    static var concreteRoutes: [(HTTPRequest.Method, String)] {
        ServeAPI.routes.map { (HTTPRequest.Method(rawValue: $0.method)!, concrete($0.path)) }
    }

    static func concrete(_ template: String) -> String {
        template.replacingOccurrences(of: "{pipeline}", with: "a").replacingOccurrences(of: "{run}", with: "1")
    }
}

@Suite struct ServeAPITests {
    @Test func withNoTokenSetEverythingButHealthzIsRefusedAndSaysWhy() async throws {
        let fixture = try APIFixture(token: nil)
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            for (method, path) in APIFixture.concreteRoutes {
                let answer = try await call(client, method, path, token: "anything")
                if path == "/healthz" {
                    #expect(answer.status == 200)
                } else {
                    #expect(answer.status == 403, "\(method) \(path)")
                    #expect((answer.json["error"] as? String)?.contains("FERRY_API_TOKEN") == true)
                }
            }
        }
        #expect(fixture.backend.requests.isEmpty)
    }

    @Test func aMissingOrWrongTokenGets401AndTheTokenIsNeverEchoed() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            for (method, path) in APIFixture.concreteRoutes where path != "/healthz" {
                let missing = try await call(client, method, path, token: nil)
                #expect(missing.status == 401, "\(method) \(path)")
                // A browser asks for the dashboard's password; the API wants a bearer token.
                #expect(
                    missing.headers[.wwwAuthenticate]
                        == (path.hasPrefix("/dashboard")
                            ? #"Basic realm="ferry dashboard", charset="UTF-8""# : "Bearer"))
                let wrong = try await call(client, method, path, token: token + "x")
                #expect(wrong.status == 401)
                #expect(!wrong.text.contains(token))
                let prefix = try await call(client, method, path, token: String(token.dropLast()))
                #expect(prefix.status == 401)
            }
            #expect(try await call(client, .get, "/healthz", token: nil).status == 200)
        }
        #expect(fixture.backend.requests.isEmpty)
    }

    @Test func pipelinesShowScheduleNextRunAndLastResult() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            let answer = try await call(client, .get, "/v1/pipelines")
            let pipelines = try #require(answer.json["pipelines"] as? [[String: Any]])
            #expect(pipelines.map { $0["pipeline"] as? String } == ["a", "b"])
            #expect(
                pipelines[0]["schedule"] as? String == "CRON_TZ=\(TimeZone(identifier: "UTC")!.identifier) */10 * * * *"
            )
            #expect(pipelines[0]["next_run"] as? String == "2026-06-01T00:10:00Z")
            #expect(pipelines[1]["schedule"] is NSNull)
            #expect(pipelines[0]["running"] as? Bool == false)
            let ready = try await call(client, .get, "/readyz")
            #expect(ready.status == 200 && ready.json["ready"] as? Bool == true)
        }
    }

    @Test func aTriggerQueuesARunWithItsOptionsAndRefusesWhatItCannotDo() async throws {
        let fixture = try APIFixture()
        fixture.backend.holdRuns = true
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            let accepted = try await call(
                client, .post, "/v1/pipelines/a/runs", body: #"{"since": "2026-01-01", "full": true, "limit": 10}"#)
            #expect(accepted.status == 202)
            #expect((accepted.json["accepted"] as? [[String: String]])?.first?["pipeline"] == "a")
            let request = try #require(fixture.backend.waitForRequest())
            #expect(request.options.since == "2026-01-01" && request.options.fullRefresh && request.options.limit == 10)
            #expect(request.trigger == .api)
            let busy = try await call(client, .post, "/v1/pipelines/a/runs")
            #expect(busy.status == 409)
            #expect(try await call(client, .post, "/v1/pipelines/zzz/runs").status == 404)
            let unknownKey = try await call(client, .post, "/v1/pipelines/b/runs", body: #"{"colour": "red"}"#)
            #expect(unknownKey.status == 400)
            #expect((unknownKey.json["error"] as? String)?.contains("unknown key 'colour'") == true)
            #expect(
                try await call(client, .post, "/v1/pipelines/b/runs", body: #"{"since": "yesterday"}"#).status == 400)
            #expect(try await call(client, .post, "/v1/pipelines/b/runs", body: #"{"limit": 0}"#).status == 400)
            #expect(try await call(client, .post, "/v1/pipelines/b/runs", body: #"{"days_back": -1}"#).status == 400)
            #expect(
                try await call(client, .post, "/v1/pipelines/b/runs", body: #"{"days_back": 2, "since": "2026-01-01"}"#)
                    .status == 400)
            #expect(try await call(client, .post, "/v1/pipelines/b/runs", body: "not json").status == 400)
            #expect(try await call(client, .post, "/v1/pipelines/b/runs", body: #"{"site": "nowhere"}"#).status == 404)
            fixture.backend.release()
            // a's site queue is free again: b runs, reading from three days ago.
            fixture.backend.holdRuns = false
            #expect(try await call(client, .post, "/v1/pipelines/b/runs", body: #"{"days_back": 3}"#).status == 202)
            let b = PipelineID(pipeline: "b")
            let expected = String(
                ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3 * 86_400)).prefix(10))
            #expect(fixture.backend.waitForRequest { $0.key == b }?.options.since == expected)
        }
    }

    @Test func aTriggerCanNameSingleRecordsToSyncNow() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            for bad in [
                #"{"record_id": ""}"#, #"{"record_id": 1.5}"#, #"{"record_ids": []}"#, #"{"record_ids": [true]}"#,
                #"{"record_id": 7, "full": true}"#, #"{"record_id": 7, "since": "2026-01-01"}"#,
            ] {
                let refused = try await call(client, .post, "/v1/pipelines/a/runs", body: bad)
                #expect(refused.status == 400, "\(bad)")
            }
            let accepted = try await call(
                client, .post, "/v1/pipelines/a/runs", body: #"{"record_id": 4711, "record_ids": ["RO-9", 12]}"#)
            #expect(accepted.status == 202)
            #expect(fixture.backend.waitForRequest()?.options.recordIDs == ["4711", "RO-9", "12"])
        }
    }

    @Test func runsAndDeadLettersComeFromTheStoreAndCanBeReplayedOrDiscarded() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        let store = fixture.backend.store
        let id = PipelineID(pipeline: "a")
        let run = try store.beginRun(id)
        let letters = (1...2).map {
            DeadLetter(
                pipeline: id, stream: "s", stage: "destination", error: "bad \($0)", record: #"{"id": \#($0)}"#,
                createdAt: 1_780_000_000)
        }
        try store.commit(
            BatchCommit(
                run: run, pipeline: id, stream: "s", checkpoint: nil,
                counts: BatchCounts(read: 5, written: 3, rejected: 2),
                deadLetters: letters))
        try store.finishRun(run, outcome: RunOutcome(status: .deadLettered, message: "read 5"))
        try await fixture.app.test(.router) { client in
            let runs = try #require(
                try await call(client, .get, "/v1/runs?pipeline=a").json["runs"] as? [[String: Any]])
            #expect(runs.count == 1)
            #expect(runs.first?["status"] as? String == "dead_lettered")
            #expect(runs.first?["read"] as? Int == 5 && runs.first?["dead_letters"] as? Int == 2)
            let listed = try #require(
                try await call(client, .get, "/v1/dead-letters?pipeline=a").json["dead_letters"] as? [[String: Any]])
            #expect(listed.map { $0["error"] as? String } == ["bad 1", "bad 2"])
            let ids = listed.compactMap { $0["id"] as? Int }
            let replay = try await call(
                client, .post, "/v1/dead-letters/replay", body: #"{"pipeline": "a", "ids": [\#(ids[0])]}"#)
            #expect(replay.status == 202)
            #expect(fixture.scheduler.waitForEvent { $0.finishedKey == id } != nil)
            #expect(fixture.backend.requests.first?.trigger == .replay([Int64(ids[0])]))
            #expect(try await call(client, .post, "/v1/dead-letters/replay", body: "{}").status == 400)
            let discard = try await call(client, .post, "/v1/dead-letters/discard", body: #"{"ids": [\#(ids[1])]}"#)
            #expect(discard.json["discarded"] as? Int == 1)
            let left = try #require(
                try await call(client, .get, "/v1/dead-letters").json["dead_letters"] as? [[String: Any]])
            #expect(left.compactMap { $0["id"] as? Int } == [ids[0]])
            #expect(try await call(client, .post, "/v1/dead-letters/discard", body: "{}").status == 400)
        }
    }

    @Test func aRunsLogIsServedWhileKept() async throws {
        let fixture = try APIFixture()
        fixture.backend.logs = [
            7: ["2026-06-01T00:00:00Z info Run started.", "2026-06-01T00:00:01Z info Run finished."]
        ]
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            let kept = try await call(client, .get, "/v1/runs/7/log")
            #expect(
                kept.status == 200 && (kept.json["lines"] as? [String])?.count == 2 && kept.json["run"] as? Int == 7)
            let gone = try await call(client, .get, "/v1/runs/8/log")
            #expect(gone.status == 404 && (gone.json["error"] as? String)?.contains("latest 500 runs") == true)
            #expect(try await call(client, .get, "/v1/runs/x/log").status == 400)
        }
    }

    @Test func reloadAnswersWhetherTheConfigurationWasTaken() async throws {
        let fixture = try APIFixture()
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            let answer = try await call(client, .post, "/v1/reload")
            #expect(answer.status == 200 && answer.json["reloaded"] as? Bool == true)
        }
    }

    @Test func readinessFailsOnceStopping() async throws {
        let fixture = try APIFixture()
        fixture.scheduler.stop()
        try await fixture.app.test(.router) { client in
            let ready = try await call(client, .get, "/readyz")
            let health = try await call(client, .get, "/healthz")
            #expect(ready.status == 503 && health.status == 200)
        }
    }

    @Test func metricsAreScrapedInPrometheusTextFormat() async throws {
        let fixture = try APIFixture()
        fixture.backend.budgets = [
            BudgetState(name: "vcom", perMinute: 90, perDay: 10_000, minuteRemaining: 42, dayRemaining: 9_000)
        ]
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            _ = try await call(client, .get, "/v1/pipelines", token: nil)
            #expect(try await call(client, .post, "/v1/pipelines/a/runs").status == 202)
            #expect(fixture.scheduler.waitForEvent { $0.finishedKey == PipelineID(pipeline: "a") } != nil)
            let scrape = try await call(client, .get, "/metrics")
            #expect(scrape.status == 200)
            let samples = try PrometheusText.parse(scrape.text)
            #expect(samples[#"ferry_records_read_total{site="",pipeline="a"}"#] == 3)
            #expect(samples[#"ferry_records_written_total{site="",pipeline="a"}"#] == 2)
            #expect(samples[#"ferry_records_dead_total{site="",pipeline="a"}"#] == 1)
            #expect(samples[#"ferry_runs_total{site="",pipeline="a",status="succeeded"}"#] == 1)
            #expect(samples[#"ferry_run_duration_seconds_count{site="",pipeline="a"}"#] == 1)
            #expect(samples[#"ferry_run_duration_seconds_sum{site="",pipeline="a"}"#] == 0.5)
            #expect(
                samples[#"ferry_last_success_timestamp_seconds{site="",pipeline="a"}"#] == start.timeIntervalSince1970)
            #expect(samples[#"ferry_http_requests_total{status="401"}"#] == 1)
            #expect(samples[#"ferry_http_requests_total{status="202"}"#] == 1)
            #expect(samples[#"ferry_rate_budget_remaining{budget="vcom",window="minute"}"#] == 42)
            #expect(samples[#"ferry_rate_budget_remaining{budget="vcom",window="day"}"#] == 9000)
        }
    }

    @Test func theOpenAPIDocumentDescribesEveryRouteAndNothingElse() async throws {
        let fixture = try APIFixture()
        fixture.backend.holdRuns = false
        defer { fixture.scheduler.stop() }
        try await fixture.app.test(.router) { client in
            let served = try await call(client, .get, "/openapi.yaml")
            #expect(served.status == 200)
            let document = try #require(try Yams.load(yaml: served.text) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let documented = Set(
                paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
            let routed = Set(ServeAPI.routes.map { "\($0.method) \($0.path)" })
            #expect(documented == routed)
            // Every documented operation is really served (not 404) and lists the statuses it answers.
            for (method, path) in APIFixture.concreteRoutes {
                let answer = try await call(client, method, path, body: method == .post ? "{}" : nil)
                // A 404 must be the handler's own answer (a run with no log kept), not an unknown route.
                #expect(answer.status != 404 || answer.json["error"] != nil, "\(method) \(path)")
                let template = ServeAPI.routes.first { APIFixture.concrete($0.path) == path }!.path
                let responses =
                    (paths[template]?[method.rawValue.lowercased()] as? [String: Any])?["responses"] as? [String: Any]
                    ?? [:]
                #expect(
                    responses["\(answer.status)"] != nil,
                    "\(method) \(path) answered \(answer.status), which the document does not list")
            }
        }
    }
}

/// A strict reader of Prometheus's text format: every line is a comment or a sample.
enum PrometheusText {
    struct Malformed: Error { var line: String }

    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.isEmpty {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
            guard let match = line.wholeMatch(of: #/([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (\S+)/#),
                let value = Double(match.3)
            else {
                throw Malformed(line: String(line))
            }
            samples[String(match.1)] = value
        }
        return samples
    }
}
