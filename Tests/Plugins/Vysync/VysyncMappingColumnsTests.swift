import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The mapping tables' descriptive columns (`id_map_mirrors: … columns:`): a site's `name` and
/// `client_map_id`, an equipment's `name`, `brand` and `model`, as the pipelines last sent them
/// to Yuman, and its system's `vcom_system_key` (carried, not sent: `mirror_only`), on the real `ferry`, the real `postgrest` plugin and the PostgREST-protocol server
/// on the real PostgreSQL.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct VysyncMappingColumnsTests {
    /// `sites_mapping` as `key|name|code of the client its client_map_id names`.
    static let siteRows = """
        SELECT s.vcom_system_key, s.name, c.code
        FROM sites_mapping s LEFT JOIN clients_mapping c ON c.id = s.client_map_id
        """

    /// What `siteRows` must say: each Yuman site's code, name and client's code.
    static func expectedSites(_ example: VysyncExample) -> [String] {
        let clients = Dictionary(
            uniqueKeysWithValues: example.yuman.objects("clients").map { ($0.id, $0.fields["code"]?.stringValue) })
        return example.yuman.objects("sites").map { site in
            let client = site.fields["client_id"].map(YumanSimulator.text).flatMap { Int($0) }.flatMap { clients[$0] }
            return [site.fields["code"]?.stringValue, site.fields["name"]?.stringValue, client ?? nil]
                .map { $0 ?? "∅" }.joined(separator: "|")
        }.sorted()
    }

    /// Each Yuman material as `serial|name|brand|model|system key` (its site's code), as
    /// `equipments_mapping` must hold it.
    static func expectedMaterials(_ example: VysyncExample) -> [String] {
        let codes = Dictionary(
            uniqueKeysWithValues: example.yuman.objects("sites").map { ($0.id, $0.fields["code"]?.stringValue) })
        return example.yuman.objects("materials").map { material in
            let site = material.fields["site_id"].map(YumanSimulator.text).flatMap { Int($0) }
            return
                (["serial_number", "name", "brand", "model"].map { material.fields[$0]?.stringValue }
                + [site.flatMap { codes[$0] } ?? nil]).map { $0 ?? "∅" }.joined(separator: "|")
        }.sorted()
    }

    static let materialRows = "SELECT serial_number, name, brand, model, vcom_system_key FROM equipments_mapping"

    /// A string and an inverter VCOM drops stay in Yuman and leave the ID map
    /// (`VysyncDroppedEquipmentTests`); their rows stay in `equipments_mapping`, flagged
    /// `is_obsolete` as the seed flags them.
    @Test func equipmentVCOMDropsKeepsItsRowMarkedObsolete() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 3)
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try supabase.rows("SELECT count(*) FROM equipments_mapping WHERE is_obsolete") == ["0"])
        let materials = try supabase.rows("SELECT count(*) FROM equipments_mapping")
        try VysyncDroppedEquipmentTests.dropEquipment(example)
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            try supabase.rows("SELECT serial_number FROM equipments_mapping WHERE is_obsolete ORDER BY serial_number")
                == [VysyncDroppedEquipmentTests.droppedString, VysyncDroppedEquipmentTests.droppedInverter].sorted())
        #expect(try supabase.rows("SELECT count(*) FROM equipments_mapping") == materials)
        try VysyncDroppedEquipmentTests.expectForgotten(example)
    }

    @Test func theTablesCarryTheNamesClientsBrandsAndModelsSentToYumanAndFollowAChange() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 3)
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let sites = try supabase.rows(Self.siteRows)
        #expect(sites == Self.expectedSites(example), "\(sites)")
        #expect(sites.count == 3 && sites.allSatisfy { !$0.contains("∅") }, "\(sites)")
        let materials = try supabase.rows(Self.materialRows)
        #expect(materials == Self.expectedMaterials(example))
        // Every row with its system's key (`mirror_only`), which Yuman's materials never received.
        #expect(try supabase.rows("SELECT count(*) FROM equipments_mapping WHERE vcom_system_key IS NULL") == ["0"])
        #expect(
            try supabase.rows(
                "SELECT vcom_system_key FROM equipments_mapping WHERE serial_number = 'STRING-01-WR1-MPPT-9.1-PV002'")
                == ["PV002"])
        #expect(example.yuman.objects("materials").allSatisfy { $0.fields["system_key"] == nil })
        // The inverters and modules carry a brand and model, a SIM none (Yuman's users keep it).
        #expect(
            try supabase.rows(
                "SELECT count(*) FROM equipments_mapping WHERE eq_type IN ('inverter', 'module') AND brand IS NULL")
                == ["0"])
        #expect(try supabase.rows("SELECT brand FROM equipments_mapping WHERE serial_number = 'SIM-PV001'") == ["∅"])
        // Still the ID map's pairs, and a rerun writes nothing.
        #expect(try VysyncMappingTablesTests.differences(example, supabase).isEmpty)
        var writes = supabase.writes.count
        #expect(try example.ferry().status == 0)
        #expect(supabase.writes.count == writes, "\(supabase.writes.dropFirst(writes))")

        // PV001 moves to another client in the operator's mapping: its row follows, with one
        // write to sites_mapping; the others stay.
        let other = try #require(
            Set(VysyncExample.clients.keys).subtracting([try example.clientCodes()["PV001"]!]).first)
        try VysyncPoliciesTests.remap(example, ["PV001": other])
        writes = supabase.writes.count
        let moved = try example.ferry()
        #expect(moved.status == 0, "\(moved.stdout)\(moved.stderr)")
        let after = try supabase.rows(Self.siteRows)
        #expect(after == Self.expectedSites(example), "\(after)")
        #expect(after.contains { $0.hasPrefix("PV001|") && $0.hasSuffix("|\(other)") }, "\(after)")
        let siteWrites = supabase.writes.dropFirst(writes).filter { $0.contains("sites_mapping") }
        #expect(siteWrites.count == 1, "\(siteWrites)")
    }

    @Test func aKillAtARandomWriteLeavesEveryRowWithItsColumns() throws {
        var kills = 0
        for round in 0..<3 {
            let (example, supabase) = try VysyncMappingTablesTests.example(plants: 2, name: "kill\(round)")
            let point = Int.random(in: 1...30)
            let (killed, last) = try example.killedThenRerun(afterWrite: point)
            if killed { kills += 1 }
            let context = "round \(round), kill after write \(point)"
            #expect(last.status == 0, "\(context): \(last.stdout)\(last.stderr)")
            #expect(try supabase.rows(Self.siteRows) == Self.expectedSites(example), "\(context)")
            #expect(
                try supabase.rows(Self.materialRows) == Self.expectedMaterials(example), "\(context)")
        }
        #expect(kills > 0, "no round was killed: the first run makes fewer writes than thought")
    }
}
