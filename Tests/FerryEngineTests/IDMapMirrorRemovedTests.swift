import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Testing

@testable import FerryEngine

/// `id_map_mirrors: … removed:` on the real engine and the real `sqlite` plugin as the table:
/// the row of a pair that leaves the ID map is kept and marked, not left looking live, and
/// comes back live when the pair does.
@Suite struct IDMapMirrorRemovedTests {
    static let config = """
        state: state.db
        connections:
          counter: { plugin: demo, config: { count: 3 } }
          sink: { plugin: demo, config: {} }
          tables: { plugin: sqlite, config: { path: tables.db } }
        id_map_mirrors:
          shop/things:
            connection: tables
            stream: things_mapping
            source_field: code
            destination_field: shop_id
            fields: { is_obsolete: false }
            removed: { is_obsolete: true }
            import: never
        pipelines:
          numbers: { source: { connection: counter, stream: numbers }, destination: { connection: sink, stream: numbers } }
        """

    func run(_ workspace: Workspace) throws {
        let plan = try workspace.plan(try workspace.pipelines(named: ["numbers"])[0])
        let report = try PipelineRunner(
            plan: plan, store: workspace.store, options: RunOptions(), logger: workspace.logger
        )
        .run()
        #expect(report.status == .succeeded)
    }

    @Test func aPairThatLeavesTheIDMapKeepsItsRowMarkedUntilItComesBack() throws {
        let sandbox = try Sandbox()
        let workspace = try Workspace(
            configPath: try sandbox.write("ferry.yaml", Self.config), site: nil, logLevel: .error)
        func rows() throws -> [String] {
            try sandbox.sql("tables.db", "SELECT code || '|' || shop_id || '|' || is_obsolete FROM things_mapping")
                .sorted()
        }
        try workspace.store.setDestinationIDs([("A", "1"), ("B", "2")], scope: "shop/things")
        try run(workspace)
        #expect(try rows() == ["A|1|0", "B|2|0"])

        // B leaves the ID map (as a mirror-mode delete or a vanished fan-out child makes it).
        _ = try sandbox.sql("state.db", "DELETE FROM id_map WHERE scope = 'shop/things' AND source_id = 'B'")
        try run(workspace)
        #expect(try rows() == ["A|1|0", "B|2|1"])
        // Marked once: the table is no longer held to have it, so nothing more is written.
        let held = try #require(
            try workspace.store.value(scope: IDMapMirror.stateScope, key: "shop/things → tables/things_mapping"))
        #expect(held == #"{"A":"1"}"#)
        try run(workspace)
        #expect(try rows() == ["A|1|0", "B|2|1"])

        // B comes back under another id: its row is live again.
        try workspace.store.setDestinationID("7", scope: "shop/things", sourceID: "B")
        try run(workspace)
        #expect(try rows() == ["A|1|0", "B|7|0"])
    }
}
