import FerryTesting
import Foundation
import Testing

/// serve's `filters` on a run (the seed's `run_sync --filters`) through the real `ferry serve`,
/// with the `file` source, which cannot narrow its reading: the host keeps only the records
/// the filters name, writes those, and leaves the checkpoint and every other row alone.
@Suite(.serialized) struct ServeFilterCommandTests {
    @Test func aFilteredRunThroughTheAPIWritesOnlyTheNamedRecord() throws {
        let sandbox = try ServeCommandTests.makeSandbox(records: 20)
        #expect(try sandbox.ferry(["run"]).status == 0)
        let checkpoints = try sandbox.sql("state.db", "SELECT stream || checkpoint FROM checkpoints")
        // Two records change at the source; the run asks for one.
        var lines = try sandbox.read("data/input.jsonl")
        lines = lines.replacing(#""id":7,"value":21"#, with: #""id":7,"value":777"#)
            .replacing(#""id":8,"value":24"#, with: #""id":8,"value":888"#)
        try sandbox.write("data/input.jsonl", lines)

        let serve = try ServeProcess(sandbox)
        let (status, body) = try serve.request(
            "POST", "/v1/pipelines/to_sqlite/runs", body: #"{"filters": {"id": 7}}"#)
        #expect(status == 202, "\(body)")
        try serve.waitForLog("Run finished.")
        try serve.waitUntilIdle("to_sqlite")
        let run = try #require(
            (try serve.request("GET", "/v1/runs?pipeline=to_sqlite").1["runs"] as? [[String: Any]])?.first)
        #expect(run["read"] as? Int == 1 && run["written"] as? Int == 1, "\(run)")
        #expect(
            try sandbox.sql("out/warehouse.db", "SELECT value FROM records WHERE id IN (7, 8) ORDER BY id") == [
                "777", "24",
            ])
        #expect(try sandbox.sql("state.db", "SELECT stream || checkpoint FROM checkpoints") == checkpoints)

        // Bad filters are refused with what is wrong; an unknown pipeline is a 404.
        let (notObject, refusal) = try serve.request(
            "POST", "/v1/pipelines/to_sqlite/runs", body: #"{"filters": "id=7"}"#)
        #expect(notObject == 400)
        #expect((refusal["error"] as? String)?.hasPrefix("'filters' must be an object") == true, "\(refusal)")
        let (badValue, why) = try serve.request(
            "POST", "/v1/pipelines/to_sqlite/runs", body: #"{"filters": {"id": [7]}}"#)
        #expect(badValue == 400)
        #expect(why["error"] as? String == "filter 'id' must be text, a number or a boolean", "\(why)")
        let (unknown, _) = try serve.request("POST", "/v1/pipelines/nosuch/runs", body: #"{"filters": {"id": 7}}"#)
        #expect(unknown == 404)
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }
}
