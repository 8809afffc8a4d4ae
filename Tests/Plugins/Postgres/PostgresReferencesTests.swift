import FerryJSON
import FerryPluginSDK
import Testing

/// `references`: after each batch, a column of the rows written takes the generated key of
/// the row another table holds for the same natural key (a job's `repair_order_id`).
@Suite(.enabled(if: !PostgresTest.skipped)) struct PostgresReferencesTests {
    static let references: JSONValue = [
        "jobs": [
            [
                "column": "order_id", "table": "orders", "match": ["shop": "shop", "order_no": "no"],
                "select": "id",
            ]
        ]
    ]

    func scratch() throws -> PostgresScratch {
        let scratch = try PostgresScratch()
        try scratch.query(
            """
            CREATE TABLE orders (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), shop bigint, no bigint, UNIQUE (shop, no));
            CREATE TABLE jobs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), shop bigint, no bigint, order_no bigint,
              order_id uuid REFERENCES orders (id), UNIQUE (shop, no));
            """)
        return scratch
    }

    /// A parent written in the same multi-write transaction is found; only the batch's rows
    /// are touched; a row whose parent does not exist yet keeps a null link until a later
    /// batch brings the parent and the child again.
    @Test func childrenTakeTheirParentsGeneratedKey() throws {
        let scratch = try scratch()
        let destination = try scratch.open(["references": Self.references])
        let upsert = { (stream: String, commit: Bool) in
            WriteRequest(
                stream: stream, operation: .upsert, primaryKey: ["shop", "no"], batchID: stream,
                transaction: WriteTransaction(id: "t1", commit: commit))
        }
        _ = try destination.write(upsert("orders", false), records: [["shop": 1, "no": 10], ["shop": 2, "no": 10]])
        let jobs = try destination.write(
            upsert("jobs", true),
            records: [
                ["shop": 1, "no": 100, "order_no": 10], ["shop": 2, "no": 101, "order_no": 10],
                ["shop": 1, "no": 102, "order_no": 11],
            ])
        #expect(jobs.rejectedIndexes.isEmpty)
        let linked = try scratch.query(
            "SELECT j.no, o.shop, o.no FROM jobs j LEFT JOIN orders o ON o.id = j.order_id ORDER BY j.no")
        #expect(linked == [["100", "1", "10"], ["101", "2", "10"], ["102", nil, nil]])

        // The missing parent arrives; the child, written again, is linked.
        _ = try destination.write(
            WriteRequest(stream: "orders", operation: .upsert, primaryKey: ["shop", "no"], batchID: "o2"),
            records: [["shop": 1, "no": 11]])
        _ = try destination.write(
            WriteRequest(stream: "jobs", operation: .upsert, primaryKey: ["shop", "no"], batchID: "j2"),
            records: [["shop": 1, "no": 102, "order_no": 11]])
        #expect(
            try scratch.query("SELECT o.no FROM jobs j JOIN orders o ON o.id = j.order_id WHERE j.no = 102") == [["11"]]
        )
    }

    @Test func mistakesAreNamed() throws {
        let scratch = try scratch()
        let bad: [(JSONValue, String)] = [
            (["jobs": ["column": "order_id"]], "config.references.jobs must be a list of objects"),
            (
                ["jobs": [["column": "order_id", "table": "orders", "select": "id"]]],
                "config.references.jobs[0].match is required: This table's columns mapped to the other's"
            ),
            (
                [
                    "jobs": [
                        ["column": "order_id", "table": "orders", "match": ["shop": "shop"], "select": "id", "on": 1]
                    ]
                ],
                "config.references.jobs[0]: unknown key 'on'"
            ),
        ]
        for (references, message) in bad {
            let error = try #require(throws: PluginError.self) { try scratch.open(["references": references]) }
            #expect(error.message.contains(message), "\(error.message)")
        }
        let destination = try scratch.open([
            "references": [
                "jobs": [["column": "parent_id", "table": "orders", "match": ["shop": "shop"], "select": "id"]]
            ]
        ])
        let error = try #require(throws: PluginError.self) {
            try destination.write(
                WriteRequest(stream: "jobs", operation: .upsert, primaryKey: ["shop", "no"], batchID: "x"),
                records: [["shop": 1, "no": 1, "order_no": 1]])
        }
        #expect(error.message.contains("'parent_id' is not a column of"), "\(error.message)")
        #expect(try scratch.query("SELECT count(*) FROM jobs") == [["0"]])
    }
}
