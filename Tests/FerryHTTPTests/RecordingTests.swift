import FerryCore
@testable import FerryEngine
import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `ferry run --record DIR`: every exchange saved as JSON, with no credential in it.
@Suite struct RecordingTests {
    @Test func everyExchangeIsSavedRedacted() throws {
        let token = "tok-Planted-Secret-8841"
        let server = try LoopbackServer { request in
            guard request.header("authorization") == "Bearer \(token)" else {
                return .response(status: 401)
            }
            let page = Int(request.query["page"] ?? "1")!
            return .json(page <= 2 ? #"{"data":[{"id":\#(page),"echo":"\#(token)"}]}"# : #"{"data":[]}"#)
        }
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "\(server.url)", auth: { type: bearer, token: "${API_TOKEN}" } }
                config:
                  streams:
                    - { name: items, path: items, records_path: data, primary_key: id, pagination: { type: page, page_size: 1 } }
              out: { plugin: file, config: { path: out.jsonl } }
            pipelines:
              items: { source: { connection: api, stream: items }, destination: { connection: out } }
            """)
        let outcome = try sandbox.ferry(["run", "--config", config, "--record", "traffic"], environment: ["API_TOKEN": token])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: sandbox.path("traffic")).sorted()
        #expect(files.count == 3, "\(files)")
        for file in files {
            let text = try sandbox.read("traffic/\(file)")
            #expect(!text.contains(token), "\(file) holds the token")
            let json = try JSONParser().parse(text)
            #expect(json["request"]?["method"]?.stringValue == "GET")
            #expect(json["response"]?["status"]?.intValue == 200)
            #expect(json["request"]?["headers"]?.arrayValue?.contains(.string("Authorization: ***")) == true, "\(text)")
        }
        let first = try sandbox.read("traffic/\(files[0])")
        #expect(first.contains(#"\"echo\":\"***\""#), "\(first)")
    }
}
