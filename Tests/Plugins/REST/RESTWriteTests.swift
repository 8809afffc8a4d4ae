import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The rest connector as a destination, end to end: the real `ferry` binary, a JSONL
/// file of sites and a field-service API that assigns ids, rate-limits and refuses
/// bad sites. Creates happen once, even across a kill between the API's 201 and
/// Ferry's commit, and across a create whose answer was lost.
@Suite struct RESTWriteTests {
    static func sites(_ names: [(code: String, name: String)]) -> String {
        names.map { #"{"code":"\#($0.code)","name":"\#($0.name)","city":"Lyon"}"# }.joined(separator: "\n") + "\n"
    }

    static let fiveSites = sites([
        ("VC1", "Plant 1"), ("VC2", "Plant 2"), ("VC3", "Plant 3"), ("VC4", "Plant 4"), ("VC5", "Plant 5"),
    ])

    static func config(_ server: LoopbackServer, lookup: Bool = true, write: String = "upsert") -> String {
        """
        state: state.db
        connections:
          sites_file: { plugin: file, config: { path: data/sites.jsonl, primary_key: code } }
          yuman:
            plugin: rest
            http: { endpoint: "\(server.url)", max_attempts: 3 }
            config:
              writes:
                - name: sites
                  path: sites
                  delete: true
                  body: { name: "{name}", code: "{key}", address: "{city}, France" }
        \(lookup ? "          lookup: { path: sites, query: { code: \"{key}\" }, records_path: items, match_field: code }" : "")
        pipelines:
          sites:
            source: { connection: sites_file, stream: sites }
            destination: { connection: yuman, stream: sites }
            write: \(write)
            batch_size: 2
        """
    }

    static func sandbox(
        _ server: LoopbackServer, lookup: Bool = true, write: String = "upsert", name: String = #function
    ) throws -> Sandbox {
        let sandbox = try Sandbox(name)
        try sandbox.write("ferry.yaml", config(server, lookup: lookup, write: write))
        try sandbox.write("data/sites.jsonl", fiveSites)
        return sandbox
    }

    static func idMap(_ sandbox: Sandbox) throws -> [String] {
        try sandbox.sql(
            "state.db",
            "SELECT source_id || '=' || destination_id FROM id_map WHERE scope = 'yuman/sites' ORDER BY source_id")
    }

    /// Runs the five sites in (each created once, its id in the ID map, the intents in host
    /// state), then again (nothing sent); returns the API's request count after the first run.
    static func expectCreatedOnceThenUnchanged(_ api: FieldServiceSimulator, _ sandbox: Sandbox) throws -> Int {
        let first = try sandbox.ferry(["run"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(api.sites.withLock { $0.count } == 5)
        #expect(try Self.idMap(sandbox) == ["VC1=1001", "VC2=1002", "VC3=1003", "VC4=1004", "VC5=1005"])
        #expect(api.byCode["VC3"]?.fields["address"] == "Lyon, France")
        // Only the last batch's intents wait for the next write to see their ids in the ID map.
        #expect(
            try sandbox.sql("state.db", "SELECT value FROM kv WHERE key = 'rest.intents.sites'") == [
                #"{"VC5":{"id":"1005"}}"#
            ])

        // A second run sends nothing: every record is unchanged.
        let before = api.requests.count
        let second = try sandbox.ferry(["run"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(api.requests.count == before, "\(api.requests.dropFirst(before))")
        return before
    }

    @Test func createsOnceUpdatesChangesAndDeadLettersWhatTheAPIRefuses() throws {
        let api = FieldServiceSimulator(rateLimitEvery: 4)
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Self.sandbox(server)
        let before = try Self.expectCreatedOnceThenUnchanged(api, sandbox)

        // A changed site is updated in place; a new one without a name is refused with the API's words.
        try sandbox.write(
            "data/sites.jsonl",
            Self.sites([
                ("VC1", "Plant 1"), ("VC2", "Plant 2 (extended)"), ("VC3", "Plant 3"),
                ("VC4", "Plant 4"), ("VC5", "Plant 5"), ("VC6", ""),
            ]))
        let third = try sandbox.ferry(["run"])
        #expect(third.status == 3, "\(third.stdout)\(third.stderr)")
        #expect(api.sites.withLock { $0.count } == 5)
        #expect(api.byCode["VC2"]?.fields["name"] == "Plant 2 (extended)")
        #expect(api.requests.dropFirst(before).filter { $0.hasPrefix("PATCH") } == ["PATCH /sites/1002"])
        let letters = try sandbox.sql("state.db", "SELECT error FROM dead_letters")
        #expect(letters.count == 1)
        #expect(
            letters.first?.contains("HTTP 422") == true && letters.first?.contains("Name can't be blank") == true,
            "\(letters)")
        #expect(try Self.idMap(sandbox).count == 5)
    }

    @Test func aKillBetweenTheAPIsAnswerAndFerrysCommitCreatesNoDuplicate() throws {
        let api = FieldServiceSimulator()
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Self.sandbox(server)
        // Batches of 2: killed after the API created VC1 and VC2, before Ferry committed their ids.
        let killed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "after_write:kill:1"])
        #expect(killed.status == -SIGKILL, "\(killed.stdout)\(killed.stderr)")
        #expect(api.sites.withLock { $0.count } == 2)
        #expect(try Self.idMap(sandbox).isEmpty)
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(api.sites.withLock { $0.map(\.id) } == [1001, 1002, 1003, 1004, 1005])
        // The re-sent batch updates the two sites through the ids its intents recorded after the 201s: no search, no create.
        #expect(
            api.requests == [
                "POST /sites", "POST /sites", "PATCH /sites/1001", "PATCH /sites/1002", "POST /sites", "POST /sites",
                "POST /sites",
            ])
        #expect(try Self.idMap(sandbox) == ["VC1=1001", "VC2=1002", "VC3=1003", "VC4=1004", "VC5=1005"])
    }

    @Test func aCreateWhoseAnswerWasLostIsFoundByTheLookupBeforeCreatingAgain() throws {
        let api = FieldServiceSimulator()
        api.lostAnswers.withLock { $0 = 1 }
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Self.sandbox(server)
        // The engine may retry the write in the same run, or a rerun resolves it: either way VC1 is searched for.
        var run = try sandbox.ferry(["run"])
        if run.status != 0 { run = try sandbox.ferry(["run"]) }
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(api.sites.withLock { $0.count } == 5)
        // VC1's create got no answer: it is searched for by its code, found and updated; the rest are created.
        #expect(
            api.requests == [
                "POST /sites", "GET /sites", "PATCH /sites/1001", "POST /sites", "POST /sites", "POST /sites",
                "POST /sites",
            ])
        #expect(try Self.idMap(sandbox) == ["VC1=1001", "VC2=1002", "VC3=1003", "VC4=1004", "VC5=1005"])
    }

    @Test func aCreateThatMadeNothingIsSearchedForThenCreatedOnce() throws {
        let api = FieldServiceSimulator()
        api.failedCreates.withLock { $0 = 1 }
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Self.sandbox(server)
        var run = try sandbox.ferry(["run"])
        if run.status != 0 { run = try sandbox.ferry(["run"]) }
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            api.requests == [
                "POST /sites", "GET /sites", "POST /sites", "POST /sites", "POST /sites", "POST /sites", "POST /sites",
            ])
        #expect(try Self.idMap(sandbox) == ["VC1=1001", "VC2=1002", "VC3=1003", "VC4=1004", "VC5=1005"])
    }

    @Test func withoutALookupAnUnansweredCreateStopsTheRunInsteadOfCreatingAgain() throws {
        let api = FieldServiceSimulator()
        api.lostAnswers.withLock { $0 = 1 }
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Self.sandbox(server, lookup: false)
        #expect(try sandbox.ferry(["run"]).status == 1)
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status != 0)
        #expect((rerun.stdout + rerun.stderr).contains("writes[].lookup"), "\(rerun.stdout)\(rerun.stderr)")
        #expect(api.sites.withLock { $0.count } == 1)
    }

    @Test func mirrorDeletesTheObjectsOfVanishedRecords() throws {
        let api = FieldServiceSimulator()
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Self.sandbox(server, write: "mirror")
        #expect(try sandbox.ferry(["run"]).status == 0)
        try sandbox.write(
            "data/sites.jsonl",
            Self.sites([("VC1", "Plant 1"), ("VC2", "Plant 2"), ("VC3", "Plant 3"), ("VC4", "Plant 4")]))
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(api.requests.contains("DELETE /sites/1005"), "\(api.requests)")
        #expect(api.sites.withLock { $0.map(\.id) } == [1001, 1002, 1003, 1004])

        // The deleted record comes back: its mapping went with the object, so it is created anew.
        try sandbox.write(
            "data/sites.jsonl",
            Self.sites([
                ("VC1", "Plant 1"), ("VC2", "Plant 2"), ("VC3", "Plant 3"), ("VC4", "Plant 4"),
                ("VC5", "Plant 5"),
            ]))
        let back = try sandbox.ferry(["run"])
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        #expect(!api.requests.contains("PATCH /sites/1005"), "\(api.requests)")
        #expect(api.requests.last == "POST /sites", "\(api.requests)")
        #expect(api.sites.withLock { $0.count } == 5)
    }

    /// `on_delete: forget`: a vanished record's object stays in the API (no request at all) and
    /// its id leaves the ID map, once; the run counts it deleted.
    @Test func mirrorWithOnDeleteForgetKeepsTheObjectAndForgetsItsID() throws {
        let api = FieldServiceSimulator()
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Self.sandbox(server, write: "mirror")
        try sandbox.write(
            "ferry.yaml",
            Self.config(server, write: "mirror").replacing(
                "delete: true", with: "delete: true\n          on_delete: forget"))
        #expect(try sandbox.ferry(["run"]).status == 0)
        #expect(try Self.idMap(sandbox).count == 5)
        try sandbox.write(
            "data/sites.jsonl",
            Self.sites([("VC1", "Plant 1"), ("VC2", "Plant 2"), ("VC3", "Plant 3"), ("VC4", "Plant 4")]))
        let before = api.requests.count
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(api.requests.dropFirst(before).allSatisfy { $0.hasPrefix("GET") }, "\(api.requests)")
        #expect(api.sites.withLock { $0.map(\.id) } == [1001, 1002, 1003, 1004, 1005])
        #expect(try Self.idMap(sandbox) == ["VC1=1001", "VC2=1002", "VC3=1003", "VC4=1004"])
        #expect(try sandbox.sql("state.db", "SELECT deleted_count FROM runs ORDER BY id DESC LIMIT 1") == ["1"])
        let settled = api.requests.count
        #expect(try sandbox.ferry(["run"]).status == 0)
        #expect(api.requests.dropFirst(settled).allSatisfy { $0.hasPrefix("GET") }, "\(api.requests)")
    }

    @Test func aWrongIDMapScopeIsNamed() throws {
        let api = FieldServiceSimulator()
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Self.sandbox(server)
        try sandbox.write(
            "ferry.yaml",
            Self.config(server).replacing("delete: true", with: "delete: true\n          id_map_scope: other/sites"))
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect((run.stdout + run.stderr).contains("set id_map_scope to"), "\(run.stdout)\(run.stderr)")
        // The first batch's ids are mapped; nothing was created twice.
        #expect(api.sites.withLock { $0.count } == 2)
    }

    @Test(arguments: [
        (
            "delete: true", "delete: true\n          update_method: POST",
            "config.writes[0].update_method must be PATCH or PUT, got 'POST'"
        ),
        (
            "delete: true", "delete: true\n          upsert_method: PUT",
            "connections.yuman.config.writes[0].upsert_method: unknown key 'upsert_method'"
        ),
        (
            "delete: true", "delete: true\n          item_path: sites/one",
            "config.writes[0].item_path must contain {id}"
        ),
        (
            "delete: true", "on_delete: forget",
            "config.writes[0].on_delete: forget needs delete: true"
        ),
        (
            "delete: true", "delete: true\n          on_delete: archive",
            "on_delete"
        ),
    ])
    func aBadWriteConfigIsAConfigurationErrorNamingTheKey(old: String, new: String, message: String) throws {
        let server = try LoopbackServer { _ in .json("{}") }
        let sandbox = try Self.sandbox(server)
        try sandbox.write("ferry.yaml", Self.config(server).replacing(old, with: new))
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect((run.stdout + run.stderr).contains(message), "\(run.stdout)\(run.stderr)")
    }
}
