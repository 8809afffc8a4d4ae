import FerryTesting
import Foundation
import Testing

/// The real `ferry` with its state on PostgreSQL (`FERRY_STATE_URL`): a file → SQLite pipeline
/// runs, a rerun changes nothing, `ferry status` reads the runs back, and no state file appears.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] != "1", "FERRY_SKIP_POSTGRES=1"))
struct PostgresStateCommandTests {
    static func stateURL() throws -> String {
        guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"], !dsn.isEmpty else {
            throw CLITestError(
                "FERRY_TEST_PG_DSN is not set: run scripts/test.sh (it starts a PostgreSQL server); FERRY_SKIP_POSTGRES=1 skips this test"
            )
        }
        let schema = "ferry_cli_" + UUID().uuidString.prefix(8).lowercased()
        return dsn + (dsn.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    static func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        let orders = (1...50).map { #"{"order_id":\#($0),"total":\#($0 * 10)}"# }.joined(separator: "\n")
        try sandbox.write("orders.jsonl", orders + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: local-state.db
            connections:
              orders_file: { plugin: file, config: { path: orders.jsonl, primary_key: order_id } }
              warehouse: { plugin: sqlite, config: { path: out/warehouse.db } }
            pipelines:
              orders:
                source: { connection: orders_file, stream: orders }
                destination: { connection: warehouse, stream: orders }
                write: upsert
            """)
        return sandbox
    }

    @Test func aRunKeepsItsStateInPostgresAndARerunChangesNothing() throws {
        let sandbox = try Self.sandbox()
        let environment = ["FERRY_STATE_URL": try Self.stateURL()]
        let first = try sandbox.ferry(["run", "--json"], environment: environment)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let firstRun = try Self.onlyRun(first.stdout)
        #expect(firstRun["read"] as? Int == 50 && firstRun["written"] as? Int == 50, "\(first.stdout)")
        #expect(try sandbox.sql("out/warehouse.db", "SELECT COUNT(*), SUM(total) FROM orders;") == ["50|12750"])

        let second = try sandbox.ferry(["run", "--json"], environment: environment)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let secondRun = try Self.onlyRun(second.stdout)
        // The file's checkpoint came back from PostgreSQL: nothing new to read.
        #expect(secondRun["read"] as? Int == 0 && secondRun["written"] as? Int == 0, "\(second.stdout)")
        let checkpoints = try sandbox.ferry(["state", "show"], environment: environment)
        #expect(checkpoints.status == 0 && checkpoints.stdout.contains("orders"), "\(checkpoints.stdout)")

        let status = try sandbox.ferry(["status"], environment: environment)
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("orders") && status.stdout.contains("succeeded"), "\(status.stdout)")
        let text = try sandbox.ferry(["run"], environment: environment)
        #expect(text.stdout.contains("State: postgres://127.0.0.1:"), "\(text.stdout)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("local-state.db")), "the file must stay unused")

        // Without the variable the same config uses its own file and starts afresh.
        let local = try sandbox.ferry(["run", "--json"])
        let localRun = try Self.onlyRun(local.stdout)
        #expect(localRun["read"] as? Int == 50 && localRun["unchanged"] as? Int == 0, "\(local.stdout)")
        #expect(FileManager.default.fileExists(atPath: sandbox.path("local-state.db")))
    }

    @Test func anUnreachableServerIsNamedAndItsPasswordNeverShown() throws {
        let sandbox = try Self.sandbox()
        let outcome = try sandbox.ferry(
            ["run"], environment: ["FERRY_STATE_URL": "postgres://ferry:Sup3r-Secret-PW@127.0.0.1:1/state"])
        #expect(outcome.status != 0)
        let output = outcome.stdout + outcome.stderr
        #expect(output.contains("cannot connect to 127.0.0.1:1/state"), "\(output)")
        #expect(!output.contains("Sup3r-Secret-PW"), "\(output)")
    }

    private static func onlyRun(_ json: String) throws -> [String: Any] {
        let document = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        guard let runs = document?["runs"] as? [[String: Any]], runs.count == 1 else {
            throw CLITestError("expected one run in \(json)")
        }
        return runs[0]
    }
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
