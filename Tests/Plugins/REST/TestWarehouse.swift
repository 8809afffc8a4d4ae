import FerryTesting
import Foundation
import Testing

/// Where an end-to-end test writes: the sqlite connector's file in the sandbox, or a schema
/// of its own in the real PostgreSQL that scripts/test.sh starts (`FERRY_TEST_PG_DSN`).
struct TestWarehouse {
    enum Kind: String, CustomStringConvertible {
        case sqlite, postgres
        var description: String { rawValue }
    }

    /// The `warehouse` connection's YAML (indented for `connections:`).
    let connection: String
    private let sandbox: Sandbox
    private let dsn: String?
    private let schema: String?

    /// The warehouse, or nil (with the test failed) when PostgreSQL is asked for without a server.
    init?(_ kind: Kind, sandbox: Sandbox) {
        self.sandbox = sandbox
        switch kind {
        case .sqlite:
            connection = "  warehouse: { plugin: sqlite, config: { path: warehouse.db } }"
            dsn = nil
            schema = nil
        case .postgres:
            guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"], !dsn.isEmpty else {
                Issue.record(
                    "FERRY_TEST_PG_DSN is not set: run scripts/test.sh (it starts a PostgreSQL server); FERRY_SKIP_POSTGRES=1 skips this test"
                )
                return nil
            }
            self.dsn = dsn
            let schema = "rest_e2e_\(UInt32.random(in: 0...UInt32.max))"
            self.schema = schema
            connection = "  warehouse: { plugin: postgres, config: { dsn: \"\(dsn)\", schema: \(schema) } }"
        }
    }

    /// A table's name as SQL names it.
    func table(_ name: String) -> String { schema.map { "\($0).\(name)" } ?? name }

    /// Rows of a query, columns joined by `|`.
    func rows(_ sql: String) throws -> [String] {
        guard let dsn else { return try sandbox.sql("warehouse.db", sql) }
        return try Sandbox.outputLines(of: "/usr/bin/psql", [dsn, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Drops the test's schema.
    func dropSchema() {
        guard let dsn, let schema else { return }
        _ = try? Sandbox.outputLines(
            of: "/usr/bin/psql", [dsn, "-At", "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"])
    }

    /// The kinds to run: PostgreSQL unless FERRY_SKIP_POSTGRES=1.
    static var kinds: [Kind] {
        ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] == "1" ? [.sqlite] : [.sqlite, .postgres]
    }
}
