import FerryTesting
import Foundation
import Testing

/// The rest connector under `isolation: process`: its HTTP requests (with the API's
/// 429s retried by the host's HTTP service), its intents kept in host state and the ids
/// it assigns go through the child's host-call proxy to the host, with the same result
/// as in-process (`RESTWriteTests`).
@Suite struct RESTIsolationTests {
    @Test func anIsolatedDestinationUsesTheHostsHTTPStateAndIDMap() throws {
        let api = FieldServiceSimulator(rateLimitEvery: 4)
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Sandbox()
        let config = RESTWriteTests.config(server)
            .replacingOccurrences(of: "    plugin: rest\n", with: "    plugin: rest\n    isolation: process\n")
            .replacingOccurrences(of: "{ plugin: file,", with: "{ plugin: file, isolation: process,")
        #expect(config.contains("isolation: process, config") && config.contains("    isolation: process\n"))
        try sandbox.write("ferry.yaml", config)
        try sandbox.write("data/sites.jsonl", RESTWriteTests.fiveSites)

        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(api.sites.withLock { $0.count } == 5)
        #expect(try RESTWriteTests.idMap(sandbox) == ["VC1=1001", "VC2=1002", "VC3=1003", "VC4=1004", "VC5=1005"])
        #expect(
            try sandbox.sql("state.db", "SELECT value FROM kv WHERE key = 'rest.intents.sites'") == [
                #"{"VC5":{"id":"1005"}}"#
            ])
        // A second run sends nothing: the host's record hashes saw every record unchanged.
        let before = api.requests.count
        let second = try sandbox.ferry(["run"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(api.requests.count == before)
    }
}
