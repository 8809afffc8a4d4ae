import FerryJSON

/// The OAuth2 token life cycle of one connection, as a state machine with no
/// I/O: which token request to send, when an access token has expired, what to
/// do on a 401, and the order that keeps a rotated refresh token safe.
///
/// Rotation rule: when a token response carries a new refresh token, the
/// machine answers ``Action/persist(refreshToken:)`` and withholds the access
/// token until the caller reports ``refreshTokenPersisted()``. The caller
/// writes the token to the state store first, so a crash can never leave the
/// only valid refresh token in memory.
public struct OAuth2Session: Sendable {
    /// The grant used to obtain the first token.
    public enum Grant: String, Sendable, CaseIterable {
        case clientCredentials = "client_credentials"
        case password
        case refreshToken = "refresh_token"
    }

    /// How the client id and secret reach the token endpoint (RFC 6749 §2.3.1).
    public enum ClientAuthentication: String, Sendable, CaseIterable {
        /// In the form body (`client_secret_post`), as most servers accept.
        case form
        /// As HTTP Basic (`client_secret_basic`), each part form-encoded first; Tekmetric's
        /// public API accepts only this.
        case basic
    }

    /// What the connection's configuration supplies.
    public struct Credentials: Sendable, Equatable {
        /// The configured grant.
        public var grant: Grant
        /// The client id, if the server wants one.
        public var clientID: String?
        /// The client secret, if the server wants one.
        public var clientSecret: String?
        /// The user name (password grant).
        public var username: String?
        /// The password (password grant).
        public var password: String?
        /// The refresh token from the configuration (refresh-token grant); a stored, rotated one wins.
        public var refreshToken: String?
        /// The scope to ask for, if any.
        public var scope: String?
        /// A file holding a refresh token (`refresh_token_file`), kept by an earlier tool (WattiVahti's
        /// `refresh_token.txt`) or written by the user: the HTTP service reads it as the configured token,
        /// used when none is stored yet and tried once when the stored one is rejected.
        public var refreshTokenFile: String?
        /// How the client id and secret are sent (`client_auth`).
        public var clientAuthentication: ClientAuthentication

        /// Creates credentials.
        /// - Parameters:
        ///   - grant: The configured grant.
        ///   - clientID: The client id.
        ///   - clientSecret: The client secret.
        ///   - username: The user name.
        ///   - password: The password.
        ///   - refreshToken: The initial refresh token.
        ///   - scope: The scope.
        ///   - refreshTokenFile: A file holding the first refresh token.
        ///   - clientAuthentication: How the client id and secret are sent.
        public init(
            grant: Grant, clientID: String? = nil, clientSecret: String? = nil, username: String? = nil,
            password: String? = nil, refreshToken: String? = nil, scope: String? = nil,
            refreshTokenFile: String? = nil, clientAuthentication: ClientAuthentication = .form
        ) {
            self.grant = grant
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.username = username
            self.password = password
            self.refreshToken = refreshToken
            self.scope = scope
            self.refreshTokenFile = refreshTokenFile
            self.clientAuthentication = clientAuthentication
        }
    }

    /// One `application/x-www-form-urlencoded` field of a token request.
    public struct FormField: Sendable, Equatable {
        /// The field name.
        public var name: String
        /// The field value.
        public var value: String
    }

    /// What the caller does next.
    public enum Action: Sendable, Equatable {
        /// Send the API request with `Authorization: Bearer <token>`.
        case authorize(accessToken: String)
        /// POST these fields to the token endpoint, then call ``tokenResponse(status:body:now:)``.
        case requestToken(form: [FormField])
        /// Write this refresh token to the state store, then call ``refreshTokenPersisted()``.
        case persist(refreshToken: String)
        /// Stop: credentials are missing or rejected. The message says what to supply.
        case fail(message: String)
    }

    /// The credentials.
    public let credentials: Credentials
    /// The current access token.
    public private(set) var accessToken: String?
    /// When the access token expires (seconds since 1970), if the server said.
    public private(set) var expiresAt: Double?
    /// The refresh token in force (persisted, or from the configuration).
    public private(set) var refreshToken: String?
    /// A rotated refresh token not yet persisted.
    public private(set) var pendingRefreshToken: String?
    /// The grant of the token request in flight.
    public private(set) var requestedGrant: Grant?
    private var retriedAfterUnauthorized = false
    private var refreshFailed = false
    private var triedConfiguredRefreshToken = false

    /// Seconds before expiry at which a token counts as expired, so a request never leaves with a dying token.
    public var expirySkew: Double = 60

    /// Creates a session.
    /// - Parameters:
    ///   - credentials: What the configuration supplies.
    ///   - storedRefreshToken: A refresh token persisted by an earlier run; it replaces the configured one,
    ///     which rotation may have invalidated.
    public init(credentials: Credentials, storedRefreshToken: String? = nil) {
        var credentials = credentials
        if credentials.refreshToken?.isEmpty == true { credentials.refreshToken = nil }
        self.credentials = credentials
        self.refreshToken = storedRefreshToken.flatMap { $0.isEmpty ? nil : $0 } ?? credentials.refreshToken
    }

    /// What to do before an API request.
    /// - Parameter now: The current time in seconds since 1970.
    public mutating func prepare(now: Double) -> Action {
        if let pendingRefreshToken { return .persist(refreshToken: pendingRefreshToken) }
        if let accessToken, expiresAt.map({ now < $0 - expirySkew }) ?? true {
            return .authorize(accessToken: accessToken)
        }
        accessToken = nil
        return nextTokenRequest()
    }

    /// Feeds the token endpoint's answer.
    /// - Parameters:
    ///   - status: The HTTP status code.
    ///   - body: The parsed JSON body, if it was JSON.
    ///   - now: The current time in seconds since 1970.
    public mutating func tokenResponse(status: Int, body: JSONValue?, now: Double) -> Action {
        let grant = requestedGrant ?? credentials.grant
        requestedGrant = nil
        guard (200..<300).contains(status), case .object(let object)? = body,
            let token = object["access_token"]?.stringValue, !token.isEmpty
        else {
            let reason = Self.errorDescription(status: status, body: body)
            if grant == .refreshToken, !triedConfiguredRefreshToken, let configured = credentials.refreshToken,
                configured != refreshToken
            {
                // The stored token was rejected, but the configuration (or its file) holds another one, perhaps
                // freshly obtained by the user: try it once before giving up.
                triedConfiguredRefreshToken = true
                refreshToken = configured
                return nextTokenRequest()
            }
            if grant == .refreshToken, canUsePassword || credentials.grant == .clientCredentials {
                // The refresh token was rejected (revoked or rotated elsewhere): fall back to the primary grant once.
                refreshToken = nil
                refreshFailed = true
                return nextTokenRequest()
            }
            return .fail(
                message: "the token endpoint rejected the \(grant.rawValue) grant (\(reason)); "
                    + advice(for: grant))
        }
        accessToken = token
        expiresAt = object["expires_in"]?.doubleValue.map { now + $0 }
        if let rotated = object["refresh_token"]?.stringValue, !rotated.isEmpty, rotated != refreshToken {
            pendingRefreshToken = rotated
            return .persist(refreshToken: rotated)
        }
        return .authorize(accessToken: token)
    }

    /// Records that the rotated refresh token is durable; the new access token may now be used.
    public mutating func refreshTokenPersisted() {
        guard let pendingRefreshToken else { return }
        refreshToken = pendingRefreshToken
        self.pendingRefreshToken = nil
    }

    /// Takes a refresh token another session of the same connection persisted
    /// (it rotated the one this session holds), before requesting a token.
    /// - Parameter stored: The refresh token now in the state store.
    public mutating func adoptStoredRefreshToken(_ stored: String) {
        guard pendingRefreshToken == nil, stored != refreshToken, !stored.isEmpty else { return }
        refreshToken = stored
        refreshFailed = false
    }

    /// Feeds a 401 on an API request: the first one drops the access token so
    /// the caller obtains a new one and retries once; a second in a row fails.
    public mutating func unauthorized() -> Action {
        guard !retriedAfterUnauthorized else {
            return .fail(
                message: "the API rejected a freshly obtained access token (HTTP 401); check that the account "
                    + "may use this API and that http.auth in the connection names the right credentials")
        }
        retriedAfterUnauthorized = true
        accessToken = nil
        expiresAt = nil
        return nextTokenRequest()
    }

    /// Feeds a successful API response, re-arming the one retry after a 401.
    public mutating func authorized() {
        retriedAfterUnauthorized = false
    }

    private var canUsePassword: Bool { credentials.username != nil && credentials.password != nil }

    private mutating func nextTokenRequest() -> Action {
        var form: [FormField] = []
        let grant: Grant
        if let refreshToken, !refreshFailed || credentials.grant == .refreshToken {
            grant = .refreshToken
            form.append(FormField(name: "grant_type", value: "refresh_token"))
            form.append(FormField(name: "refresh_token", value: refreshToken))
        } else if credentials.grant == .refreshToken && !canUsePassword {
            if let file = credentials.refreshTokenFile {
                return .fail(
                    message: "no refresh token: write one to \(file) (http.auth.refresh_token_file) or set "
                        + "http.auth.refresh_token in the connection (it is rotated and kept in the state database afterwards)"
                )
            }
            return .fail(
                message: "no refresh token: set http.auth.refresh_token in the connection (it is rotated and kept "
                    + "in the state database afterwards)")
        } else if credentials.grant == .clientCredentials {
            grant = .clientCredentials
            form.append(FormField(name: "grant_type", value: "client_credentials"))
        } else {
            guard let username = credentials.username, let password = credentials.password else {
                return .fail(
                    message: "the password grant needs http.auth.username and http.auth.password in the connection")
            }
            grant = .password
            form.append(FormField(name: "grant_type", value: "password"))
            form.append(FormField(name: "username", value: username))
            form.append(FormField(name: "password", value: password))
        }
        if credentials.clientAuthentication == .form {
            if let clientID = credentials.clientID { form.append(FormField(name: "client_id", value: clientID)) }
            if let clientSecret = credentials.clientSecret {
                form.append(FormField(name: "client_secret", value: clientSecret))
            }
        }
        if let scope = credentials.scope { form.append(FormField(name: "scope", value: scope)) }
        requestedGrant = grant
        return .requestToken(form: form)
    }

    static func errorDescription(status: Int, body: JSONValue?) -> String {
        var text = "HTTP \(status)"
        if case .object(let object)? = body {
            if let error = object["error"]?.stringValue { text += ", error \(error)" }
            if let detail = object["error_description"]?.stringValue { text += ": \(detail)" }
        }
        return text
    }

    func advice(for grant: Grant) -> String {
        switch grant {
        case .clientCredentials: return "check http.auth.client_id and http.auth.client_secret in the connection"
        case .password: return "check http.auth.username and http.auth.password in the connection"
        case .refreshToken:
            if let file = credentials.refreshTokenFile {
                return "the refresh token is no longer valid (expired, revoked or already used): obtain a new one and "
                    + "write it to \(file) (http.auth.refresh_token_file); the next run imports it"
            }
            return "the refresh token is no longer valid (expired, revoked or already used): obtain a new one and set "
                + "http.auth.refresh_token in the connection; the next run tries it when the stored one is rejected"
        }
    }
}
