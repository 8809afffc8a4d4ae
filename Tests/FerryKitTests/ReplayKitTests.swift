import FerryTesting
import Foundation
import Testing

/// `ferry plugins test --replay DIR`: the conformance checks and the crash kit on traffic
/// `ferry run --record DIR` saved from the real API, with the API gone.
@Suite struct ReplayKitTests {
    static let key = "kit-Replay-Secret-8841"

    /// The rest connector's config for an API paging by `page`, three records a page.
    static let restConfig =
        #"{"streams": [{"name": "items", "path": "items", "records_path": "data", "primary_key": "id", "pagination": {"type": "page", "page_size": 3}}]}"#

    /// Records one run of the rest connector against a paged API of `count` items, then stops
    /// the API: what is left is the recording.
    static func recordedTraffic(in sandbox: Sandbox, count: Int = 10) throws -> String {
        let server = try LoopbackServer { request in
            guard request.query["apikey"] == key else { return .response(status: 401) }
            let page = Int(request.query["page"] ?? "1") ?? 1
            let ids = ((page - 1) * 3 + 1...page * 3).filter { $0 <= count }
            let rows = ids.map { #"{"id":\#($0),"name":"item \#($0)","tags":["t\#($0 % 2)"]}"# }
            return .json(#"{"data":[\#(rows.joined(separator: ","))]}"#)
        }
        defer { server.stop() }
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "\(server.url)", auth: { type: api_key, query: apikey, key: "${API_KEY}" } }
                config: \(restConfig)
              out: { plugin: file, config: { path: out.jsonl } }
            pipelines:
              items: { source: { connection: api, stream: items }, destination: { connection: out } }
            """)
        // `check` first, into the same folder: the kit's open check asks what `ferry check` asks.
        for command in ["check", "run"] {
            let run = try sandbox.ferry([command, "--record", "traffic"], environment: ["API_KEY": key])
            #expect(run.status == 0, "\(command): \(run.stdout)\(run.stderr)")
        }
        return sandbox.path("traffic")
    }

    static var restPlugin: String { Sandbox.buildFolder.appendingPathComponent("libferry-rest.so").path }

    /// `ferry plugins test` of the rest connector as a source, answered from `traffic`.
    static func kit(_ sandbox: Sandbox, replaying traffic: String, _ extra: [String]) throws -> Sandbox.Outcome {
        let config = try sandbox.write("config.json", restConfig)
        return try sandbox.ferry(
            ["plugins", "test", restPlugin, "--role", "source", "--config", config, "--replay", traffic] + extra)
    }

    /// Every check and the crash kit pass on the recording alone: the kit's host resolves the
    /// connector's relative URLs with the recorded endpoint, and the key masked in the files
    /// never comes back.
    @Test func aSourcePassesTheKitOnRecordedTraffic() throws {
        let sandbox = try Sandbox()
        let run = try Self.kit(sandbox, replaying: try Self.recordedTraffic(in: sandbox), ["--seed", "5"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("recorded exchange(s) of connection 'api'"), "\(run.stdout)")
        #expect(run.stdout.contains("crash kit (seed 5)"), "\(run.stdout)")
        #expect(!run.stdout.contains("FAIL"), "\(run.stdout)")
        #expect(!(run.stdout + run.stderr).contains(Self.key))
    }

    /// A recording that lacks a page the connector asks for fails the read check, naming the
    /// request; nothing is invented.
    @Test func aRequestTheRecordingLacksFailsTheReadNamingIt() throws {
        let sandbox = try Sandbox()
        let traffic = try Self.recordedTraffic(in: sandbox)
        let files = try FileManager.default.contentsOfDirectory(atPath: traffic).sorted()
        let second = try #require(
            files.first { name in
                (try? String(contentsOfFile: "\(traffic)/\(name)", encoding: .utf8))?.contains("page=2") ?? false
            })
        try FileManager.default.removeItem(atPath: "\(traffic)/\(second)")
        let run = try Self.kit(sandbox, replaying: traffic, ["--crash-rounds", "0"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("has no (more) answer for GET"), "\(run.stdout)")
        #expect(run.stdout.contains("/items"), "\(run.stdout)")
    }

    /// Without --replay the kit's host has no HTTP, and says how to give it some; a folder with
    /// no recording, or naming a connection it does not hold, is a usage error naming the folder.
    @Test func withoutARecordingTheErrorsSayWhatIsMissing() throws {
        let sandbox = try Sandbox()
        let config = try sandbox.write("config.json", Self.restConfig)
        let offline = try sandbox.ferry(["plugins", "test", Self.restPlugin, "--config", config, "--crash-rounds", "0"])
        #expect(offline.status == 1)
        #expect(offline.stdout.contains("no HTTP without --replay DIR"), "\(offline.stdout)")

        let empty = try sandbox.write("empty/.keep", "")
        let none = try sandbox.ferry([
            "plugins", "test", Self.restPlugin, "--replay", (empty as NSString).deletingLastPathComponent,
        ])
        #expect(none.status == 2)
        #expect(none.stderr.contains("holds no exchange saved by ferry run --record"), "\(none.stderr)")

        let traffic = try Self.recordedTraffic(in: sandbox)
        let other = try sandbox.ferry([
            "plugins", "test", Self.restPlugin, "--replay", traffic, "--connection", "crm",
        ])
        #expect(other.status == 2)
        #expect(other.stderr.contains("holds no exchange of connection 'crm' (it holds: api)"), "\(other.stderr)")
    }
}
