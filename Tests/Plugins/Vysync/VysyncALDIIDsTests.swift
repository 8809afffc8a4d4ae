import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The seed's ALDI ids in `examples/vysync/`: `aldi_id` and `aldi_store_id`, kept by hand in
/// Supabase's `sites_mapping`, fill the site's two ALDI custom fields only while Yuman's are
/// empty; a field whose blueprint id is not set is not sent. The real `ferry`, the simulators
/// and the PostgREST-protocol server on the real PostgreSQL.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct VysyncALDIIDsTests {
    static let aldiID = YumanSimulator.aldiIDBlueprint
    static let storeID = YumanSimulator.aldiStoreIDBlueprint
    static let bothBlueprints = [
        "VYSYNC_ALDI_ID_BLUEPRINT": "\(aldiID)", "VYSYNC_ALDI_STORE_ID_BLUEPRINT": "\(storeID)",
    ]

    /// The blueprint ids of a site's custom fields, in the order Yuman holds them.
    static func blueprints(_ site: YumanSimulator.Object?) -> [Int64] {
        (site?.fields["fields"]?.arrayValue ?? []).compactMap { $0["blueprint_id"]?.intValue }
    }

    /// Yuman's writes (requests other than GET) after the first `since`.
    static func writes(_ example: VysyncExample, since: Int) -> [String] {
        example.yuman.requests.dropFirst(since).filter { !$0.hasPrefix("GET") }
    }

    @Test func theALDIIdsFromSitesMappingAreFilledOnlyWhileYumansAreEmpty() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 3)
        try supabase.scratch.db.query(
            """
            INSERT INTO sites_mapping (vcom_system_key, aldi_id, aldi_store_id)
            VALUES ('PV001', 'ALDI-1001', 'STORE-11'), ('PV002', 'ALDI-1002', NULL)
            """)
        let first = try example.ferry(environment: Self.bothBlueprints)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let ids = try ["PV001", "PV002", "PV003"].map { try VysyncPoliciesTests.site(example, $0).id }
        let sites = { ids.map { example.yuman.object("sites", id: $0) } }
        #expect(sites().map { VysyncIgnoreSiteTests.custom($0, Self.aldiID) } == ["ALDI-1001", "ALDI-1002", .null])
        #expect(sites().map { VysyncIgnoreSiteTests.custom($0, Self.storeID) } == ["STORE-11", .null, .null])
        #expect(sites().allSatisfy { Self.blueprints($0) == [13583, 13582, 13585, 13586, Self.aldiID, Self.storeID] })

        // In Yuman someone types PV001's ALDI id and clears PV002's; in the table both change.
        for (id, value) in [(ids[0], JSONValue.string("ALDI-9999")), (ids[1], .null)] {
            let fields = (example.yuman.object("sites", id: id)?.fields["fields"]?.arrayValue ?? []).map { field in
                field["blueprint_id"]?.intValue == Self.aldiID
                    ? ["blueprint_id": .int(Self.aldiID), "value": value] : field
            }
            example.yuman.edit("sites", id: id, ["fields": .array(fields)])
        }
        try supabase.scratch.db.query(
            """
            UPDATE sites_mapping SET aldi_id = 'ALDI-2001' WHERE vcom_system_key = 'PV001';
            UPDATE sites_mapping SET aldi_id = 'ALDI-2002' WHERE vcom_system_key = 'PV002';
            """)
        let run = try example.ferry(environment: Self.bothBlueprints)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(VysyncIgnoreSiteTests.custom(sites()[0], Self.aldiID) == "ALDI-9999", "typed in Yuman: kept")
        #expect(VysyncIgnoreSiteTests.custom(sites()[1], Self.aldiID) == "ALDI-2002", "cleared in Yuman: filled")
        #expect(VysyncIgnoreSiteTests.custom(sites()[0], Self.storeID) == "STORE-11")
        #expect(try example.sandbox.sql("state.db", "SELECT count(*) FROM conflicts") == ["0"])

        // A rerun writes nothing to Yuman.
        let before = example.yuman.requests.count
        let rerun = try example.ferry(environment: Self.bothBlueprints)
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(Self.writes(example, since: before).isEmpty, "\(Self.writes(example, since: before))")
        #expect(try example.problems().filter { !$0.contains("custom fields") }.isEmpty)
    }

    @Test func anALDIFieldWhoseBlueprintIsNotSetIsNotSent() throws {
        let (example, supabase) = try VysyncMappingTablesTests.example(plants: 2)
        try supabase.scratch.db.query(
            """
            INSERT INTO sites_mapping (vcom_system_key, aldi_id, aldi_store_id)
            VALUES ('PV001', 'ALDI-1001', 'STORE-11'), ('PV002', 'ALDI-1002', 'STORE-12')
            """)
        // Neither blueprint set (the default): the sites get the four other custom fields only.
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try example.problems().isEmpty)
        for key in ["PV001", "PV002"] {
            #expect(Self.blueprints(try VysyncPoliciesTests.site(example, key)) == [13583, 13582, 13585, 13586])
        }

        // The operator finds the ALDI id's blueprint, not the store id's (set empty): the next run
        // fills that field in each site, and sends no entry for the other.
        let only = ["VYSYNC_ALDI_ID_BLUEPRINT": "\(Self.aldiID)", "VYSYNC_ALDI_STORE_ID_BLUEPRINT": ""]
        let next = try example.ferry(environment: only)
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(try example.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["0"])
        for key in ["PV001", "PV002"] {
            let site = try VysyncPoliciesTests.site(example, key)
            #expect(Self.blueprints(site) == [13583, 13582, 13585, 13586, Self.aldiID], "\(key)")
            #expect(VysyncIgnoreSiteTests.custom(site, Self.aldiID) == .string("ALDI-100\(key.suffix(1))"))
        }
        let before = example.yuman.requests.count
        let rerun = try example.ferry(environment: only)
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(Self.writes(example, since: before).isEmpty, "\(Self.writes(example, since: before))")
    }
}
