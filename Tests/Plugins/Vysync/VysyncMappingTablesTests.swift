import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `examples/vysync/` with the seed's Supabase mapping tables (`id_map_mirrors:`), on the real
/// `ferry`, the real `postgrest` plugin and the PostgREST-protocol server on the real
/// PostgreSQL: the tables hold exactly the ID map's pairs after a run, a rerun writes nothing,
/// a first run adopts the seed's tables, and a kill -9 leaves no row missing or twice.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct VysyncMappingTablesTests {
    /// The materials' ID-map scopes and the category each one's rows carry.
    static let materialScopes = [
        "yuman/sims": 11382, "yuman/centrals": 11441, "yuman/modules": 11103, "yuman/inverters": 11102,
        "yuman/strings": 12404,
    ]

    /// A vysync example with Supabase, its mappings imported as the README's set-up says.
    static func example(plants: Int, name: String = #function) throws -> (VysyncExample, VysyncSupabase) {
        var example = try VysyncExample(
            vcom: VCOMSimulator(plants: plants), yuman: YumanSimulator(perMinute: 1000), yumanPerMinute: 1000,
            name: name)
        let supabase = try VysyncSupabase(tripwire: example.tripwire)
        example.supabase = supabase.variables
        for outcome in try example.importMappings() {
            #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        }
        return (example, supabase)
    }

    /// The pairs of ID-map scopes as `source|destination` (with `|category` for materials), sorted.
    static func idMap(_ example: VysyncExample, _ scope: String, suffix: String = "") throws -> [String] {
        try example.sandbox.sql(
            "state.db", "SELECT source_id || '|' || destination_id || '\(suffix)' FROM id_map WHERE scope = '\(scope)'")
    }

    /// What is wrong between the ID map and the three tables: empty when each table holds
    /// exactly its scopes' pairs, each once.
    static func differences(_ example: VysyncExample, _ supabase: VysyncSupabase) throws -> [String] {
        var problems: [String] = []
        func compare(_ table: String, _ rows: [String], _ pairs: [String]) {
            if rows != pairs.sorted() {
                problems.append(
                    "\(table): missing \(Set(pairs).subtracting(rows).sorted()), extra \(Set(rows).subtracting(pairs).sorted()), \(rows.count) rows for \(pairs.count) pairs"
                )
            }
        }
        compare(
            "clients_mapping", try supabase.rows("SELECT code, yuman_client_id FROM clients_mapping"),
            try idMap(example, "yuman/clients"))
        compare(
            "sites_mapping", try supabase.rows("SELECT vcom_system_key, yuman_site_id FROM sites_mapping"),
            try idMap(example, "yuman/sites"))
        var materials: [String] = []
        for (scope, category) in materialScopes { materials += try idMap(example, scope, suffix: "|\(category)") }
        compare(
            "equipments_mapping",
            try supabase.rows("SELECT serial_number, yuman_material_id, category_id FROM equipments_mapping"),
            materials)
        return problems
    }

    @Test func theTablesHoldExactlyTheIDMapsPairsAndARerunWritesNothing() throws {
        let (example, supabase) = try Self.example(plants: 3)
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try example.problems().isEmpty)
        let problems = try Self.differences(example, supabase)
        #expect(problems.isEmpty, "\(problems)")
        // Every object Ferry created is in a table: 3 sites, and each plant's materials.
        #expect(try supabase.rows("SELECT count(*) FROM sites_mapping") == ["3"])
        let materials = example.vcom.plants.reduce(0) { $0 + VysyncExample.materials(of: $1).count }
        #expect(try supabase.rows("SELECT count(*) FROM equipments_mapping") == ["\(materials)"])
        #expect(try supabase.rows("SELECT count(*) FROM clients_mapping") == ["3"])
        // A site's row holds Yuman's id for it, and the seed's columns keep their defaults.
        let pv001 = try #require(example.yuman.objects("sites").first { $0.fields["code"] == "PV001" })
        #expect(
            try supabase.rows("SELECT yuman_site_id, ignore_site FROM sites_mapping WHERE vcom_system_key = 'PV001'")
                == ["\(pv001.id)|f"])
        #expect(
            try supabase.rows("SELECT eq_type FROM equipments_mapping WHERE serial_number = 'SIM-PV001'") == ["sim"])

        let writes = supabase.writes.count
        let rerun = try example.ferry()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(supabase.writes.count == writes, "\(supabase.writes.dropFirst(writes))")
        #expect(try Self.differences(example, supabase).isEmpty)
    }

    @Test func eachTicketsWorkOrderIsInTheTicketsTable() throws {
        let (example, supabase) = try Self.example(plants: 2)
        let urgent = example.vcom.tickets.open(system: "PV001", designation: "Onduleur en défaut", priority: "urgent")
        let high = example.vcom.tickets.open(system: "PV002", designation: "Communication perdue", priority: "high")
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let pairs = try Self.idMap(example, "vysync/ticket_workorders")
        #expect(pairs.map { $0.split(separator: "|")[0] }.sorted() == [Substring(urgent), Substring(high)].sorted())
        #expect(try supabase.rows("SELECT vcom_ticket_id, yuman_workorder_id FROM tickets") == pairs.sorted())
        let workOrders = Set(example.yuman.objects("workorders").map { String($0.id) })
        #expect(pairs.allSatisfy { workOrders.contains(String($0.split(separator: "|")[1])) }, "\(pairs)")
        let writes = supabase.writes.count
        #expect(try example.ferry().status == 0)
        #expect(supabase.writes.count == writes, "\(supabase.writes.dropFirst(writes))")
    }

    @Test func aTableThatRefusesTheRowsFailsTheRunNamingTheMirrorAndTheColumn() throws {
        let (example, supabase) = try Self.example(plants: 1)
        try supabase.scratch.db.query("ALTER TABLE equipments_mapping DROP COLUMN eq_type")
        let run = try example.ferry()
        #expect(run.status != 0)
        let output = run.stdout + run.stderr
        #expect(
            output.contains("id_map_mirrors 'yuman/sims': writing table supabase/equipments_mapping failed"),
            "\(output)")
        #expect(output.contains("eq_type"), "\(output)")
        #expect(!output.contains(supabase.scratch.simulator.apiKey))
        // Yuman got its objects all the same; the rows wait for the table to be fixed.
        #expect(try example.problems().isEmpty)
        try supabase.scratch.db.query("ALTER TABLE equipments_mapping ADD COLUMN eq_type TEXT")
        #expect(try example.ferry().status == 0)
        #expect(try Self.differences(example, supabase).isEmpty)
    }

    @Test func aNewPairIsWrittenByTheRunThatMadeItAndAnImportedOneByTheNextRun() throws {
        let (example, supabase) = try Self.example(plants: 2)
        // One site first (vysync's `--site-key`): only its pairs are in the tables.
        let one = try example.ferry(["run", "sites", "equipment", "--filter", "key=PV001"])
        #expect(one.status == 0, "\(one.stdout)\(one.stderr)")
        #expect(try supabase.rows("SELECT vcom_system_key FROM sites_mapping") == ["PV001"])
        #expect(try Self.differences(example, supabase).isEmpty)
        // The run that creates the other plant's site and materials writes their rows.
        let writes = supabase.writes.count
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try supabase.rows("SELECT vcom_system_key FROM sites_mapping") == ["PV001", "PV002"])
        #expect(try Self.differences(example, supabase).isEmpty)
        #expect(supabase.writes.count > writes)
        // A client added in Yuman and imported by the README's command reaches clients_mapping
        // on the next run, whichever pipeline it runs.
        example.yuman.add("clients", ["name": "Nord Soleil", "code": "CLI-NORD", "address": "Lille"])
        #expect(try example.importMappings()[1].status == 0)
        #expect(try example.ferry(["run", "sites"]).status == 0)
        #expect(try supabase.rows("SELECT code FROM clients_mapping WHERE code = 'CLI-NORD'") == ["CLI-NORD"])
        #expect(try Self.differences(example, supabase).isEmpty)
    }

    @Test func aFirstRunAdoptsTheSeedsTablesAndUpdatesWhatTheSeedCreated() throws {
        let (example, supabase) = try Self.example(plants: 2)
        // The seed created PV001's site and SIM in Yuman and recorded them in its tables; the
        // site's client in Yuman is not the one the operator's mapping gives.
        let other = try #require(example.yuman.objects("clients").first { $0.fields["code"] == "CLI-ALPES" }).id
        let site = example.yuman.add("sites", ["name": "Old name", "code": "PV001", "client_id": .int(Int64(other))])
        let sim = example.yuman.add(
            "materials",
            ["name": "Carte SIM", "serial_number": "SIM-PV001", "category_id": 11382, "site_id": .int(Int64(site))])
        try supabase.scratch.db.query(
            """
            INSERT INTO sites_mapping (vcom_system_key, yuman_site_id, name) VALUES ('PV001', \(site), 'Old name');
            INSERT INTO equipments_mapping (serial_number, yuman_material_id, category_id, eq_type)
            VALUES ('SIM-PV001', \(sim), 11382, 'sim'), ('STRING-01-WR1-MPPT-9.1-OTHER', 999, 12404, 'string_pv');
            """)
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // No second site or SIM for PV001: the seed's objects were updated in place (VCOM's name),
        // but not its client, which is a conflict for the operator (the policies' test says more).
        let problems = try example.problems()
        #expect(problems == ["PV001: client_id \(other)"], "\(problems)")
        #expect(example.yuman.requests.contains("PATCH /sites/\(site)"), "\(example.yuman.requests)")
        #expect(example.yuman.object("sites", id: site)?.fields["name"] == "Centrale 1")
        #expect(
            try example.sandbox.sql("state.db", "SELECT key || ' ' || field FROM conflicts") == ["\"PV001\" client_id"])
        #expect(try Self.idMap(example, "yuman/sites").contains("PV001|\(site)"))
        #expect(try Self.idMap(example, "yuman/sims").contains("SIM-PV001|\(sim)"))
        // A row of another kind is imported into its own kind's scope only.
        #expect(try Self.idMap(example, "yuman/strings").contains("STRING-01-WR1-MPPT-9.1-OTHER|999"))
        #expect(try !Self.idMap(example, "yuman/sims").contains { $0.hasPrefix("STRING-") })
        // The row's name follows the site's as Ferry sent it (VCOM's); the seed's other columns stay.
        #expect(
            try supabase.rows("SELECT name, ignore_site FROM sites_mapping WHERE vcom_system_key = 'PV001'")
                == ["Centrale 1|f"])
        let differences = try Self.differences(example, supabase)
        #expect(differences.isEmpty, "\(differences)")
    }

    @Test func aKillAtARandomWriteNeverLeavesAMappingRowMissingOrTwice() throws {
        var kills = 0
        for round in 0..<4 {
            let (example, supabase) = try Self.example(plants: 2, name: "kill\(round)")
            // About 30 writes in all reach Yuman and Supabase on a first run: kill after one of them.
            let point = Int.random(in: 1...30)
            let killed = try example.runKilled(afterWrite: point)
            if killed { kills += 1 }
            var last = try example.ferry()
            for _ in 0..<3 where last.status != 0 { last = try example.ferry() }
            #expect(last.status == 0, "round \(round), write \(point): \(last.stdout)\(last.stderr)")
            #expect(try example.problems().isEmpty, "round \(round), write \(point) (killed: \(killed))")
            let problems = try Self.differences(example, supabase)
            #expect(problems.isEmpty, "round \(round), write \(point) (killed: \(killed)): \(problems)")
            for table in ["sites_mapping": "vcom_system_key", "equipments_mapping": "serial_number"] {
                #expect(
                    try supabase.rows("SELECT count(*) - count(DISTINCT \(table.value)) FROM \(table.key)") == ["0"])
            }
        }
        #expect(kills > 0, "no round was killed: the first run makes fewer writes than thought")
    }
}
