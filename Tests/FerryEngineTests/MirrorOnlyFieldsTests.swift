import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `mirror_only:` on the real `ferry`, the real `file` and `sqlite` plugins: a field the records
/// carry for an `id_map_mirrors:` column reaches the mapping table and never the destination,
/// on a pipeline and on a fan-out output, and a change to it alone rewrites the row.
@Suite struct MirrorOnlyFieldsTests {
    static let config = """
        state: state.db
        connections:
          orders_file: { plugin: file, config: { path: data/orders.jsonl, primary_key: code } }
          shop: { plugin: sqlite, config: { path: shop.db, assigned_id: id } }
          tables: { plugin: sqlite, config: { path: tables.db } }
        id_map_mirrors:
          shop/orders:
            connection: tables
            stream: orders_mapping
            source_field: code
            destination_field: shop_id
            columns: { name: name, region: region }
            import: never
          shop/lines:
            connection: tables
            stream: lines_mapping
            source_field: sku
            destination_field: shop_id
            columns: { order_code: order_code }
            import: never
        pipelines:
          orders:
            source: { connection: orders_file, stream: orders }
            destination: { connection: shop, stream: orders }
            write: upsert
            transforms: [{ op: drop, fields: [lines] }]
            mirror_only: [region]
          lines:
            source: { connection: orders_file, stream: orders }
            sync: full
            write: upsert
            outputs:
              - name: lines
                destination: { connection: shop, stream: lines }
                explode: lines
                primary_key: [sku]
                parent_key: { from: code, as: order_code }
                mirror_only: [order_code]
        """

    static func orders(region: String) -> String {
        [
            #"{"code":"A","name":"First","region":"\#(region)","lines":[{"sku":"A-1","qty":2},{"sku":"A-2","qty":1}]}"#,
            #"{"code":"B","name":"Second","region":"south","lines":[{"sku":"B-1","qty":5}]}"#,
        ].joined(separator: "\n") + "\n"
    }

    static func columns(_ sandbox: Sandbox, _ table: String) throws -> [String] {
        try sandbox.sql("shop.db", "SELECT name FROM pragma_table_info('\(table)') ORDER BY name")
    }

    @Test func aMirrorOnlyFieldReachesTheMappingTableAndNeverTheDestination() throws {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config)
        try sandbox.write("data/orders.jsonl", Self.orders(region: "north"))
        let first = try sandbox.ferry(["run"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")

        // The destination's tables never got the fields; the mapping tables have them, by pair.
        #expect(try Self.columns(sandbox, "orders") == ["code", "id", "name"])
        #expect(try Self.columns(sandbox, "lines") == ["id", "qty", "sku"])
        let orderIDs = try sandbox.sql("shop.db", "SELECT code || '=' || id FROM orders ORDER BY code")
        #expect(
            try sandbox.sql(
                "tables.db",
                "SELECT code || '=' || shop_id || '|' || name || '|' || region FROM orders_mapping ORDER BY code")
                == zip(orderIDs, ["First|north", "Second|south"]).map { "\($0)|\($1)" })
        #expect(
            try sandbox.sql("tables.db", "SELECT sku || '|' || order_code FROM lines_mapping ORDER BY sku")
                == ["A-1|A", "A-2|A", "B-1|B"])

        // A rerun writes no mapping row (triggers count every insert and update from now on).
        for table in ["orders_mapping", "lines_mapping"] {
            for event in ["INSERT", "UPDATE"] {
                _ = try sandbox.sql(
                    "tables.db",
                    "CREATE TABLE IF NOT EXISTS writes (tbl TEXT); CREATE TRIGGER \(table)_\(event) AFTER \(event) ON \(table) BEGIN INSERT INTO writes VALUES ('\(table)'); END;"
                )
            }
        }
        let second = try sandbox.ferry(["run"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try sandbox.sql("tables.db", "SELECT count(*) FROM writes") == ["0"])

        // Only the mirror-only field changes: the record counts as changed (its hash covers the
        // field), and the mapping row follows; the destination's columns stay as they were.
        try sandbox.write("data/orders.jsonl", Self.orders(region: "east"))
        let third = try sandbox.ferry(["run", "orders"])
        #expect(third.status == 0, "\(third.stdout)\(third.stderr)")
        #expect(
            try sandbox.sql("tables.db", "SELECT code || '|' || region FROM orders_mapping ORDER BY code")
                == ["A|east", "B|south"])
        #expect(try sandbox.sql("tables.db", "SELECT tbl FROM writes") == ["orders_mapping"])
        #expect(try Self.columns(sandbox, "orders") == ["code", "id", "name"])
    }

    @Test func aKeyFieldOrATwoWayPipelineIsRefusedNamingTheField() throws {
        func problem(_ yaml: String) throws -> String {
            try #require(throws: ConfigError.self) { try FerryConfig.parse(yaml: yaml, file: "ferry.yaml") }
                .description
        }
        let base = """
            connections:
              a: { plugin: demo }
              b: { plugin: demo }
            pipelines:
              p:
                source: { connection: a, stream: s }
                destination: { connection: b, stream: s }
                primary_key: [code]

            """
        let key = try problem(base + "    mirror_only: [code]\n")
        #expect(key.contains("mirror_only") && key.contains("'code' is a primary key field"), "\(key)")
        let twoWay = try problem(
            base + "    write: upsert\n    conflicts: { default: source_wins }\n    mirror_only: [region]\n")
        #expect(twoWay.contains("mirror_only") && twoWay.contains("conflicts"), "\(twoWay)")
        let nested = try problem(base + "    mirror_only: [a.b]\n")
        #expect(nested.contains("top-level field"), "\(nested)")
    }
}
