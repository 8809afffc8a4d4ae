import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Synchronization
import Testing

@testable import FerryEngine

/// A stream that needs no record whole passes each record on as the bytes the API sent
/// (`PageRecords`): checked as a parse checks it, parsed only for its cursor and key.
@Suite struct RESTPageLinesTests {
    /// Records as an API might write them: a number with a trailing zero, an escaped letter,
    /// spaces, a nested object and array.
    static let records = [
        #"{"id":1,"price":1.50,"name":"Caf\u00e9","tags":["a", "b"],"updated":"2025-01-01T00:00:01Z"}"#,
        #"{"id": 2, "price": 2, "owner": {"name": "Ann"}, "updated": "2025-01-01T00:00:02Z"}"#,
        #"{"id":3,"note":null,"updated":"2025-01-01T00:00:03Z"}"#,
    ]

    /// `page` answers page 1 with `body`, later pages with an empty list.
    static func workspace(body: @escaping @Sendable (Int) -> String) throws -> (Workspace, Sandbox, LoopbackServer) {
        let server = try LoopbackServer { request in
            .json(body(Int(request.query["page"] ?? "1") ?? 1))
        }
        let (workspace, sandbox) = try Self.workspace(serving: server)
        return (workspace, sandbox, server)
    }

    /// A pipeline `items` from the page API `server` (3 records a page) to `destination`, with
    /// `streamOptions` added to the rest stream and `pipelineOptions` to the pipeline.
    static func workspace(
        serving server: LoopbackServer, streamOptions: String = "",
        destination: String = "{ plugin: file, config: { path: out.jsonl, stream: items } }",
        pipelineOptions: String = ""
    ) throws -> (Workspace, Sandbox) {
        let sandbox = try Sandbox()
        let yaml = """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "\(server.url)", max_attempts: 1, timeout_seconds: 5 }
                config:
                  streams:
                    - { name: items, path: items, records_path: data, primary_key: id, cursor_field: updated, cursor_param: since, \(streamOptions)pagination: { type: page, size_param: per_page, page_size: 3 } }
              out: \(destination)
            pipelines:
              items: { source: { connection: api, stream: items }, destination: { connection: out }\(pipelineOptions) }
            """
        let workspace = try Workspace(configPath: try sandbox.write("ferry.yaml", yaml), site: nil, logLevel: .error)
        return (workspace, sandbox)
    }

    func run(_ workspace: Workspace) throws -> RunReport {
        let plan = try workspace.plan(try workspace.pipelines(named: ["items"])[0])
        return try PipelineRunner(plan: plan, store: workspace.store, logger: workspace.logger).run()
    }

    @Test func recordsArriveAsTheAPISentThem() throws {
        let (workspace, sandbox, server) = try Self.workspace { page in
            page == 1 ? #"{"data":[\#(Self.records.joined(separator: ","))], "total": 3}"# : #"{"data":[]}"#
        }
        defer { withExtendedLifetime(server) {} }
        let report = try run(workspace)
        #expect(report.counts.read == 3)
        // Byte for byte: 1.50 is not 1.5, the escape is not decoded, the spaces stay.
        #expect(try sandbox.read("out.jsonl") == Self.records.joined(separator: "\n") + "\n")
        let checkpoint = try workspace.store.checkpoint(for: PipelineID(site: "", pipeline: "items"), stream: "items")
        #expect(checkpoint?.contains("2025-01-01T00:00:03Z") == true, "\(checkpoint ?? "nil")")
    }

    @Test func anIndentedPageIsWrittenOneRecordALine() throws {
        let (workspace, sandbox, server) = try Self.workspace { page in
            guard page == 1 else { return #"{"data":[]}"# }
            return """
                {
                  "data": [
                    {
                      "id": 1,
                      "owner": { "name": "Ann" },
                      "updated": "2025-01-01T00:00:01Z"
                    },
                    { "id": 2, "updated": "2025-01-01T00:00:02Z" }
                  ]
                }
                """
        }
        defer { withExtendedLifetime(server) {} }
        #expect(try run(workspace).counts.read == 2)
        let lines = try sandbox.read("out.jsonl").split(separator: "\n").map { try JSONParser().parse(String($0)) }
        #expect(
            lines == [
                ["id": 1, "owner": ["name": "Ann"], "updated": "2025-01-01T00:00:01Z"],
                [
                    "id": 2, "updated": "2025-01-01T00:00:02Z",
                ],
            ])
    }

    @Test(arguments: [
        (#"{"data":[{"id":1,"updated":"x"}, 7]}"#, "stream 'items': a record is not a JSON object"),
        (#"{"items":[]}"#, "stream 'items': the response has no 'data'"),
        (#"{"data":{"id":1}}"#, "stream 'items': 'data' is not a list"),
        (
            #"{"data":[{"id":1,"updated":"x"},{"id":2,"updated":tru}]}"#,
            "is not valid JSON: invalid literal, expected 'true'"
        ),
        (#"{"data":[{"id":1,"name":"\x"}]}"#, "is not valid JSON: invalid escape sequence"),
    ])
    func aBadPageIsRefusedAndNothingOfItIsWritten(body: String, error: String) throws {
        let (workspace, sandbox, server) = try Self.workspace { _ in body }
        defer { withExtendedLifetime(server) {} }
        let failure = try #require(throws: PipelineFailure.self) { try run(workspace) }
        #expect("\(failure)".contains(error), "\(failure)")
        #expect(((try? sandbox.read("out.jsonl")) ?? "").isEmpty)
    }

    @Test func anAPIThatIgnoresThePageParameterIsCaught() throws {
        let (workspace, sandbox, server) = try Self.workspace { _ in
            #"{"data":[\#(Self.records.joined(separator: ","))]}"#
        }
        defer { withExtendedLifetime(sandbox) {} }
        let failure = try #require(throws: PipelineFailure.self) { try run(workspace) }
        #expect("\(failure)".contains("returned the same 3 records as the page before"), "\(failure)")
        #expect(server.requests.count == 2)
    }
}
