import FerryTesting
import Foundation
import Testing

/// Fan-out end to end on the real `ferry`: repair orders in a JSONL file (jobs, each with
/// parts and labor) into four SQLite tables, with a record one output rejects, a rerun that
/// changes nothing, children removed from their order, and kills between two outputs' writes.
@Suite(.serialized) struct FanOutTests {
    /// The first export: RO-4's part has a price no cast accepts.
    static let firstExport = [
        #"{"id":"RO-1","shop_id":7,"number":1001,"status":"open","jobs":[{"id":11,"name":"Brakes","labor":[{"tech":"Ann","hours":1.5}],"parts":[{"sku":"P1","qty":2,"price":"12.50"},{"sku":"P2","qty":1,"price":"3.00"}]},{"id":12,"name":"Oil","labor":[{"tech":"Bob","hours":0.5}],"parts":[{"sku":"P3","qty":5,"price":"4.00"}]}]}"#,
        #"{"id":"RO-2","shop_id":7,"number":1002,"status":"open","jobs":[{"id":21,"name":"Tyres","labor":[],"parts":[{"sku":"P4","qty":4,"price":"80.00"}]}]}"#,
        #"{"id":"RO-3","shop_id":8,"number":1003,"status":"estimate","jobs":[]}"#,
        #"{"id":"RO-4","shop_id":8,"number":1004,"status":"open","jobs":[{"id":41,"name":"Lamp","labor":[{"tech":"Cy","hours":0.25}],"parts":[{"sku":"P5","qty":1,"price":"n/a"}]}]}"#,
    ]

    /// The next export: job 12 (with its part and labor) left RO-1, part P2 left job 11,
    /// RO-2 was closed and RO-4's price was fixed.
    static let secondExport = [
        #"{"id":"RO-1","shop_id":7,"number":1001,"status":"open","jobs":[{"id":11,"name":"Brakes","labor":[{"tech":"Ann","hours":1.5}],"parts":[{"sku":"P1","qty":2,"price":"12.50"}]}]}"#,
        #"{"id":"RO-2","shop_id":7,"number":1002,"status":"closed","jobs":[{"id":21,"name":"Tyres","labor":[],"parts":[{"sku":"P4","qty":4,"price":"80.00"}]}]}"#,
        #"{"id":"RO-3","shop_id":8,"number":1003,"status":"estimate","jobs":[]}"#,
        #"{"id":"RO-4","shop_id":8,"number":1004,"status":"open","jobs":[{"id":41,"name":"Lamp","labor":[{"tech":"Cy","hours":0.25}],"parts":[{"sku":"P5","qty":1,"price":"7.00"}]}]}"#,
    ]

    /// The pipeline, its destination connection given as YAML. `parts` is listed before
    /// `jobs` on purpose: outputs are written parents first whatever their order here.
    /// With `labor` set, the labor output goes to a connection of its own (YAML given), so the
    /// outputs no longer share one transaction: each output is then written alone.
    static func config(warehouse: String, labor: String? = nil) -> String {
        """
        state: state.db
        connections:
          orders_file: { plugin: file, config: { path: data/orders.jsonl, primary_key: id } }
          warehouse: \(warehouse)
          labor_db: \(labor ?? warehouse)
        pipelines:
          repair_orders:
            source: { connection: orders_file, stream: orders }
            sync: full
            write: upsert
            primary_key: [id]
            batch_size: 2
            transforms:
              - { op: rename, from: number, to: ro_number }
            outputs:
              - name: orders
                destination: { connection: warehouse, stream: repair_orders }
                transforms: [{ op: drop, fields: [jobs] }]
              - name: parts
                destination: { connection: warehouse, stream: job_parts }
                explode: jobs[*].parts
                primary_key: [job_id, sku]
                parent_key: [{ from: id, as: repair_order_id }, { from: "jobs[*].id", as: job_id }]
                replace_children: true
                transforms: [{ op: cast, field: price, to: money_cents }]
              - name: jobs
                destination: { connection: warehouse, stream: jobs }
                explode: jobs
                primary_key: [id]
                parent_key: { from: id, as: repair_order_id }
                index_as: position
                replace_children: true
                transforms: [{ op: drop, fields: [parts, labor] }]
              - name: labor
                destination: { connection: \(labor == nil ? "warehouse" : "labor_db"), stream: job_labor }
                explode: jobs[*].labor
                primary_key: [job_id, position]
                parent_key: { from: "jobs[*].id", as: job_id }
                index_as: position
                replace_children: true
        """
    }

    static func sandbox(_ lines: [String] = firstExport, separateLabor: Bool = false) throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            config(
                warehouse: "{ plugin: sqlite, config: { path: out/warehouse.db } }",
                labor: separateLabor ? "{ plugin: sqlite, config: { path: out/labor.db } }" : nil))
        try sandbox.write("data/orders.jsonl", lines.joined(separator: "\n") + "\n")
        return sandbox
    }

    /// Every table's rows, in a fixed order, as `sqlite3` prints them.
    static func tables(_ query: (String) throws -> [String], labor: ((String) throws -> [String])? = nil) throws
        -> [String: [String]]
    {
        let laborSQL = "SELECT job_id, position, tech, hours FROM job_labor ORDER BY job_id, position"
        let laborRows = try labor.map { try $0(laborSQL) } ?? query(laborSQL)
        return [
            "repair_orders": try query("SELECT id, shop_id, ro_number, status FROM repair_orders ORDER BY id"),
            "jobs": try query("SELECT repair_order_id, position, id, name FROM jobs ORDER BY id"),
            "job_parts": try query(
                "SELECT repair_order_id, job_id, sku, qty, price FROM job_parts ORDER BY job_id, sku"),
            "job_labor": laborRows,
        ]
    }

    /// The open dead letters: each one's record and error.
    static func deadLetters(_ sandbox: Sandbox, environment: [String: String] = [:]) throws
        -> [(record: String, error: String)]
    {
        let listed = try sandbox.ferry(["errors", "list", "--json"], environment: environment)
        let document = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
        let letters = try #require(document?["dead_letters"] as? [[String: Any]], "\(listed.stdout)")
        return letters.map { ($0["record"] as? String ?? "", $0["error"] as? String ?? "") }
    }

    static let afterFirstRun: [String: [String]] = [
        "repair_orders": ["RO-1|7|1001|open", "RO-2|7|1002|open", "RO-3|8|1003|estimate"],
        "jobs": ["RO-1|0|11|Brakes", "RO-1|1|12|Oil", "RO-2|0|21|Tyres"],
        "job_parts": ["RO-1|11|P1|2|1250", "RO-1|11|P2|1|300", "RO-1|12|P3|5|400", "RO-2|21|P4|4|8000"],
        "job_labor": ["11|0|Ann|1.5", "12|0|Bob|0.5"],
    ]

    static let afterSecondRun: [String: [String]] = [
        "repair_orders": ["RO-1|7|1001|open", "RO-2|7|1002|closed", "RO-3|8|1003|estimate", "RO-4|8|1004|open"],
        "jobs": ["RO-1|0|11|Brakes", "RO-2|0|21|Tyres", "RO-4|0|41|Lamp"],
        "job_parts": ["RO-1|11|P1|2|1250", "RO-2|21|P4|4|8000", "RO-4|41|P5|1|700"],
        "job_labor": ["11|0|Ann|1.5", "41|0|Cy|0.25"],
    ]

    @Test func aRepairOrderFansOutIntoFourTablesAndChildrenRemovedFromItAreDeleted() throws {
        let sandbox = try Self.sandbox()
        let query = { (sql: String) in try sandbox.sql("out/warehouse.db", sql) }

        let check = try sandbox.ferry(["check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(
            check.stdout.contains(
                "Outputs, parents first: orders → warehouse/repair_orders, jobs → warehouse/jobs (explode jobs[*], "
                    + "replace children), parts → warehouse/job_parts"), "\(check.stdout)")

        let first = try sandbox.ferry(["run"])
        #expect(first.status == 3, "RO-4's part price is not money: \(first.stdout)\(first.stderr)")
        #expect(try Self.tables(query) == Self.afterFirstRun)
        let letters = try Self.deadLetters(sandbox)
        #expect(letters.map(\.record) == [Self.firstExport[3]], "one letter holding RO-4 whole")
        #expect(letters.first?.error.hasPrefix("output 'parts' row 0: transform 1 (cast)") == true, "\(letters)")
        #expect(try query("SELECT COUNT(*) FROM jobs WHERE repair_order_id = 'RO-4'") == ["0"])
        #expect(try query("SELECT COUNT(*) FROM job_labor WHERE job_id = 41") == ["0"])

        // A rerun of the same export writes nothing and stores the dead letter no second time.
        let rerun = try sandbox.ferry(["run", "--json"])
        #expect(rerun.stdout.contains(#""written" : 0"#) || rerun.stdout.contains(#""written":0"#), "\(rerun.stdout)")
        #expect(try Self.tables(query) == Self.afterFirstRun)
        #expect(try Self.deadLetters(sandbox).count == 1)

        // Children removed from their order are deleted; changes and the fixed record land.
        try sandbox.write("data/orders.jsonl", Self.secondExport.joined(separator: "\n") + "\n")
        let diff = try sandbox.ferry(["run", "--diff"])
        #expect(diff.stdout.contains("- delete jobs 12"), "\(diff.stdout)")
        #expect(diff.stdout.contains("~ update orders \"RO-2\""), "\(diff.stdout)")
        #expect(diff.stdout.contains("+ create parts [41,\"P5\"]"), "\(diff.stdout)")
        #expect(try Self.tables(query) == Self.afterFirstRun, "a diff writes nothing")
        let second = try sandbox.ferry(["run"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try Self.tables(query) == Self.afterSecondRun)

        let third = try sandbox.ferry(["run", "--json"])
        #expect(third.status == 0)
        #expect(third.stdout.contains(#""written" : 0"#) || third.stdout.contains(#""written":0"#), "\(third.stdout)")
        #expect(try Self.tables(query) == Self.afterSecondRun)

        let status = try sandbox.ferry(["status"])
        #expect(
            status.stdout.contains(
                "repair_orders outputs: orders → warehouse/repair_orders; parts → warehouse/job_parts (explode "
                    + "jobs[*].parts[*], replace children)"), "\(status.stdout)")
    }

    @Test(arguments: [1, 2, 3, 5])
    func aKillBetweenTwoOutputsWritesLosesAndDuplicatesNothing(hit: Int) throws {
        // One SQLite connection for every output: the batch's writes are one transaction (ABI 1.2).
        let sandbox = try Self.sandbox(Self.secondExport)
        let query = { (sql: String) in try sandbox.sql("out/warehouse.db", sql) }
        let crashed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "between_outputs:kill:\(hit)"])
        #expect(crashed.status == -SIGKILL, "\(crashed.stderr)")
        // Batch 1 (RO-1, RO-2) hits the point three times: the kill rolled all of it back. Hit 5 is
        // in batch 2, after batch 1 committed: only batch 1's orders are there.
        let orders =
            try query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'repair_orders'") == ["1"]
            ? try query("SELECT id FROM repair_orders ORDER BY id") : []
        #expect(orders == (hit <= 3 ? [] : ["RO-1", "RO-2"]), "nothing of the killed batch is in the warehouse")
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try Self.tables(query) == Self.afterSecondRun)
        for table in ["jobs", "job_parts", "job_labor"] {
            #expect(try query("SELECT COUNT(*) FROM \(table)") == ["\(Self.afterSecondRun[table]!.count)"])
        }
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM checkpoints") == ["1"])
    }

    @Test(arguments: [1, 3])
    func outputsOnTwoConnectionsAreWrittenOneByOneAndAKillBetweenThemLosesNothing(hit: Int) throws {
        let sandbox = try Self.sandbox(Self.secondExport, separateLabor: true)
        let query = { (sql: String) in try sandbox.sql("out/warehouse.db", sql) }
        let labor = { (sql: String) in try sandbox.sql("out/labor.db", sql) }
        let crashed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "between_outputs:kill:\(hit)"])
        #expect(crashed.status == -SIGKILL, "\(crashed.stderr)")
        // Each output committed alone: batch 1's orders landed before the kill.
        #expect(try query("SELECT id FROM repair_orders ORDER BY id") == ["RO-1", "RO-2"])
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try Self.tables(query, labor: labor) == Self.afterSecondRun)
        let again = try sandbox.ferry(["run"])
        #expect(again.status == 0)
        #expect(try Self.tables(query, labor: labor) == Self.afterSecondRun)
    }

    @Test func aKillAfterTheDeletesBeforeTheCommitDeletesOnceAndTheRerunFinishes() throws {
        let sandbox = try Self.sandbox(Self.firstExport)
        let query = { (sql: String) in try sandbox.sql("out/warehouse.db", sql) }
        #expect(try sandbox.ferry(["run"]).status == 3)
        try sandbox.write("data/orders.jsonl", Self.secondExport.joined(separator: "\n") + "\n")
        // The first batch (RO-1, RO-2) deletes job 12 and two parts, then dies before its commit.
        let crashed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "after_write:kill:1"])
        #expect(crashed.status == -SIGKILL, "\(crashed.stderr)")
        #expect(try query("SELECT COUNT(*) FROM jobs WHERE id = 12") == ["0"])
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try Self.tables(query) == Self.afterSecondRun)
    }

    @Test func aRowTheDestinationRejectsDeadLettersItsRecordOnceAndItsChildrenAreNotSent() throws {
        // SQLite refuses a row whose fields differ only in letter case: job 51 is rejected.
        let bad =
            #"{"id":"RO-5","shop_id":9,"number":1005,"status":"open","jobs":[{"id":51,"name":"x","Name":"y","labor":[{"tech":"Di","hours":1}],"parts":[{"sku":"P9","qty":1,"price":"1.00"}]}]}"#
        let sandbox = try Self.sandbox(Self.secondExport + [bad])
        let query = { (sql: String) in try sandbox.sql("out/warehouse.db", sql) }
        let first = try sandbox.ferry(["run"])
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        let letters = try Self.deadLetters(sandbox)
        #expect(letters.map(\.record) == [bad])
        #expect(letters.first?.error.hasPrefix("output 'jobs' key 51: ") == true, "\(letters)")
        // Its parent row was written before the jobs; its parts and labor were never sent.
        #expect(try query("SELECT id FROM repair_orders WHERE id = 'RO-5'") == ["RO-5"])
        #expect(try query("SELECT COUNT(*) FROM job_parts WHERE job_id = 51") == ["0"])
        #expect(try query("SELECT COUNT(*) FROM job_labor WHERE job_id = 51") == ["0"])
        var expected = Self.afterSecondRun
        expected["repair_orders"]?.append("RO-5|9|1005|open")
        #expect(try Self.tables(query) == expected)
        // Its rows kept no hashes, so the rerun sends them again; the letter is not stored twice.
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 3)
        #expect(try Self.deadLetters(sandbox).count == 1)
        #expect(try Self.tables(query) == expected)
    }

    @Test func eachOutputKeepsItsOwnIDMapOfTheIdsTheDestinationAssigned() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            Self.config(warehouse: "{ plugin: sqlite, config: { path: out/warehouse.db, assigned_id: wid } }"))
        try sandbox.write("data/orders.jsonl", Self.secondExport.joined(separator: "\n") + "\n")
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let scopes = try sandbox.ferry(["idmap", "list"])
        for (scope, count) in [
            ("warehouse/repair_orders", 4), ("warehouse/jobs", 3), ("warehouse/job_parts", 3),
            ("warehouse/job_labor", 2),
        ] {
            #expect(
                scopes.stdout.split(separator: "\n").contains {
                    $0.split(separator: " ").map(String.init) == [scope, "\(count)"]
                },
                "\(scope): \(scopes.stdout)")
        }
        // Each mapping names the row's own key and the row SQLite numbered.
        let shown = try sandbox.ferry(["idmap", "show", "warehouse/jobs", "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let pairs = (document?["mappings"] as? [[String: Any]] ?? []).map {
            "\($0["source_id"] ?? "")|\($0["destination_id"] ?? "")"
        }
        let rows = try sandbox.sql("out/warehouse.db", "SELECT id, wid FROM jobs")
        #expect(pairs.sorted() == rows.sorted() && rows.count == 3, "\(shown.stdout)")
        let composite = try sandbox.ferry(["idmap", "show", "warehouse/job_parts"])
        #expect(composite.stdout.contains(#"[41,"P5"]"#), "\(composite.stdout)")
    }

    @Test func replaceChildrenStaysWithinMaxDelete() throws {
        let sandbox = try Self.sandbox(Self.secondExport)
        #expect(try sandbox.ferry(["run"]).status == 0)
        // Every job loses its parts at once: 3 of 3 parts, more than the default 50%.
        let bare = Self.secondExport.map { $0.replacingOccurrences(of: #""parts":[{"#, with: #""parts":[],"old":[{"#) }
        try sandbox.write("data/orders.jsonl", bare.joined(separator: "\n") + "\n")
        let refused = try sandbox.ferry(["run"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("output 'parts' (replace_children) refused to delete"), "\(refused.stderr)")
        #expect(try sandbox.sql("out/warehouse.db", "SELECT COUNT(*) FROM job_parts") == ["3"])
        let allowed = try sandbox.ferry(["run", "--max-delete", "100%"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try sandbox.sql("out/warehouse.db", "SELECT COUNT(*) FROM job_parts") == ["0"])
        #expect(try sandbox.sql("out/warehouse.db", "SELECT COUNT(*) FROM jobs") == ["3"])
    }

    @Test func theSameFanOutIntoPostgreSQL() throws {
        if ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] == "1" { return }
        guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"], !dsn.isEmpty else {
            Issue.record(
                "FERRY_TEST_PG_DSN is not set: run scripts/test.sh (it starts a PostgreSQL server); FERRY_SKIP_POSTGRES=1 skips this test"
            )
            return
        }
        let schema = "fanout_\(UInt32.random(in: 0...UInt32.max))"
        let psql = { (sql: String) in
            try Sandbox.outputLines(of: "/usr/bin/psql", [dsn, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        }
        defer { _ = try? psql("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            Self.config(warehouse: #"{ plugin: postgres, config: { dsn: "${WAREHOUSE_DSN}", schema: \#(schema) } }"#))
        try sandbox.write("data/orders.jsonl", Self.firstExport.joined(separator: "\n") + "\n")
        let environment = ["WAREHOUSE_DSN": dsn]
        let query = { (sql: String) in
            try psql(sql.replacingOccurrences(of: " FROM ", with: " FROM \(schema)."))
        }

        let first = try sandbox.ferry(["run"], environment: environment)
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(try Self.tables(query) == Self.afterFirstRun)
        let letters = try Self.deadLetters(sandbox, environment: environment)
        #expect(letters.map(\.record) == [Self.firstExport[3]])

        let rerun = try sandbox.ferry(["run", "--json"], environment: environment)
        #expect(rerun.stdout.contains(#""written" : 0"#) || rerun.stdout.contains(#""written":0"#), "\(rerun.stdout)")
        #expect(try Self.tables(query) == Self.afterFirstRun)

        try sandbox.write("data/orders.jsonl", Self.secondExport.joined(separator: "\n") + "\n")
        let crashed = try sandbox.ferry(
            ["run"], environment: environment.merging(["FERRY_FAILPOINTS": "between_outputs:kill:2"]) { $1 })
        #expect(crashed.status == -SIGKILL, "\(crashed.stderr)")
        // The killed batch's orders were written in a transaction the kill rolled back.
        #expect(try psql("SELECT status FROM \(schema).repair_orders WHERE id = 'RO-2'") == ["open"])
        let second = try sandbox.ferry(["run"], environment: environment)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try Self.tables(query) == Self.afterSecondRun)
        let third = try sandbox.ferry(["run", "--json"], environment: environment)
        #expect(third.stdout.contains(#""written" : 0"#) || third.stdout.contains(#""written":0"#), "\(third.stdout)")
        #expect(try Self.tables(query) == Self.afterSecondRun)
    }
}
