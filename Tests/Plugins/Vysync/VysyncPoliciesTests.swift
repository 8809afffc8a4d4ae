import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The seed's policies in `examples/vysync/`, on the real `ferry` against the VCOM and Yuman
/// simulators, with values edited on Yuman's side between runs: VCOM's values win except that
/// Yuman's `code` is only filled while empty, a client that differs from the mapping in Yuman is
/// kept and reported as a conflict, Yuman wins for clients and SIM brand/model, and a site
/// flagged `ignore_site` in Supabase's `sites_mapping` is skipped by every pipeline.
@Suite struct VysyncPoliciesTests {
    /// The example after one full run, its mappings imported as the README's set-up says.
    static func syncedExample(name: String = #function) throws -> VysyncExample {
        let example = try VysyncExample(
            vcom: VCOMSimulator(plants: 3), yuman: YumanSimulator(perMinute: 1000), yumanPerMinute: 1000, name: name)
        for outcome in try example.importMappings() {
            #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        }
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        return example
    }

    /// The Yuman site Ferry created for a VCOM system (by the ID map: its code may have been edited).
    static func site(_ example: VysyncExample, _ key: String) throws -> YumanSimulator.Object {
        let id = try example.sandbox.sql(
            "state.db", "SELECT destination_id FROM id_map WHERE scope = 'yuman/sites' AND source_id = '\(key)'")
        return try #require(id.first.flatMap { Int($0) }.flatMap { example.yuman.object("sites", id: $0) })
    }

    static func clientID(_ example: VysyncExample, _ code: String) throws -> Int {
        try #require(example.yuman.objects("clients").first { $0.fields["code"]?.stringValue == code }).id
    }

    /// Moves plants to other clients in the operator's mapping and imports it, as the README says.
    static func remap(_ example: VysyncExample, _ changes: [String: String]) throws {
        var lines = ["system_key,client_code"]
        for (key, code) in try example.clientCodes().sorted(by: { $0.key < $1.key }) {
            lines.append("\(key),\(changes[key] ?? code)")
        }
        try example.sandbox.write("data/site_clients.csv", lines.joined(separator: "\n") + "\n")
        let outcome = try example.importMappings()[0]
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
    }

    /// `ferry conflicts list --json` (with `--all`: the closed ones too).
    static func conflicts(_ example: VysyncExample, all: Bool = false) throws -> [JSONValue] {
        let outcome = try example.ferry(["conflicts", "list", "--json"] + (all ? ["--all"] : []))
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        return try JSONParser().parse(Array(outcome.stdout.utf8))["conflicts"]?.arrayValue ?? []
    }

    @Test func aClientChangedOnBothSidesIsKeptInYumanAndReportedUntilResolved() throws {
        let example = try Self.syncedExample()
        let lyon = try Self.clientID(example, "CLI-LYON")
        let sud = try Self.clientID(example, "CLI-SUD")
        let alpes = try Self.clientID(example, "CLI-ALPES")
        let codes = try example.clientCodes()
        let pv001 = try Self.site(example, "PV001")
        #expect(codes["PV001"] == "CLI-LYON" && pv001.fields["client_id"].map(YumanSimulator.text) == "\(lyon)")
        // In Yuman someone gives PV001 to Sud Photovoltaïque; the operator's mapping moves it to
        // Alpes Solaire. Neither wins silently.
        example.yuman.edit("sites", id: pv001.id, ["client_id": .int(Int64(sud))])
        try Self.remap(example, ["PV001": "CLI-ALPES"])
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(example.yuman.object("sites", id: pv001.id)?.fields["client_id"].map(YumanSimulator.text) == "\(sud)")
        let open = try Self.conflicts(example)
        #expect(open.count == 1, "\(open)")
        let conflict = try #require(open.first)
        #expect(conflict["pipeline"] == "sites" && conflict["key"] == "\"PV001\"" && conflict["field"] == "client_id")
        #expect(conflict["source"]?.stringValue == "\(alpes)" && conflict["destination"]?.stringValue == "\(sud)")
        #expect(conflict["base"]?.stringValue == "\(lyon)" && conflict["status"] == "open")
        // The rest of the record went: the run patched PV001 with every other field.
        #expect(example.yuman.requests.contains("PATCH /sites/\(pv001.id)"))

        // A rerun neither writes nor reports it again.
        let before = example.yuman.requests.count
        #expect(try example.ferry().status == 0)
        #expect(example.yuman.requests.dropFirst(before).filter { !$0.hasPrefix("GET") }.isEmpty)
        #expect(try Self.conflicts(example).count == 1)

        // The operator decides for the mapping: the next run writes it.
        let id = try #require(conflict["id"]?.intValue)
        let resolve = try example.ferry(["conflicts", "resolve", "\(id)", "--take", "source"])
        #expect(resolve.status == 0, "\(resolve.stdout)\(resolve.stderr)")
        #expect(try example.ferry().status == 0)
        #expect(example.yuman.object("sites", id: pv001.id)?.fields["client_id"].map(YumanSimulator.text) == "\(alpes)")
        #expect(try Self.conflicts(example).isEmpty)
        #expect(try Self.conflicts(example, all: true).first?["status"] == "applied")
    }

    @Test func aNewConflictIsToldThroughTheNotificationChannelsUnderServe() throws {
        let example = try Self.syncedExample()
        let pv001 = try Self.site(example, "PV001")
        example.yuman.edit("sites", id: pv001.id, ["client_id": .int(Int64(try Self.clientID(example, "CLI-SUD")))])
        try Self.remap(example, ["PV001": "CLI-ALPES"])
        let hook = try LoopbackServer { _ in .json(#"{"ok":true}"#) }
        let serve = try ServeProcess(
            example.sandbox,
            environment: example.variables(["FERRY_NOTIFY_WEBHOOK_URL": hook.url + "/hook/s3cret"]))
        try serve.waitForLog("Notifications on.")
        #expect(try serve.request("POST", "/v1/pipelines/sites/runs").0 == 202)
        try serve.waitForLog("Run finished.")
        try serve.waitUntilIdle("sites")
        // A second run finds the same conflict: nothing new to tell.
        #expect(try serve.request("POST", "/v1/pipelines/sites/runs").0 == 202)
        try serve.waitForLog("Run finished.", occurrence: 2)
        try serve.waitUntilIdle("sites")
        serve.signal(SIGTERM) // queued notifications are sent before the exit
        #expect(serve.waitForExit() == 0)
        let texts = hook.requests.map(\.text)
        #expect(texts.count == 1, "\(texts)")
        #expect(texts.first?.contains("Ferry: sites has 1 new conflict") == true, "\(texts)")
        #expect(texts.first?.contains("ferry conflicts list") == true, "\(texts)")
        for secret in ["s3cret", YumanSimulator.token, VCOMSimulator.password] { #expect(!serve.log.contains(secret)) }
    }

    /// The same from cron: `ferry run` tells the conflict once, and the next run (another
    /// process) knows from the state database that it was told.
    @Test func aNewConflictIsToldOnceByRunsFromCron() throws {
        let example = try Self.syncedExample()
        let pv001 = try Self.site(example, "PV001")
        example.yuman.edit("sites", id: pv001.id, ["client_id": .int(Int64(try Self.clientID(example, "CLI-SUD")))])
        try Self.remap(example, ["PV001": "CLI-ALPES"])
        let hook = try LoopbackServer { _ in .json(#"{"ok":true}"#) }
        let environment = ["FERRY_NOTIFY_WEBHOOK_URL": hook.url + "/hook/s3cret"]
        for _ in 0..<2 {
            let run = try example.ferry(["run", "sites"], environment: environment)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            for secret in ["s3cret", YumanSimulator.token, VCOMSimulator.password] {
                #expect(!(run.stdout + run.stderr).contains(secret))
            }
        }
        let texts = hook.requests.map(\.text)
        #expect(texts.count == 1, "\(texts)")
        #expect(texts.first?.contains("Ferry: sites has 1 new conflict") == true, "\(texts)")
    }

    @Test func theSiteCodeIsOnlyFilledWhileYumanHasNone() throws {
        let example = try Self.syncedExample()
        let pv002 = try Self.site(example, "PV002")
        let pv003 = try Self.site(example, "PV003")
        // Yuman's users clear PV002's code and give PV003 one of their own; then both plants
        // change client in the mapping, so VCOM's side of both records changes.
        example.yuman.edit("sites", id: pv002.id, ["code": .null])
        example.yuman.edit("sites", id: pv003.id, ["code": "ALDI-17"])
        try Self.remap(example, ["PV002": "CLI-SUD", "PV003": "CLI-LYON"])
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let after2 = try #require(example.yuman.object("sites", id: pv002.id))
        let after3 = try #require(example.yuman.object("sites", id: pv003.id))
        #expect(after2.fields["code"] == "PV002", "empty in Yuman: filled from VCOM")
        #expect(after3.fields["code"] == "ALDI-17", "set in Yuman: kept")
        // The new clients, changed only in the mapping, were applied; nothing was a conflict.
        #expect(after2.fields["client_id"].map(YumanSimulator.text) == "\(try Self.clientID(example, "CLI-SUD"))")
        #expect(after3.fields["client_id"].map(YumanSimulator.text) == "\(try Self.clientID(example, "CLI-LYON"))")
        #expect(try Self.conflicts(example).isEmpty)
    }

    @Test func yumanWinsForClientsAndTheSIMsBrandAndModel() throws {
        let example = try Self.syncedExample()
        let sim = try #require(
            example.yuman.objects("materials").first { $0.fields["serial_number"] == "SIM-PV001" })
        example.yuman.edit("materials", id: sim.id, ["brand": "Orange", "model": "M2M 4G"])
        let client = try Self.clientID(example, "CLI-LYON")
        example.yuman.edit("clients", id: client, ["name": "Lyon Énergie SAS"])
        // Ferry forgets what it sent, so every material and site is sent again.
        _ = try example.sandbox.sql("state.db", "DELETE FROM record_hashes")
        let before = example.yuman.requests.count
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let sent = example.yuman.requests.dropFirst(before)
        #expect(sent.contains("PATCH /materials/\(sim.id)"), "\(sent)")
        let after = try #require(example.yuman.object("materials", id: sim.id))
        #expect(after.fields["brand"] == "Orange" && after.fields["model"] == "M2M 4G")
        // Clients are Yuman's: read, never written.
        #expect(!example.yuman.requests.contains { !$0.hasPrefix("GET") && $0.contains("/clients") })
        #expect(example.yuman.object("clients", id: client)?.fields["name"] == "Lyon Énergie SAS")
    }
}

/// `ignore_site` needs Supabase's `sites_mapping`: the PostgreSQL tests.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct VysyncIgnoreSiteTests {
    @Test func aSiteFlaggedInSitesMappingIsSkippedByEveryPipelineUntilTheFlagIsCleared() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 3)
        // Someone flagged PV002 in the seed's table; it has an open urgent ticket.
        try supabase.scratch.db.query("INSERT INTO sites_mapping (vcom_system_key, ignore_site) VALUES ('PV002', true)")
        example.vcom.tickets.open(system: "PV002", designation: "Onduleur en défaut", priority: "urgent")
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let sites = example.yuman.objects("sites").compactMap { $0.fields["code"]?.stringValue }.sorted()
        #expect(sites == ["PV001", "PV003"])
        #expect(
            !example.yuman.objects("materials").contains {
                $0.fields["serial_number"]?.stringValue?.hasSuffix("PV002") == true
            })
        #expect(example.yuman.objects("workorders").isEmpty)
        #expect(try example.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["0"])
        #expect(
            try supabase.rows("SELECT vcom_system_key, ignore_site FROM sites_mapping WHERE yuman_site_id IS NULL") == [
                "PV002|t"
            ])

        // The flag cleared, the next run syncs the site, its equipment and its ticket, and the
        // row gets Yuman's id beside the flag someone set.
        try supabase.scratch.db.query("UPDATE sites_mapping SET ignore_site = false WHERE vcom_system_key = 'PV002'")
        let next = try example.ferry()
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(try example.problems().isEmpty)
        #expect(example.yuman.objects("workorders").count == 1)
        let pv002 = try #require(example.yuman.objects("sites").first { $0.fields["code"] == "PV002" })
        #expect(
            try supabase.rows("SELECT yuman_site_id, ignore_site FROM sites_mapping WHERE vcom_system_key = 'PV002'")
                == ["\(pv002.id)|f"])
    }

    /// The value of a site's custom field in Yuman.
    static func custom(_ site: YumanSimulator.Object?, _ blueprint: Int64) -> JSONValue? {
        site?.fields["fields"]?.arrayValue?.first { $0["blueprint_id"]?.intValue == blueprint }?["value"]
    }

    @Test func theProjectNumberFromSitesMappingIsFilledOnlyWhileYumansIsEmpty() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 3)
        try supabase.scratch.db.query(
            "INSERT INTO sites_mapping (vcom_system_key, project_number_cp) VALUES ('PV001', 'CP-1001'), ('PV002', 'CP-1002')"
        )
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try example.problems().isEmpty)
        let ids = try ["PV001", "PV002", "PV003"].map { try VysyncPoliciesTests.site(example, $0).id }
        #expect(ids.map { Self.custom(example.yuman.object("sites", id: $0), 13582) } == ["CP-1001", "CP-1002", .null])

        // In Yuman someone types PV001's number and clears PV002's; in the table both change.
        for (id, value) in [(ids[0], JSONValue.string("CP-9999")), (ids[1], .null)] {
            let fields = (example.yuman.object("sites", id: id)?.fields["fields"]?.arrayValue ?? []).map { field in
                field["blueprint_id"]?.intValue == 13582 ? ["blueprint_id": 13582, "value": value] : field
            }
            example.yuman.edit("sites", id: id, ["fields": .array(fields)])
        }
        try supabase.scratch.db.query(
            """
            UPDATE sites_mapping SET project_number_cp = 'CP-2001' WHERE vcom_system_key = 'PV001';
            UPDATE sites_mapping SET project_number_cp = 'CP-2002' WHERE vcom_system_key = 'PV002';
            """)
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(Self.custom(example.yuman.object("sites", id: ids[0]), 13582) == "CP-9999", "set in Yuman: kept")
        #expect(Self.custom(example.yuman.object("sites", id: ids[1]), 13582) == "CP-2002", "empty in Yuman: filled")
        #expect(try example.sandbox.sql("state.db", "SELECT count(*) FROM conflicts") == ["0"])
    }
}
