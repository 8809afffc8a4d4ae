import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Testing

@testable import FerryEngine

/// The third way to pass a cursor: inside the JSON body of a POST search.
@Suite struct RESTBodyCursorTests {
    @Test func thePostBodyCarriesTheCursorAcrossRuns() throws {
        let server = try LoopbackServer { request in
            guard request.method == "POST", request.path == "/search",
                request.header("content-type") == "application/json",
                case .object(let body)? = try? JSONParser().parse(request.body),
                let after = body["filter"]?["updated_after"]?.stringValue
            else {
                return .response(status: 400)
            }
            let page = Int(request.query["page"] ?? "1")!
            let ids = (1...RESTConnectorTests.total).filter { "2025-01-01T00:00:\($0 < 10 ? "0" : "")\($0)Z" > after }
            let items = ids.dropFirst((page - 1) * 10).prefix(10).map(RESTConnectorTests.record)
            return .json(#"{"results":[\#(items.joined(separator: ","))]}"#)
        }
        let sandbox = try Sandbox()
        let config = try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "\(server.url)" }
                config:
                  streams:
                    - name: search
                      path: search
                      method: POST
                      body: { filter: { updated_after: "{cursor}" }, sort: updated }
                      cursor_field: updated
                      cursor_default: "1970-01-01T00:00:00Z"
                      records_path: results
                      primary_key: id
                      pagination: { type: page, page_size: 10 }
              out: { plugin: file, config: { path: out.jsonl } }
            pipelines:
              search: { source: { connection: api, stream: search }, destination: { connection: out } }
            """)
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        func run() throws -> RunReport {
            try PipelineRunner(
                plan: try workspace.plan(try workspace.pipelines(named: ["search"])[0]), store: workspace.store,
                logger: workspace.logger
            ).run()
        }
        #expect(try run().counts.read == RESTConnectorTests.total)
        #expect(try JSONParser().parse(server.requests[0].body)["filter"]?["updated_after"] == "1970-01-01T00:00:00Z")
        #expect(try run().counts.read == 0)
        let last = try JSONParser().parse(try #require(server.requests.last).body)
        #expect(last["filter"]?["updated_after"] == "2025-01-01T00:00:23Z")
        #expect(last["sort"] == "updated")
    }
}
