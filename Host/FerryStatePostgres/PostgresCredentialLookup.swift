import FerryCore
import Foundation

/// Reads `http.auth.key_query` / `token_query` credentials from PostgreSQL. A connection per
/// read: reads happen once per connection and run, and again only after a 401, so keeping
/// a connection open would hold a server slot for nothing.
public struct PostgresCredentialLookup: CredentialLookup {
    /// Creates the lookup.
    public init() {}

    public func credential(for query: CredentialQuery) throws -> String {
        let url: PostgresStateURL
        do { url = try PostgresStateURL(query.url) } catch { throw CredentialLookupError("the database URL \(error)") }
        do {
            let connection = try PGConnection(url: url, usesStateSchema: false)
            defer { connection.close() }
            let rows = try connection.query(query.sql, purpose: "read the credential")
            guard let row = rows.rows.first else {
                throw CredentialLookupError("the query on \(url.endpoint) returned no row")
            }
            guard let value = row.first else {
                throw CredentialLookupError("the query on \(url.endpoint) returned no column")
            }
            guard let value, !value.allSatisfy(\.isWhitespace) else {
                throw CredentialLookupError("the query on \(url.endpoint) returned an empty credential")
            }
            return value.trimmingCharacters(in: .whitespacesAndNewlines)
        } catch let error as PGError {
            throw CredentialLookupError(error.description)
        }
    }
}

/// Why a credential could not be read; never carries the credential or the password.
public struct CredentialLookupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
