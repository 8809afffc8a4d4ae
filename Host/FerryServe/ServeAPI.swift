import FerryCore
import FerryEngine
import FerrySchedule
import FerryTime
import Foundation
import Hummingbird

/// The HTTP API of `ferry serve` (described in `OpenAPIDocument`, served at `/openapi.yaml`).
///
/// Every request but `GET /healthz` needs `Authorization: Bearer <FERRY_API_TOKEN>`;
/// with no token set, the API refuses them all and says why. Bodies are JSON.
public struct ServeAPI: Sendable {
    /// Every route, as `OpenAPIDocument` documents it (a test holds the two together).
    public static let routes: [(method: String, path: String)] = [
        ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.yaml"),
        ("GET", "/v1/pipelines"), ("POST", "/v1/pipelines/{pipeline}/runs"), ("GET", "/v1/runs"),
        ("GET", "/v1/runs/{run}/log"),
        ("GET", "/v1/dead-letters"), ("POST", "/v1/dead-letters/replay"), ("POST", "/v1/dead-letters/discard"),
        ("GET", "/v1/workers"), ("POST", "/v1/reload"), ("GET", "/dashboard"), ("POST", "/dashboard/replay"),
        ("POST", "/dashboard/discard"),
    ]

    let scheduler: ServeScheduler
    let metrics: ServeMetrics
    let token: String?

    /// Creates the API.
    /// - Parameters:
    ///   - scheduler: the running scheduler.
    ///   - metrics: the metrics `/metrics` renders.
    ///   - token: the bearer token requests must carry; nil or empty refuses every request but `/healthz`.
    public init(scheduler: ServeScheduler, metrics: ServeMetrics, token: String?) {
        self.scheduler = scheduler
        self.metrics = metrics
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The router, with authentication and request counting.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: CountingMiddleware(metrics: metrics))
        router.add(middleware: BearerMiddleware(token: token))
        router.get("/healthz") { _, _ in json(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            scheduler.isAcceptingRuns
                ? json(["ready": true, "pipelines": scheduler.pipelines.count, "config": scheduler.current.configFile])
                : json(["ready": false, "reason": "ferry serve is stopping"], status: .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            metrics.observe(scheduler.current.rateBudgets())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        router.get("/v1/pipelines") { _, _ in pipelines() }
        router.post("/v1/pipelines/{pipeline}/runs") { request, context in
            let body = try await body(of: request)
            return try trigger(pipeline: try context.parameters.require("pipeline"), body: body)
        }
        router.get("/v1/runs") { request, _ in try runs(request.uri.queryParameters) }
        router.get("/v1/runs/{run}/log") { _, context in
            let run = try context.parameters.require("run", as: Int64.self)
            guard let lines = scheduler.current.runLog(run) else {
                throw APIError(
                    .notFound,
                    "no log kept for run \(run): logs are kept in the state store for the latest \(RunLog.keptRuns) runs"
                )
            }
            return json(["run": run, "lines": lines])
        }
        router.get("/v1/dead-letters") { request, _ in try deadLetters(request.uri.queryParameters) }
        router.post("/v1/dead-letters/replay") { request, _ in try replay(body: try await body(of: request)) }
        router.post("/v1/dead-letters/discard") { request, _ in try discard(body: try await body(of: request)) }
        router.get("/v1/workers") { _, _ in try workers() }
        router.post("/v1/reload") { _, _ in
            if let reason = scheduler.reload() {
                return json(["reloaded": false, "error": reason], status: .unprocessableContent)
            }
            return json(["reloaded": true, "pipelines": scheduler.pipelines.count])
        }
        router.get("/dashboard") { _, _ in dashboard() }
        router.post("/dashboard/replay") { request, _ in
            let form = try await self.form(of: request)
            guard let pipeline = form["pipeline"] else { throw APIError(.badRequest, "the form names no pipeline") }
            _ = scheduler.trigger(
                RunRequest(key: PipelineID(site: form["site"] ?? "", pipeline: pipeline), trigger: .replay([])))
            return Response(status: .seeOther, headers: [.location: "/dashboard"])
        }
        router.post("/dashboard/discard") { request, _ in
            let form = try await self.form(of: request)
            guard let id = form["id"].flatMap(Int64.init) else {
                throw APIError(.badRequest, "the form names no dead letter")
            }
            _ = try scheduler.current.discardDeadLetters(site: form["site"] ?? "", ids: [id])
            return Response(status: .seeOther, headers: [.location: "/dashboard"])
        }
        return router
    }

    // MARK: Handlers

    private func dashboard() -> Response {
        let backend = scheduler.current
        let states = scheduler.pipelines
        var lastRuns: [PipelineID: RunRecord] = [:]
        for state in states {
            if let run = try? backend.recentRuns(of: state.key, site: state.key.site, limit: 1).first {
                lastRuns[state.key] = run
            }
        }
        let sites = Set(states.map(\.key.site))
        let model = Dashboard.Model(
            pipelines: states, lastRuns: lastRuns,
            runs: (try? backend.recentRuns(of: nil, site: nil, limit: 2000)) ?? [],
            deadLetters: sites.sorted().flatMap {
                (try? backend.deadLetters(site: $0, pipeline: nil, includeReplayed: false, limit: 1000)) ?? []
            },
            budgets: backend.rateBudgets(), fleet: try? backend.workerFleet(), configFile: backend.configFile,
            now: Date())
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: Dashboard.render(model))))
    }

    /// A dashboard form's fields, refused when the browser says another site sent it.
    private func form(of request: Request) async throws -> [String: String] {
        if let site = request.headers[HTTPFields.secFetchSite], site != "same-origin", site != "none" {
            throw APIError(.forbidden, "a dashboard form must come from the dashboard itself")
        }
        if let origin = request.headers[.origin], let host = request.head.authority, origin != "http://\(host)",
            origin != "https://\(host)"
        {
            throw APIError(.forbidden, "a dashboard form must come from the dashboard itself")
        }
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        // application/x-www-form-urlencoded, read by hand: any bytes a client sends are only text here.
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    /// The `serve --worker` fleet sharing this state; empty lists when there is none.
    private func workers() throws -> Response {
        let fleet = try scheduler.current.workerFleet()
        return json(fleet?.json ?? ["workers": [Any](), "units_waiting": 0, "max_lag_seconds": 0, "units": [Any]()])
    }

    private func pipelines() -> Response {
        let backend = scheduler.current
        let items: [[String: Any]] = scheduler.pipelines.map { state in
            var item: [String: Any] = [
                "site": state.key.site, "pipeline": state.key.pipeline, "running": state.running,
                "schedule": state.schedule ?? NSNull(), "next_run": state.nextRun.map(iso) ?? NSNull(),
                "full_schedule": state.fullSchedule ?? NSNull(),
                "next_full_run": state.nextFullRun.map(iso) ?? NSNull(),
            ]
            item["last_result"] =
                state.lastResult.map { ["status": $0.status, "message": $0.message ?? NSNull()] as [String: Any] }
                ?? NSNull()
            if let last = try? backend.recentRuns(of: state.key, site: state.key.site, limit: 1).first {
                item["last_run"] = runJSON(last)
            } else {
                item["last_run"] = NSNull()
            }
            return item
        }
        return json(["pipelines": items])
    }

    private func trigger(pipeline: String, body: [String: Any]) throws -> Response {
        let allowed: Set = [
            "site", "full", "since", "until", "limit", "days_back", "record_id", "record_ids", "filters",
        ]
        if let unknown = body.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw APIError(
                .badRequest, "unknown key '\(unknown)'; a run takes \(allowed.sorted().joined(separator: ", "))")
        }
        var options = RunOptions()
        options.fullRefresh = try field(body, "full", as: Bool.self) ?? false
        options.since = try field(body, "since", as: String.self)
        options.until = try field(body, "until", as: String.self)
        options.limit = try field(body, "limit", as: Int.self)
        if let days = try field(body, "days_back", as: Int.self) {
            // The seed scripts' `days_back`: read from midnight UTC that many days ago, as --since would.
            guard days >= 0, days <= 36_500, options.since == nil else {
                throw APIError(
                    .badRequest, "days_back must be a whole number of days from 0 to 36500, and not given with since")
            }
            let day = Date().addingTimeInterval(-Double(days) * 86_400)
            options.since = String(iso(day).prefix(10))
        }
        for (name, value) in [("since", options.since), ("until", options.until)] {
            if let value, !Self.isDate(value) {
                throw APIError(
                    .badRequest, "\(name) must be a date (2025-01-31) or an ISO 8601 date-time, got '\(value)'")
            }
        }
        if let limit = options.limit, limit <= 0 {
            throw APIError(.badRequest, "limit must be a positive number of records")
        }
        options.recordIDs = try recordIDs(body)
        if !options.recordIDs.isEmpty, options.fullRefresh || options.since != nil || options.until != nil {
            throw APIError(
                .badRequest, "record_id reads only that record: it cannot be combined with full, since or until")
        }
        options.filters = try filters(body)
        let keys = try keys(pipeline: pipeline, site: try field(body, "site", as: String.self))
        var accepted: [[String: String]] = []
        var busy: [[String: String]] = []
        for key in keys {
            let entry = ["site": key.site, "pipeline": key.pipeline]
            switch scheduler.trigger(RunRequest(key: key, options: options, trigger: .api)) {
            case .start: accepted.append(entry)
            case .busy: busy.append(entry)
            case .unknown: break
            }
        }
        return json(["accepted": accepted, "busy": busy], status: accepted.isEmpty ? .conflict : .accepted)
    }

    private func runs(_ query: Parameters) throws -> Response {
        let limit = min(Int(query.get("limit") ?? "") ?? 50, 1000)
        let site = query.get("site")
        let key = query.get("pipeline").map { PipelineID(site: site ?? "", pipeline: $0) }
        return json(["runs": try scheduler.current.recentRuns(of: key, site: site, limit: limit).map(runJSON)])
    }

    private func deadLetters(_ query: Parameters) throws -> Response {
        let site = query.get("site") ?? ""
        let letters = try scheduler.current.deadLetters(
            site: site, pipeline: query.get("pipeline"),
            includeReplayed: query.get("all") == "true",
            limit: min(Int(query.get("limit") ?? "") ?? 100, 10_000))
        return json([
            "dead_letters": letters.map { letter -> [String: Any] in
                [
                    "id": letter.id, "site": letter.pipeline.site, "pipeline": letter.pipeline.pipeline,
                    "stream": letter.stream,
                    "stage": letter.stage, "error": letter.error, "record": letter.record,
                    "created": iso(Date(timeIntervalSince1970: letter.createdAt)),
                    "replayed": letter.replayedAt.map { iso(Date(timeIntervalSince1970: $0)) } ?? NSNull(),
                ]
            }
        ])
    }

    private func replay(body: [String: Any]) throws -> Response {
        guard let pipeline = try field(body, "pipeline", as: String.self) else {
            throw APIError(.badRequest, "name the pipeline whose dead letters to replay: {\"pipeline\": \"…\"}")
        }
        let ids = try field(body, "ids", as: [Int64].self) ?? []
        let keys = try keys(pipeline: pipeline, site: try field(body, "site", as: String.self))
        var accepted: [[String: String]] = []
        var busy: [[String: String]] = []
        for key in keys {
            let entry = ["site": key.site, "pipeline": key.pipeline]
            if scheduler.trigger(RunRequest(key: key, trigger: .replay(ids))) == .start {
                accepted.append(entry)
            } else {
                busy.append(entry)
            }
        }
        return json(["accepted": accepted, "busy": busy], status: accepted.isEmpty ? .conflict : .accepted)
    }

    private func discard(body: [String: Any]) throws -> Response {
        guard let ids = try field(body, "ids", as: [Int64].self), !ids.isEmpty else {
            throw APIError(.badRequest, "name the dead letters to discard: {\"ids\": [1, 2]}")
        }
        let site = try field(body, "site", as: String.self) ?? ""
        return json(["discarded": try scheduler.current.discardDeadLetters(site: site, ids: ids)])
    }

    // MARK: Helpers

    /// The served (site, pipeline) pairs a request names: one site, or every site that runs the pipeline.
    private func keys(pipeline: String, site: String?) throws -> [PipelineID] {
        let known = scheduler.pipelines.map(\.key).filter {
            $0.pipeline == pipeline && (site == nil || $0.site == site)
        }
        guard !known.isEmpty else {
            throw APIError(.notFound, "no pipeline '\(pipeline)'\(site.map { " in site '\($0)'" } ?? "") is served")
        }
        return known
    }

    private func body(of request: Request) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        guard buffer.readableBytes > 0 else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        else {
            throw APIError(.badRequest, "the body must be a JSON object")
        }
        return object
    }

    /// `record_id` (one, text or number) or `record_ids` (a list): "sync this repair order now".
    private func recordIDs(_ body: [String: Any]) throws -> [String] {
        func text(_ value: Any, _ name: String) throws -> String {
            if let string = value as? String, !string.isEmpty, string.count <= 200 { return string }
            // JSON numbers arrive as NSNumber, booleans too ("c"): only whole numbers are keys.
            if let number = value as? NSNumber, String(cString: number.objCType) != "c",
                let whole = Int64(exactly: number.doubleValue)
            {
                return String(whole)
            }
            throw APIError(.badRequest, "'\(name)' must hold record keys as text or whole numbers")
        }
        var ids: [String] = []
        if let one = body["record_id"], !(one is NSNull) { ids.append(try text(one, "record_id")) }
        if let many = body["record_ids"], !(many is NSNull) {
            guard let list = many as? [Any], !list.isEmpty, list.count <= 1000 else {
                throw APIError(.badRequest, "'record_ids' must be a list of 1 to 1000 record keys")
            }
            ids += try list.map { try text($0, "record_ids") }
        }
        return ids
    }

    /// `filters`: `{"Nummer": "11400-BE"}`, as the seed's `run_sync --filters`; values text,
    /// whole numbers or booleans (compared as JSON writes them).
    private func filters(_ body: [String: Any]) throws -> [RecordFilter] {
        guard let value = body["filters"], !(value is NSNull) else { return [] }
        guard let object = value as? [String: Any], !object.isEmpty, object.count <= 100 else {
            throw APIError(
                .badRequest, "'filters' must be an object of 1 to 100 fields, e.g. {\"Nummer\": \"11400-BE\"}")
        }
        return try object.keys.sorted().map { field in
            guard !field.isEmpty else { throw APIError(.badRequest, "'filters' names an empty field") }
            switch object[field] {
            case let text as String: return RecordFilter(field: field, value: text)
            case let number as NSNumber where String(cString: number.objCType) == "c":
                return RecordFilter(field: field, value: number.boolValue ? "true" : "false")
            case let number as NSNumber:
                if let whole = Int64(exactly: number.doubleValue) {
                    return RecordFilter(field: field, value: String(whole))
                }
                return RecordFilter(field: field, value: "\(number.doubleValue)")
            default:
                throw APIError(.badRequest, "filter '\(field)' must be text, a number or a boolean")
            }
        }
    }

    private func field<T>(_ body: [String: Any], _ name: String, as type: T.Type) throws -> T? {
        guard let value = body[name], !(value is NSNull) else { return nil }
        guard let typed = value as? T else { throw APIError(.badRequest, "'\(name)' has the wrong type") }
        return typed
    }

    static func isDate(_ text: String) -> Bool {
        let date = #/^\d{4}-\d{2}-\d{2}$/#
        let dateTime = #/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/#
        return text.wholeMatch(of: date) != nil || text.wholeMatch(of: dateTime) != nil
    }
}

private func runJSON(_ run: RunRecord) -> [String: Any] {
    [
        "id": run.id, "site": run.pipeline.site, "pipeline": run.pipeline.pipeline, "status": run.status.rawValue,
        "started": iso(Date(timeIntervalSince1970: run.startedAt)),
        "finished": run.finishedAt.map { iso(Date(timeIntervalSince1970: $0)) } ?? NSNull(),
        "message": run.message ?? NSNull(),
        "read": run.counts.read, "written": run.counts.written, "created": run.counts.created,
        "unchanged": run.counts.unchanged,
        "deleted": run.counts.deleted, "dead_letters": run.counts.rejected,
    ]
}

func iso(_ date: Date) -> String {
    UTCTimestamp.string(secondsSince1970: date.timeIntervalSince1970)
}

/// A JSON response.
func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
    let data =
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        ?? Data("{}".utf8)
    return Response(
        status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

extension HTTPFields {
    /// `Sec-Fetch-Site`: which site a browser request comes from.
    static let secFetchSite = HTTPFields.Element.Name("Sec-Fetch-Site")!
}

/// An error the API answers with its status and a one-line reason.
struct APIError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    var headers: HTTPFields { [:] }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        json(["error": message], status: status)
    }
}
