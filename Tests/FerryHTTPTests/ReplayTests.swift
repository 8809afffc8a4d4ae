import FerryCore
import FerryHTTP
import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `ferry run --replay DIR`: a connection answered from what `--record DIR` saved, offline.
@Suite struct ReplayTests {
    static func config(endpoint: String, status: String = "all") -> String {
        """
        state: state.db
        connections:
          api:
            plugin: rest
            http: { endpoint: "\(endpoint)", auth: { type: api_key, query: apikey, key: "${API_KEY}" }, max_retry_wait_seconds: 5 }
            config:
              streams:
                - { name: items, path: items, records_path: data, primary_key: id, query: { status: \(status) }, pagination: { type: page, page_size: 1 } }
          out: { plugin: file, config: { path: out.jsonl } }
        pipelines:
          items: { source: { connection: api, stream: items }, destination: { connection: out } }
        """
    }

    /// Recorded once against the API (a 429 on the way), replayed in another folder with the
    /// API gone: the same records land, and the key masked in the recording still matches.
    @Test func aReplayWritesWhatTheRecordedRunWrote() throws {
        let key = "key-Planted-Secret-3317"
        let calls = Script([
            .json(#"{"data":[{"id":1,"name":"a"}]}"#), .json("{}", status: 429, headers: [("Retry-After", "0")]),
        ]) {
            request in
            guard request.query["apikey"] == key else { return .response(status: 401) }
            let page = Int(request.query["page"] ?? "1")!
            return .json(page <= 3 ? #"{"data":[{"id":\#(page),"name":"n\#(page)"}]}"# : #"{"data":[]}"#)
        }
        let server = try LoopbackServer { calls.reply(to: $0) }
        let recorded = try Sandbox()
        try recorded.write("ferry.yaml", Self.config(endpoint: server.url))
        let first = try recorded.ferry(["run", "--record", "traffic"], environment: ["API_KEY": key])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        server.stop()

        let replayed = try Sandbox()
        try replayed.write("ferry.yaml", Self.config(endpoint: server.url))
        let replay = try replayed.ferry(
            ["run", "--replay", recorded.path("traffic")], environment: ["API_KEY": key])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(try replayed.read("out.jsonl") == (try recorded.read("out.jsonl")))
        #expect(try replayed.read("out.jsonl").split(separator: "\n").count == 3)
        #expect(!(replay.stdout + replay.stderr).contains(key))
    }

    /// A run that asks what the recording does not hold fails naming the request; nothing is
    /// invented and nothing reaches the network.
    @Test func aRequestTheRecordingNeverSawFailsNamingIt() throws {
        let server = try LoopbackServer { request in
            let page = Int(request.query["page"] ?? "1")!
            return .json(page <= 2 ? #"{"data":[{"id":\#(page)}]}"# : #"{"data":[]}"#)
        }
        let recorded = try Sandbox()
        try recorded.write("ferry.yaml", Self.config(endpoint: server.url))
        #expect(try recorded.ferry(["run", "--record", "traffic"], environment: ["API_KEY": "k"]).status == 0)
        let before = server.requests.count

        let replayed = try Sandbox()
        try replayed.write("ferry.yaml", Self.config(endpoint: server.url, status: "open"))
        let replay = try replayed.ferry(["run", "--replay", recorded.path("traffic")], environment: ["API_KEY": "k"])
        #expect(replay.status == 1, "\(replay.stdout)\(replay.stderr)")
        #expect(
            (replay.stdout + replay.stderr).contains("the recording of connection 'api' has no (more) answer for GET"),
            "\(replay.stdout)\(replay.stderr)")
        #expect(server.requests.count == before)

        let missing = try replayed.ferry(["run", "--replay", replayed.path("nowhere")], environment: ["API_KEY": "k"])
        #expect(missing.status != 0)
        #expect((missing.stdout + missing.stderr).contains("cannot read the recording folder"))
    }

    /// A replayed OAuth exchange carries masked tokens: the masked refresh token is never kept
    /// in place of a real one.
    @Test func aReplayedTokenExchangeKeepsNoMaskedToken() throws {
        let server = try LoopbackServer { request in
            if request.path == "/token" {
                return .json(
                    #"{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-rotated-2"}"#)
            }
            return .json(#"{"data":[{"id":1}]}"#)
        }
        let config = RecordingTests.oauthConfig(endpoint: server.url)
        let recorded = try Sandbox()
        try recorded.write("ferry.yaml", config)
        #expect(try recorded.ferry(["run", "--record", "traffic"], environment: ["FIRST_REFRESH": "rt-1"]).status == 0)

        let replayed = try Sandbox()
        try replayed.write("ferry.yaml", config)
        let replay = try replayed.ferry(
            ["run", "--replay", recorded.path("traffic")], environment: ["FIRST_REFRESH": "rt-1"])
        #expect(replay.status == 0, "\(replay.stdout)\(replay.stderr)")
        #expect(try replayed.sql("state.db", "SELECT value FROM kv WHERE key = 'oauth2.refresh_token'").isEmpty)
    }
}
