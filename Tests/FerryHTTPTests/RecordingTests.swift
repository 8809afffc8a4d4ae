import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Testing

@testable import FerryEngine

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
        let config = try sandbox.write(
            "ferry.yaml",
            """
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
        let outcome = try sandbox.ferry(
            ["run", "--config", config, "--record", "traffic"], environment: ["API_TOKEN": token])
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

extension RecordingTests {
    /// A rest source behind an OAuth 2 refresh-token grant (`FIRST_REFRESH`) into a file.
    static func oauthConfig(endpoint: String) -> String {
        """
        state: state.db
        connections:
          api:
            plugin: rest
            http:
              endpoint: "\(endpoint)"
              auth: { type: oauth2, grant: refresh_token, token_url: /token, client_id: app, refresh_token: "${FIRST_REFRESH}" }
            config:
              streams:
                - { name: items, path: items, records_path: data, primary_key: id }
          out: { plugin: file, config: { path: out.jsonl } }
        pipelines:
          items: { source: { connection: api, stream: items }, destination: { connection: out } }
        """
    }

    @Test func tokenExchangesAreSavedWithTheirTokensMasked() throws {
        let access = "at-Fresh-Access-5521", rotated = "rt-Rotated-Refresh-7730", first = "rt-First-Refresh-1184"
        let server = try LoopbackServer { request in
            if request.path == "/token" {
                return .json(
                    #"{"access_token":"\#(access)","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(rotated)"}"#
                )
            }
            guard request.header("authorization") == "Bearer \(access)" else { return .response(status: 401) }
            return .json(#"{"data":[{"id":1}]}"#)
        }
        let sandbox = try Sandbox()
        let config = try sandbox.write("ferry.yaml", Self.oauthConfig(endpoint: server.url))
        let outcome = try sandbox.ferry(
            ["run", "--config", config, "--record", "traffic", "--log-level", "debug"],
            environment: ["FIRST_REFRESH": first])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: sandbox.path("traffic")).sorted()
        let texts = try files.map { try sandbox.read("traffic/\($0)") }
        #expect(texts.contains { $0.contains("/token") }, "the token exchange was recorded: \(files)")
        for (file, text) in zip(files, texts) {
            for secret in [access, rotated, first] {
                #expect(!text.contains(secret), "\(file) holds a token: \(text)")
            }
        }
        let exchange = try #require(texts.first { $0.contains("/token") })
        #expect(exchange.contains(#"\"access_token\":\"***\""#), "\(exchange)")
        #expect(exchange.contains("refresh_token=***"), "\(exchange)")
        for secret in [access, rotated, first] {
            #expect(!outcome.stderr.contains(secret) && !outcome.stdout.contains(secret))
        }
    }
}
