import CLibPQ
import Foundation

/// The simulator's libpq connection: statements with text parameters, and
/// errors carrying the SQLSTATE fields PostgREST puts in its error JSON.
final class PostgRESTDatabase: @unchecked Sendable {
    /// A failed statement's diagnostic fields.
    struct Failure: Error {
        var code: String
        var message: String
        var details: String?
        var hint: String?
    }

    private let connection: OpaquePointer
    private let lock = NSLock()

    /// Connects.
    /// - Parameter dsn: A libpq connection string.
    init(dsn: String) throws {
        guard let connection = PQconnectdb(dsn), PQstatus(connection) == CONNECTION_OK else {
            throw HarnessError("the PostgREST simulator cannot connect to FERRY_TEST_PG_DSN")
        }
        self.connection = connection
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { PQfinish(connection) }

    /// Runs one statement; NULLs come back as nil.
    /// - Parameters:
    ///   - sql: The statement with `$n` placeholders.
    ///   - parameters: Text values of the placeholders (nil: NULL).
    /// - Returns: The rows as text.
    /// - Throws: ``Failure`` with the server's SQLSTATE, message, detail and hint.
    @discardableResult
    func query(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        lock.lock()
        defer { lock.unlock() }
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let values: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        let result = PQexecParams(connection, sql, Int32(values.count), nil, values, nil, nil, 0)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            func field(_ code: Character) -> String? {
                PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
            }
            throw Failure(
                code: field("C") ?? "XX000", message: field("M") ?? String(cString: PQerrorMessage(connection)),
                details: field("D"), hint: field("H"))
        }
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) != 0 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }
}
