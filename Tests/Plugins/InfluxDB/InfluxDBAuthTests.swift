import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// Against the auth-enabled server: credentials come from the host (here the
/// harness's HTTP client, in `ferry` the connection's `http.auth`), never from the plugin's config.
@Suite(.enabled(if: !InfluxTest.skipped, "FERRY_SKIP_INFLUX=1"))
struct InfluxDBAuthTests {
    @Test func goodCredentialsWriteAndBadOnesAreAnAuthError() throws {
        let scratch = try InfluxScratch(authenticated: true)
        let good = try scratch.open(["measurement": "m"])
        #expect(try good.write(.influx(), records: [["time": 1_700_000_000, "v": 1]]).accepted == 1)
        #expect(try good.check().ok)

        let server = try InfluxTest.authServer()
        let wrong = LoopbackHTTPClient(endpoint: server.url, headers: [InfluxTest.basic(server.user, "wrong")])
        let bad = try scratch.open(["measurement": "m"]) { try wrong.send($0) }
        do {
            _ = try bad.write(.influx(), records: [["time": 1_700_000_001, "v": 2]])
            Issue.record("the write should fail")
        } catch let error as PluginError {
            #expect(error.status == FERRY_ERR_AUTH)
            #expect(error.message.contains("authorization failed"))
            #expect(error.message.contains("http.auth"))
        }
        let check = try bad.check()
        #expect(check.ok == false)
        #expect(check.message.contains("authorization failed"))
        #expect(try scratch.count("m", field: "v") == 1)
    }

    @Test func ferryRunSendsTheConnectionsBasicAuth() throws {
        let scratch = try InfluxScratch(authenticated: true)
        let server = try InfluxTest.authServer()
        let directory = TemporaryDirectory()
        try #"{"id":1,"time":"2024-01-01T00:00:00Z","v":1.5}"#.appending("\n")
            .write(toFile: directory.file("in.jsonl"), atomically: true, encoding: .utf8)
        func config(password: String) -> String {
            """
            version: 1
            state: state.db
            connections:
              input: { plugin: file, config: { path: in.jsonl, primary_key: id } }
              influx:
                plugin: influxdb
                http:
                  endpoint: "\(server.url)"
                  auth: { type: basic, username: "\(server.user)", password: "${INFLUX_PASSWORD}" }
                config: { database: \(scratch.database), measurement: m, fields: [v] }
            pipelines:
              load:
                source: { connection: input, stream: in }
                destination: { connection: influx, stream: m }
                write: append
            """
        }
        try config(password: "").write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)
        let refused = try InfluxDBEndToEndTests.ferry(
            ["run", "--config", directory.file("ferry.yaml")], in: directory.path,
            environment: ["INFLUX_PASSWORD": "wrong"])
        #expect(refused.status != 0)
        #expect(
            refused.output.contains("authorization failed") || refused.output.contains("http.auth"), "\(refused.output)"
        )
        #expect(!refused.output.contains("wrong\""), "the password must not be printed")
        #expect(try scratch.count("m", field: "v") == 0)

        let accepted = try InfluxDBEndToEndTests.ferry(
            ["run", "--config", directory.file("ferry.yaml")], in: directory.path,
            environment: ["INFLUX_PASSWORD": server.password])
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(try scratch.count("m", field: "v") == 1)
    }
}
