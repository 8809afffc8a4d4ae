import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Synchronization
import Testing

@testable import FerryEngine

/// The `rest` connector end to end: a loopback simulator, the real plugin
/// library, the host's HTTP service, the runner and the file destination.
@Suite struct RESTConnectorTests {
    static let total = 23

    static func record(_ id: Int) -> String {
        #"{"id":\#(id),"updated":"2025-01-01T00:00:\#(id < 10 ? "0" : "")\#(id)Z"}"#
    }

    /// Serves records 1…23 in every pagination style; `fault` may answer first.
    static func simulator(fault: @escaping @Sendable (LoopbackServer.Request) -> LoopbackServer.Reply? = { _ in nil })
        throws -> LoopbackServer
    {
        try LoopbackServer { request in
            if let reply = fault(request) { return reply }
            let q = request.query
            let since =
                q["since"] ?? q["$filter"].flatMap { $0.split(separator: "\"").dropFirst().first.map(String.init) }
                ?? ""
            let ids = (1...total).filter { "2025-01-01T00:00:\($0 < 10 ? "0" : "")\($0)Z" > since }
            func slice(_ offset: Int, _ size: Int) -> [Int] { Array(ids.dropFirst(offset).prefix(size)) }
            func list(_ items: [Int]) -> String { "[" + items.map(record).joined(separator: ",") + "]" }
            switch request.path {
            case "/page":
                let page = Int(q["page"]!)!, size = Int(q["per_page"]!)!
                return .json(#"{"data":\#(list(slice((page - 1) * size, size)))}"#)
            case "/offset":
                return .json(#"{"items":\#(list(slice(Int(q["offset"]!)!, Int(q["limit"]!)!)))}"#)
            case "/cursor":
                let start = Int(q["cursor"] ?? "0")!
                let items = slice(start, 7)
                let next = start + 7 < ids.count ? "\"\(start + 7)\"" : "null"
                return .json(#"{"data":\#(list(items)),"meta":{"next":\#(next)}}"#)
            case "/link":
                let page = Int(q["p"] ?? "0")!
                let link =
                    (page + 1) * 10 < ids.count
                    ? [("Link", "<\(request.path)?p=\(page + 1)>; rel=\"next\", </link?p=0>; rel=\"first\"")] : []
                return .json(list(slice(page * 10, 10)), headers: link)
            case "/Items":
                let items = slice(Int(q["$skip"]!)!, Int(q["$top"]!)!)
                return .json(#"{"__COUNT":\#(ids.count),"__SENT":\#(items.count),"__ENTITIES":\#(list(items))}"#)
            default:
                return .response(status: 404)
            }
        }
    }

    static let streams: [(name: String, yaml: String)] = [
        (
            "page",
            "{ name: page, path: page, records_path: data, primary_key: id, cursor_field: updated, cursor_param: since, pagination: { type: page, size_param: per_page, page_size: 5 } }"
        ),
        (
            "offset",
            "{ name: offset, path: offset, records_path: items, primary_key: id, pagination: { type: offset, page_size: 5 } }"
        ),
        (
            "cursor",
            "{ name: cursor, path: cursor, records_path: data, primary_key: id, pagination: { type: cursor, next_path: meta.next } }"
        ),
        ("link", "{ name: link, path: /link, primary_key: id, pagination: { type: link } }"),
        (
            "fourd",
            #"{ name: fourd, path: Items, primary_key: id, cursor_field: updated, cursor_filter: 'updated > "{cursor}"', pagination: { type: 4d, page_size: 5 } }"#
        ),
    ]

    static func config(_ server: LoopbackServer, attempts: Int = 4) -> String {
        var yaml = """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "\(server.url)", max_attempts: \(attempts), timeout_seconds: 5 }
                config:
                  streams:

            """
        for stream in streams { yaml += "          - \(stream.yaml)\n" }
        for stream in streams {
            yaml +=
                "  out_\(stream.name): { plugin: file, config: { path: out-\(stream.name).jsonl, stream: \(stream.name) } }\n"
        }
        yaml += "pipelines:\n"
        for stream in streams {
            yaml +=
                "  \(stream.name): { source: { connection: api, stream: \(stream.name) }, destination: { connection: out_\(stream.name) } }\n"
        }
        return yaml
    }

    func run(_ workspace: Workspace, _ name: String) throws -> RunReport {
        let plan = try workspace.plan(try workspace.pipelines(named: [name])[0])
        return try PipelineRunner(plan: plan, store: workspace.store, logger: workspace.logger).run()
    }

    func ids(_ sandbox: Sandbox, _ stream: String) throws -> [Int] {
        let text = (try? sandbox.read("out-\(stream).jsonl")) ?? ""
        return text.split(separator: "\n").compactMap { line in
            (try? JSONParser().parse(String(line)))?["id"]?.intValue.map(Int.init)
        }
    }

    @Test func everyPaginationStyleReadsEveryRecordOnce() throws {
        let server = try Self.simulator()
        let sandbox = try Sandbox()
        let workspace = try Workspace(
            configPath: try sandbox.write("ferry.yaml", Self.config(server)), site: nil, logLevel: .error)
        for stream in Self.streams {
            let report = try run(workspace, stream.name)
            #expect(report.counts.read == Self.total, "\(stream.name)")
            #expect(try ids(sandbox, stream.name) == Array(1...Self.total), "\(stream.name)")
        }
        // Incremental: a second run asks only for what is newer than the checkpoint.
        _ = try run(workspace, "page")
        _ = try run(workspace, "fourd")
        #expect(try ids(sandbox, "page").count == Self.total)
        #expect(server.requests.last { $0.path == "/page" }?.query["since"] == "2025-01-01T00:00:23Z")
        #expect(server.requests.last { $0.path == "/Items" }?.query["$filter"] == #"updated > "2025-01-01T00:00:23Z""#)
    }

    @Test func a429StormA5xxBurstAndACutBodyLoadEveryRecordOnce() throws {
        let hits = Mutex<[String: Int]>([:])
        let server = try Self.simulator { request in
            let count = hits.withLock {
                $0[request.target, default: 0] += 1; return $0[request.target]!
            }
            switch (request.query["page"], count) {
            case ("2", 1), ("2", 2):
                return .response(status: 429, headers: [("Retry-After", "0"), ("X-RateLimit-Remaining-Minute", "0")])
            case ("3", 1), ("3", 2), ("3", 3): return .response(status: 503)
            case ("4", 1): return .truncated(status: 200, body: Array(#"{"data":[{"id":16"#.utf8), declaredLength: 900)
            default: return nil
            }
        }
        let sandbox = try Sandbox()
        let workspace = try Workspace(
            configPath: try sandbox.write("ferry.yaml", Self.config(server, attempts: 4)), site: nil, logLevel: .error)
        let report = try run(workspace, "page")
        #expect(report.counts.read == Self.total)
        #expect(try ids(sandbox, "page") == Array(1...Self.total))
    }

    @Test func aMalformedBodyFailsClearlyAndTheCursorStaysAtTheLastGoodPage() throws {
        let broken = Mutex(true)
        let server = try Self.simulator { request in
            request.query["page"] == "3" && broken.withLock({ $0 }) ? .json(#"{"data":[{"id":11},"#) : nil
        }
        let sandbox = try Sandbox()
        let workspace = try Workspace(
            configPath: try sandbox.write("ferry.yaml", Self.config(server)), site: nil, logLevel: .error)
        let failure = try #require(throws: PipelineFailure.self) { try run(workspace, "page") }
        #expect("\(failure)".contains("is not valid JSON"))
        #expect(try ids(sandbox, "page") == Array(1...10))
        let checkpoint = try workspace.store.checkpoint(for: PipelineID(site: "", pipeline: "page"), stream: "page")
        #expect(checkpoint?.contains("2025-01-01T00:00:10Z") == true)
        broken.withLock { $0 = false }
        _ = try run(workspace, "page")
        #expect(try ids(sandbox, "page") == Array(1...Self.total))
    }
}
