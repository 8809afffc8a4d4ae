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

        _ = try RESTWriteTests.expectCreatedOnceThenUnchanged(api, sandbox)
    }
}
