import CLibPQ
import FerryCore
import Foundation

/// One libpq connection of the state store: text parameters in, rows of text out,
/// failures as `PGError`s that carry the SQLSTATE and never the password.
///
/// Not thread-safe: `PostgresStateStore` uses it under its lock.
final class PGConnection {
    private var connection: OpaquePointer?
    private let url: PostgresStateURL

    private let usesStateSchema: Bool

    /// Connects to `url` (its libpq part), with a 10 s connect timeout unless the URL sets one.
    /// - Parameters:
    ///   - url: The database.
    ///   - usesStateSchema: Puts the URL's schema first on the search path (the state store's
    ///     tables); false leaves the server's default search path (a user's own tables).
    init(url: PostgresStateURL, usesStateSchema: Bool = true) throws(PGError) {
        self.url = url
        self.usesStateSchema = usesStateSchema
        let keywords = ["fallback_application_name", "connect_timeout", "dbname"]
        let values = ["ferry-state", "10", url.connectionString]
        let connection: OpaquePointer? = Self.withCStrings(keywords) { keywordPointers in
            Self.withCStrings(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let connection else { throw PGError(sqlState: nil, message: "out of memory while connecting") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.redacted(String(cString: PQerrorMessage(connection)), url: url)
            PQfinish(connection)
            throw PGError(
                sqlState: nil, message: "cannot connect to \(url.endpoint): \(message)", isConnectionFailure: true)
        }
        self.connection = connection
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        try configureSession()
    }

    deinit { close() }

    func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// UTF-8 text, hex bytea, and the schema first on the search path (created by the migrations).
    private func configureSession() throws(PGError) {
        guard usesStateSchema else {
            try execute("SET client_encoding = 'UTF8'", purpose: "configure the session")
            return
        }
        try execute(
            """
            SET client_encoding = 'UTF8'; SET bytea_output = 'hex'; SET extra_float_digits = 3;
            SET search_path TO "\(url.schema)"
            """, purpose: "configure the session")
    }

    /// Reconnects once when the server dropped the connection (a restart), outside any transaction.
    func reconnectIfBroken() throws(PGError) {
        guard let connection, PQstatus(connection) == CONNECTION_BAD else { return }
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            throw PGError(
                sqlState: nil,
                message:
                    "lost the connection to \(url.endpoint) and could not reconnect: \(Self.redacted(String(cString: PQerrorMessage(connection)), url: url))",
                isConnectionFailure: true)
        }
        try configureSession()
    }

    /// Runs statements without parameters (several allowed), discarding rows.
    func execute(_ sql: String, purpose: String) throws(PGError) {
        guard let connection else { throw PGError(sqlState: nil, message: "the connection is closed") }
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        try check(result, purpose: purpose)
    }

    /// Runs one statement with parameters and returns its rows.
    /// - Parameters:
    ///   - sql: the statement, with `$1…$n` placeholders.
    ///   - parameters: one value per placeholder.
    ///   - purpose: what the statement does, for the error message.
    @discardableResult
    func query(_ sql: String, _ parameters: [PGValue] = [], purpose: String) throws(PGError) -> PGRows {
        guard let connection else { throw PGError(sqlState: nil, message: "the connection is closed") }
        let buffers: [[UInt8]?] = parameters.map { value in
            switch value {
            case .null: return nil
            case .text(let text): return Array(text.utf8) + [0]
            case .bytes(let bytes): return bytes.isEmpty ? [0] : bytes
            }
        }
        let lengths: [Int32] = parameters.map { value in
            if case .bytes(let bytes) = value { return Int32(bytes.count) }
            return 0
        }
        let formats: [Int32] = parameters.map { value in
            if case .bytes = value { return 1 }
            return 0
        }
        let result = Self.withPointers(buffers) { pointers in
            PQexecParams(connection, sql, Int32(parameters.count), nil, pointers, lengths, formats, 0)
        }
        defer { PQclear(result) }
        try check(result, purpose: purpose)
        return PGRows(result!)
    }

    /// Throws the error a result reports, if any.
    private func check(_ result: OpaquePointer?, purpose: String) throws(PGError) {
        guard let result else {
            throw PGError(
                sqlState: nil, message: "\(purpose): \(lastMessage)", isConnectionFailure: isBroken)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            throw PGError(
                sqlState: sqlState, message: "\(purpose): \(primary ?? lastMessage)",
                isConnectionFailure: isBroken)
        }
    }

    private var isBroken: Bool { connection.map { PQstatus($0) == CONNECTION_BAD } ?? true }

    private var lastMessage: String {
        guard let connection else { return "the connection is closed" }
        return Self.redacted(String(cString: PQerrorMessage(connection)), url: url)
    }

    /// libpq's message on one line, without the URL's secrets (libpq does not quote them, but a
    /// message must not leak one even if a future version did).
    static func redacted(_ message: String, url: PostgresStateURL) -> String {
        var text = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        for secret in url.secretValues { text = text.replacingOccurrences(of: secret, with: "***") }
        return text
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        pointers.append(nil)
        return body(pointers.map { UnsafePointer($0) })
    }

    private static func withPointers<R>(_ buffers: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var storage: [UnsafeMutablePointer<UInt8>?] = buffers.map { buffer in
            guard let buffer else { return nil }
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: buffer.count)
            pointer.initialize(from: buffer, count: buffer.count)
            return pointer
        }
        defer { storage.forEach { $0?.deallocate() } }
        storage.append(nil)
        return body(storage.map { $0.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } })
    }
}

/// A parameter of a statement.
enum PGValue {
    case null
    /// Sent as text; PostgreSQL casts it to the placeholder's type.
    case text(String)
    /// Sent in binary, for `bytea` placeholders: the exact bytes.
    case bytes([UInt8])
}

/// Values that can be bound to a placeholder.
protocol PGBindable {
    var pgValue: PGValue { get }
}

extension String: PGBindable { var pgValue: PGValue { .text(self) } }
extension Int: PGBindable { var pgValue: PGValue { .text(String(self)) } }
extension Int64: PGBindable { var pgValue: PGValue { .text(String(self)) } }
extension Int32: PGBindable { var pgValue: PGValue { .text(String(self)) } }
extension Double: PGBindable { var pgValue: PGValue { .text("\(self)") } }
extension Optional: PGBindable where Wrapped: PGBindable {
    var pgValue: PGValue { self?.pgValue ?? .null }
}

/// The rows of a result, copied out as text (nil for NULL).
struct PGRows {
    let rows: [[String?]]
    var count: Int { rows.count }
    var first: PGRow? { rows.first.map(PGRow.init) }

    init(_ result: OpaquePointer) {
        let rowCount = PQntuples(result), columnCount = PQnfields(result)
        rows = (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    func map<T>(_ transform: (PGRow) throws -> T) rethrows -> [T] { try rows.map { try transform(PGRow($0)) } }
}

/// One row, read by column index.
struct PGRow {
    let values: [String?]

    init(_ values: [String?]) { self.values = values }

    func string(_ column: Int) -> String { values[column] ?? "" }
    func optionalString(_ column: Int) -> String? { values[column] }
    func int64(_ column: Int) -> Int64 { values[column].flatMap { Int64($0) } ?? 0 }
    func optionalInt64(_ column: Int) -> Int64? { values[column].flatMap { Int64($0) } }
    func int(_ column: Int) -> Int { Int(int64(column)) }
    func double(_ column: Int) -> Double { values[column].flatMap { Double($0) } ?? 0 }
    func optionalDouble(_ column: Int) -> Double? { values[column].flatMap { Double($0) } }
    func bool(_ column: Int) -> Bool { values[column] == "t" }

    /// A `bytea` column in hex output (`\x4142…`).
    func bytes(_ column: Int) -> [UInt8] {
        guard let text = values[column] else { return [] }
        let hex = Array(text.utf8.dropFirst(2))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var index = 0
        while index + 1 < hex.count {
            bytes.append(Self.nibble(hex[index]) << 4 | Self.nibble(hex[index + 1]))
            index += 2
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8 {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        default: character - UInt8(ascii: "A") + 10
        }
    }
}

/// A failed statement or connection.
struct PGError: Error, CustomStringConvertible {
    var sqlState: String?
    var message: String
    var isConnectionFailure = false

    var description: String { message + (sqlState.map { " (SQLSTATE \($0))" } ?? "") }

    /// A deadlock or serialization failure: the transaction may simply be run again.
    var isRetryable: Bool { sqlState == "40P01" || sqlState == "40001" }
    var isUniqueViolation: Bool { sqlState == "23505" }
}
