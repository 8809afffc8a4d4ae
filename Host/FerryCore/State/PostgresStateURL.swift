import Foundation

/// Where a shared state store lives on PostgreSQL: `state: postgres://user:password@host:port/db?schema=…`
/// in the config, or the `FERRY_STATE_URL` environment variable.
///
/// Two query parameters are Ferry's own and are removed before the URL reaches libpq:
/// `schema` (the schema holding Ferry's tables, created when missing; default `ferry`) and
/// `lease_seconds` (how long a run's lease lasts without a heartbeat; default 60). Every other
/// parameter (`sslmode`, `connect_timeout`, …) is libpq's. The password is a secret: it never
/// appears in ``description``, and the host registers it with its `Redactor`.
public struct PostgresStateURL: Sendable, Equatable, CustomStringConvertible {
    /// The schema used when the URL names none.
    public static let defaultSchema = "ferry"
    /// The lease duration used when the URL sets none, in seconds.
    public static let defaultLeaseSeconds = 60.0

    /// The URL for libpq: the one written, without Ferry's own parameters.
    public let connectionString: String
    /// The schema holding the state tables (a plain identifier: letters, digits, `_`).
    public let schema: String
    /// How long a lease lasts after its last renewal.
    public let leaseSeconds: Double
    /// The password as written (decoded), when the URL has one.
    public let password: String?
    /// `host:port/database`, for messages.
    public let endpoint: String

    /// True when `text` is meant as a PostgreSQL URL rather than a file path.
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a `postgres://` or `postgresql://` URL; throws a message naming what is wrong
    /// (without the password).
    public init(_ text: String) throws(PostgresStateURLError) {
        guard Self.isPostgresURL(text) else {
            throw PostgresStateURLError("must start with postgres:// or postgresql://")
        }
        guard var components = URLComponents(string: text) else {
            throw PostgresStateURLError("is not a valid URL (percent-encode special characters in the password)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresStateURLError("names no host (postgres://user@host:port/database)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw PostgresStateURLError("names no database (postgres://user@host:port/database)")
        }
        var schema = Self.defaultSchema
        var leaseSeconds = Self.defaultLeaseSeconds
        var passedOn: [URLQueryItem] = []
        for item in components.percentEncodedQueryItems ?? [] {
            let value = item.value?.removingPercentEncoding ?? ""
            switch item.name {
            case "schema":
                guard Self.isPlainIdentifier(value) else {
                    throw PostgresStateURLError(
                        "schema '\(value)' must be a plain identifier (letters, digits and _, not starting with a digit, at most 63 characters)"
                    )
                }
                schema = value
            case "lease_seconds":
                guard let seconds = Double(value), seconds >= 1, seconds <= 86_400 else {
                    throw PostgresStateURLError("lease_seconds '\(value)' must be a number of seconds from 1 to 86400")
                }
                leaseSeconds = seconds
            default:
                passedOn.append(item)
            }
        }
        components.percentEncodedQueryItems = passedOn.isEmpty ? nil : passedOn
        guard let connectionString = components.string else {
            throw PostgresStateURLError("could not be rebuilt without its schema and lease_seconds parameters")
        }
        self.connectionString = connectionString
        self.schema = schema
        self.leaseSeconds = leaseSeconds
        self.password = components.password.flatMap { $0.isEmpty ? nil : $0 }
        self.endpoint = "\(host):\(components.port ?? 5432)/\(database.removingPercentEncoding ?? database)"
    }

    /// The secrets of the URL as they may appear in text: the password decoded and as written.
    public var secretValues: [String] {
        guard let password else { return [] }
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? password
        return Array(Set([password, encoded]))
    }

    /// `postgres://host:port/database (schema s)`: where the state is, without user or password.
    public var description: String { "postgres://\(endpoint) (schema \(schema))" }

    /// A name PostgreSQL takes unquoted and that needs no escaping.
    static func isPlainIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.utf8.count <= 63 else { return false }
        let letters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
        let rest = letters.union(CharacterSet(charactersIn: "0123456789"))
        return letters.contains(first) && text.unicodeScalars.allSatisfy { rest.contains($0) }
    }
}

/// What is wrong with a state URL (never quoting its password).
public struct PostgresStateURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
