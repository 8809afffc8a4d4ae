/// A credential another tool keeps in a database row (`http.auth.key_query` or
/// `token_query`): the seed's Tekmetric JWT lives in `jwt_tokens(shop_id, jwt_token)`,
/// written by a browser extension whenever the user logs in again. The host reads the
/// row on first use and again after a 401, so a token refreshed by that tool is picked
/// up without restarting anything.
public struct CredentialQuery: Sendable, Equatable {
    /// The database, a `postgres://` URL (its password is a secret).
    public var url: String
    /// A query returning one row whose first column is the credential.
    public var sql: String

    /// Creates a credential query.
    /// - Parameters:
    ///   - url: The database URL.
    ///   - sql: The query.
    public init(url: String, sql: String) {
        self.url = url
        self.sql = sql
    }

    /// The password in the URL, for the redactor.
    public var secretValues: [String] { (try? PostgresStateURL(url))?.password.map { [$0] } ?? [] }
}

/// Runs a ``CredentialQuery``: implemented by the host where it can reach the database.
public protocol CredentialLookup: Sendable {
    /// The credential the query's first row holds.
    /// - Throws: A message naming the database (never its password) when it cannot be read
    ///   or holds no non-empty value.
    func credential(for query: CredentialQuery) throws -> String
}
