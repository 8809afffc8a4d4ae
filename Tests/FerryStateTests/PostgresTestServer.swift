import CLibPQ
import FerryCore
import Foundation

@testable import FerryStatePostgres

/// The PostgreSQL server scripts/test.sh starts (`FERRY_TEST_PG_DSN`), cut into one schema per test.
enum PostgresTestServer {
    /// True only when someone asked explicitly to skip the PostgreSQL tests.
    static let skipped = ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] == "1"

    /// The server's URL. Missing, the tests fail: they never skip quietly.
    static func dsn() throws -> String {
        guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"], !dsn.isEmpty else {
            throw PostgresTestError(
                """
                FERRY_TEST_PG_DSN is not set: run scripts/test.sh (it starts a PostgreSQL server), or \
                eval "$(scripts/postgres-test-server.sh start)" before swift test; FERRY_SKIP_POSTGRES=1 skips these tests
                """)
        }
        return dsn
    }

    /// A new schema name no other test uses; the store creates it, the handle drops it.
    static func freshSchema(leaseSeconds: Double? = nil) throws -> PostgresTestSchema {
        let dsn = try dsn()
        let name = "ferry_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let separator = dsn.contains("?") ? "&" : "?"
        var text = "\(dsn)\(separator)schema=\(name)"
        if let leaseSeconds { text += "&lease_seconds=\(leaseSeconds)" }
        return PostgresTestSchema(url: try PostgresStateURL(text), dsn: dsn)
    }
}

/// One test's schema, dropped with everything in it when the test lets go of it.
final class PostgresTestSchema: @unchecked Sendable {
    let url: PostgresStateURL
    let dsn: String

    init(url: PostgresStateURL, dsn: String) {
        self.url = url
        self.dsn = dsn
    }

    /// Runs SQL on a connection of its own (not a store's), e.g. to hold a lock or corrupt a version.
    func execute(_ sql: String) throws {
        let connection = try RawConnection(dsn: dsn)
        try connection.execute(sql)
    }

    deinit { try? execute("DROP SCHEMA IF EXISTS \"\(url.schema)\" CASCADE") }
}

/// A bare libpq connection for tests that act beside the store.
final class RawConnection {
    let connection: OpaquePointer

    init(dsn: String) throws {
        guard let connection = PQconnectdb(dsn), PQstatus(connection) == CONNECTION_OK else {
            throw PostgresTestError("cannot connect to the test server")
        }
        self.connection = connection
    }

    deinit { PQfinish(connection) }

    /// Runs statements and returns the first column of the last result's rows.
    @discardableResult
    func execute(_ sql: String) throws -> [String] {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw PostgresTestError(String(cString: PQerrorMessage(connection)))
        }
        return (0..<PQntuples(result)).map { String(cString: PQgetvalue(result, $0, 0)) }
    }
}

struct PostgresTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
