import CLibPQ
import FerryJSON
import FerryPluginSDK

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection: connects from a DSN without ever echoing its secrets,
/// runs statements with text parameters, and turns failures into
/// `PostgresError`s carrying the server's SQLSTATE.
final class PostgresClient {
    let connection: OpaquePointer
    /// Host, port and database, for log lines (never the user or password).
    let endpoint: JSONObject
    private var prepared: Set<String> = []
    /// The staging tables (temporary, so per session) created so far: a new session, or a
    /// rolled-back transaction that created one, starts without them.
    var stagingTables: Set<String> = []

    /// Connects. Extra keyword values (e.g. `sslmode`) override the DSN's own.
    /// - Parameters:
    ///   - dsn: a libpq connection string (`host=… dbname=…`) or URL (`postgresql://…`).
    ///   - overrides: keyword/value pairs applied after the DSN.
    init(dsn: String, overrides: [(String, String)] = []) throws {
        let secrets = Self.secretValues(in: dsn)
        // Defaults first, so the DSN's own values win; then the config's overrides.
        let keywords = ["fallback_application_name", "connect_timeout", "dbname"] + overrides.map(\.0)
        let values = ["ferry", "10", dsn] + overrides.map(\.1)
        let connection: OpaquePointer? = withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let connection else {
            throw PostgresError(sqlState: nil, message: "out of memory while connecting", isConnectionFailure: true)
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.redact(String(cString: PQerrorMessage(connection)), secrets: secrets)
            PQfinish(connection)
            throw PostgresError(
                sqlState: nil, message: message, isConnectionFailure: true, isMalformedDSN: secrets == nil)
        }
        self.connection = connection
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        var endpoint = JSONObject()
        if let host = PQhost(connection) { endpoint["host"] = .string(String(cString: host)) }
        if let port = PQport(connection) { endpoint["port"] = .string(String(cString: port)) }
        if let database = PQdb(connection) { endpoint["database"] = .string(String(cString: database)) }
        self.endpoint = endpoint
        // Timestamps in and out of the session are UTC; output dates are ISO.
        try execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'")
    }

    deinit { PQfinish(connection) }

    /// Runs statements without parameters, discarding any rows.
    func execute(_ sql: String) throws {
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        try check(result)
    }

    /// Runs one statement with text parameters (nil is SQL NULL).
    /// - Parameters:
    ///   - sql: the statement, with `$1…$n` placeholders.
    ///   - parameters: one text per placeholder.
    func query(_ sql: String, _ parameters: [String?] = []) throws -> PostgresResult {
        var encoded = ParameterBuffer()
        for parameter in parameters { encoded.append(parameter) }
        return try query(sql, encoded)
    }

    /// Runs one statement with already encoded parameters.
    func query(_ sql: String, _ parameters: ParameterBuffer) throws -> PostgresResult {
        let result = parameters.withPointers { values, count in
            PQexecParams(connection, sql, count, nil, values, nil, nil, 0)
        }
        return try owned(result)
    }

    /// Runs a statement prepared once per connection under `name`.
    /// - Parameters:
    ///   - name: the prepared statement's name; the same name must always carry the same SQL.
    ///   - sql: the statement, prepared on first use.
    ///   - parameters: the encoded parameters.
    func execute(prepared name: String, sql: String, _ parameters: ParameterBuffer) throws -> PostgresResult {
        if !prepared.contains(name) {
            let result = PQprepare(connection, name, sql, Int32(parameters.count), nil)
            defer { PQclear(result) }
            try check(result)
            prepared.insert(name)
        }
        let result = parameters.withPointers { values, count in
            PQexecPrepared(connection, name, count, values, nil, nil, 0)
        }
        return try owned(result)
    }

    /// Runs `COPY … FROM STDIN` and sends `data` (rows in COPY's text format) as its input.
    /// - Parameters:
    ///   - sql: the COPY statement.
    ///   - data: every row, each ending in a newline.
    func copyIn(_ sql: String, _ data: [UInt8]) throws {
        try beginCopy(sql)
        let sent = data.withUnsafeBufferPointer { sendCopyData($0) }
        try endCopy(sent: sent)
    }

    /// Starts `COPY … FROM STDIN`; rows follow with `sendCopyData`, and `endCopy` ends it.
    /// Rows sent while the next ones are still being encoded are parsed and inserted by the
    /// server meanwhile.
    func beginCopy(_ sql: String) throws {
        let started = PQexec(connection, sql)
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            defer { PQclear(started) }
            try check(started)
            throw PostgresError(sqlState: nil, message: "COPY did not start", isConnectionFailure: isBroken)
        }
        PQclear(started)
    }

    /// Sends rows of the COPY in progress; false when the connection refused them.
    func sendCopyData(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        // Sent in slices: libpq buffers what it is given, and a slice bounds that buffer.
        let slice = 1 << 20
        var offset = 0
        while offset < buffer.count {
            let length = min(slice, buffer.count - offset)
            let pointer = UnsafeRawPointer(buffer.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
            guard PQputCopyData(connection, pointer, Int32(length)) == 1 else { return false }
            offset += length
        }
        return true
    }

    /// Ends the COPY in progress and throws its error, if any.
    /// - Parameter sent: false when sending failed: the COPY is then abandoned.
    func endCopy(sent: Bool) throws {
        let ended = PQputCopyEnd(connection, sent ? nil : "ferry: sending the rows failed") == 1 && sent
        // The COPY's outcome, then the end of its results; the first error wins.
        var failure: (any Error)?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            if failure == nil {
                do { try check(result) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        if !ended { throw lastError() }
    }

    /// Wraps a successful result; clears a failed one and throws its error.
    private func owned(_ result: OpaquePointer?) throws -> PostgresResult {
        do {
            try check(result)
        } catch {
            PQclear(result)
            throw error
        }
        return PostgresResult(result!)
    }

    /// True while a transaction block is open (or failed and not yet rolled back).
    var isInTransaction: Bool {
        let status = PQtransactionStatus(connection)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// Reconnects with the same parameters after the connection was lost
    /// (a server restart), so the host's retry of a batch can succeed.
    func reconnectIfBroken() throws {
        guard isBroken else { return }
        PQreset(connection)
        prepared.removeAll()
        stagingTables.removeAll()
        guard !isBroken else { throw lastError() }
        try execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'")
    }

    /// True when the connection was lost (the host may retry on a new one).
    var isBroken: Bool { PQstatus(connection) != CONNECTION_OK }

    /// Throws the result's error; the caller still owns (and clears) the result.
    private func check(_ result: OpaquePointer?) throws {
        guard let result else { throw lastError() }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_SINGLE_TUPLE:
            return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            let message = primary ?? String(cString: PQresultErrorMessage(result))
            throw PostgresError(
                sqlState: state, message: message.trimmingTrailingNewlines(), isConnectionFailure: isBroken)
        }
    }

    private func lastError() -> PostgresError {
        PostgresError(
            sqlState: nil, message: String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines(),
            isConnectionFailure: isBroken)
    }

    // MARK: Secrets

    /// The password (and other secret) values a DSN carries, to scrub from messages.
    /// Nil when the DSN does not parse (its libpq error may quote any piece of it).
    static func secretValues(in dsn: String) -> [String]? {
        var values: [String] = []
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(dsn, &error) else {
            PQfreemem(error)
            return nil
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            let name = String(cString: keyword)
            if ["password", "sslpassword", "sslkey"].contains(name), let value = option.pointee.val {
                let text = String(cString: value)
                if !text.isEmpty { values.append(text) }
            }
            option += 1
        }
        return values
    }

    /// libpq's connection keywords (`host`, `port`, `sslmode`, …).
    static func connectionKeywords() -> Set<String> {
        var keywords: Set<String> = []
        guard let options = PQconndefaults() else { return keywords }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            keywords.insert(String(cString: keyword))
            option += 1
        }
        return keywords
    }

    /// Removes secrets and anything libpq quoted from the DSN (which may be a
    /// password when the DSN did not parse) from a libpq message.
    static func redact(_ message: String, secrets: [String]?) -> String {
        var text = message.trimmingTrailingNewlines()
        for secret in secrets ?? [] where !secret.isEmpty {
            text = text.replacing(secret, with: "***")
        }
        if secrets == nil {
            // Parse errors quote pieces of the DSN, which may be a password:
            // keep only quoted "=" and libpq's own keywords.
            let keywords = connectionKeywords()
            var output = ""
            var piece = ""
            var inQuote = false
            for character in text {
                if character == "\"" {
                    if inQuote { output += "\"" + (piece == "=" || keywords.contains(piece) ? piece : "…") + "\"" }
                    piece = ""
                    inQuote.toggle()
                } else if inQuote {
                    piece.append(character)
                } else {
                    output.append(character)
                }
            }
            text = output
        }
        return text.split(separator: "\n").map { String($0).trimmingSpaces() }.joined(separator: "; ")
    }
}

/// `strings` as a NULL-terminated C array valid during `body`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeMutableBufferPointer { body(UnsafePointer($0.baseAddress!)) }
}
