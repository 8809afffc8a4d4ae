import CLibPQ
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// Shortcuts for the postgres connector tests: the server comes from
/// `FERRY_TEST_PG_DSN` (scripts/test.sh starts one); each test works in a
/// schema of its own, dropped when the test ends.
enum PostgresTest {
    /// True only when someone asked explicitly to skip these tests.
    static let skipped = ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] == "1"

    /// The test server's DSN. Missing, the tests fail: they never skip quietly.
    static func dsn() throws -> String {
        guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"], !dsn.isEmpty else {
            throw HarnessError(
                """
                FERRY_TEST_PG_DSN is not set: run scripts/test.sh (it starts a PostgreSQL server), or \
                eval "$(scripts/postgres-test-server.sh start)" before swift test; FERRY_SKIP_POSTGRES=1 skips these tests
                """)
        }
        return dsn
    }
}

/// A direct libpq connection and a schema of the test's own.
final class PostgresScratch {
    let dsn: String
    let schema: String
    private let connection: OpaquePointer

    init() throws {
        dsn = try PostgresTest.dsn()
        schema = "ferry_t_" + UUID().uuidString.prefix(8).lowercased()
        guard let connection = PQconnectdb(dsn), PQstatus(connection) == CONNECTION_OK else {
            throw HarnessError("cannot connect to the test server at FERRY_TEST_PG_DSN")
        }
        self.connection = connection
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        try query("CREATE SCHEMA \(schema); SET search_path = \(schema); SET TimeZone = 'UTC'")
    }

    deinit {
        PQclear(PQexec(connection, "DROP SCHEMA IF EXISTS \(schema) CASCADE"))
        PQfinish(connection)
    }

    /// An instance of the plugin on this schema. Tests run over both load paths by passing
    /// `rows_per_statement` 0 for COPY (the default) or N for multi-row INSERTs of N rows
    /// (`copy: false`).
    func open(_ extra: JSONObject = [:]) throws -> PluginInstance {
        var config: JSONObject = ["dsn": .string(dsn), "schema": .string(schema)]
        for (key, value) in extra { config[key] = value }
        if let rows = extra["rows_per_statement"]?.intValue, extra["assigned_id"] == nil {
            config["rows_per_statement"] = rows == 0 ? nil : .int(rows)
            if config["copy"] == nil { config["copy"] = .bool(rows == 0) }
        }
        return try PluginInstance("postgres", config: .object(config))
    }

    /// Runs SQL (several statements allowed); returns the last result's rows as text (nil for NULL).
    @discardableResult
    func query(_ sql: String) throws -> [[String?]] {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw HarnessError(String(cString: PQresultErrorMessage(result)))
        }
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) != 0 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    /// `column: data_type` of a table in this schema, in column order.
    func columnTypes(_ table: String, schema: String? = nil) throws -> [String] {
        try query(
            """
            SELECT column_name || ': ' || data_type FROM information_schema.columns
            WHERE table_schema = '\(schema ?? self.schema)' AND table_name = '\(table)' ORDER BY ordinal_position
            """
        ).map { $0[0]! }
    }
}
