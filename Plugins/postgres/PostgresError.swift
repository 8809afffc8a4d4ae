import FerryPluginSDK

/// A failed libpq call: the server's SQLSTATE (when the server answered) and
/// its primary message, which never holds the DSN's secrets.
struct PostgresError: Error, CustomStringConvertible {
    var sqlState: String?
    var message: String
    /// True when the connection could not be made or was lost.
    var isConnectionFailure: Bool
    /// True when the DSN itself did not parse.
    var isMalformedDSN = false

    var description: String { message }

    private var sqlClass: String { sqlState.map { String($0.prefix(2)) } ?? "" }

    /// True for errors that belong to one record, not the batch: data
    /// exceptions (class 22: bad number, date, JSON, value too long) and
    /// integrity violations (class 23: NOT NULL, foreign key, unique, check).
    var isRecordError: Bool { sqlClass == "22" || sqlClass == "23" || sqlState == "42804" }

    /// The error as the host should see it.
    var pluginError: PluginError {
        let text = "postgres: \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
        if isMalformedDSN { return .invalid("postgres: config.dsn does not parse: \(message)") }
        if isConnectionFailure && sqlState == nil { return Self.connectionError(message) }
        switch sqlClass {
        case "08", "40", "53", "57", "58": return .retryable(text)
        case "28": return .auth(text)
        default:
            if sqlState == "42501" { return .auth(text) } // insufficient_privilege
            if isConnectionFailure { return .retryable(text) }
            return PluginError(status: -8, message: text)
        }
    }

    /// Classifies a failed connection. libpq reports no SQLSTATE for these,
    /// so its stable message prefixes are the only signal.
    static func connectionError(_ message: String) -> PluginError {
        let text = "postgres: cannot connect: \(message)"
        let lower = message.lowercased()
        let authMarkers = [
            "password authentication failed", "authentication failed", "no pg_hba.conf entry",
            "password is required", "role \"", "permission denied", "no password supplied",
        ]
        if authMarkers.contains(where: { lower.contains($0) }) {
            return .auth(text + " (check the user and password in config.dsn)")
        }
        let invalidMarkers = [
            "connection info string", "invalid uri", "invalid connection option", "missing \"=\"",
            "invalid sslmode", "invalid value", "database \"", "invalid port", "could not translate host name",
            "invalid integer value", "unterminated quoted string", "uri",
        ]
        if invalidMarkers.contains(where: { lower.contains($0) }) {
            return .invalid(text + " (check config.dsn)")
        }
        return .retryable(text)
    }
}
