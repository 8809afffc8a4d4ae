/// How the host's HTTP service talks to one connection's API: the `http:`
/// object of a connection in the configuration file.
public struct HTTPConnectionConfig: Sendable, Equatable {
    /// The base URL relative request URLs resolve against (`endpoint`).
    public var endpoint: String?
    /// Headers sent with every request, token requests included (`headers`).
    public var headers: [(name: String, value: String)]
    /// How requests authenticate (`auth`).
    public var auth: HTTPAuthConfig
    /// The shared request allowance (`budget`), if any.
    public var budget: HTTPBudgetConfig?
    /// Seconds one request may take in all, body included (`timeout_seconds`).
    public var timeoutSeconds: Double
    /// Seconds to establish a connection (`connect_timeout_seconds`).
    public var connectTimeoutSeconds: Double
    /// Attempts per request, the first included (`max_attempts`).
    public var maxAttempts: Int
    /// Seconds all retries of one request may wait together (`max_retry_wait_seconds`).
    public var maxRetryWaitSeconds: Double
    /// The largest response body accepted, in bytes (`max_response_bytes`).
    public var maxResponseBytes: Int
    /// Skips TLS certificate verification; for self-signed test servers only (`insecure_skip_tls_verify`).
    public var insecureSkipTLSVerify: Bool
    /// Where an `api_key` or `bearer` credential is read from when it lives in a database row
    /// (`auth.key_query` / `auth.token_query`) rather than in the configuration.
    public var credentialQuery: CredentialQuery?

    /// The defaults used when a connection has no `http:` object.
    /// - Parameters:
    ///   - endpoint: The base URL.
    ///   - auth: The authentication.
    ///   - budget: The budget.
    public init(endpoint: String? = nil, auth: HTTPAuthConfig = .none, budget: HTTPBudgetConfig? = nil) {
        self.endpoint = endpoint
        self.headers = []
        self.auth = auth
        self.budget = budget
        self.timeoutSeconds = 60
        self.connectTimeoutSeconds = 10
        self.maxAttempts = 5
        self.maxRetryWaitSeconds = 300
        self.maxResponseBytes = 64 << 20
        self.insecureSkipTLSVerify = false
        self.credentialQuery = nil
    }

    /// Every value in this configuration that must never be printed: credentials,
    /// and the values of credential-carrying headers.
    public var secretValues: [String] {
        var values = auth.secretValues + (credentialQuery?.secretValues ?? [])
        for header in headers where HTTPHeaders.isSensitive(header.name) { values.append(header.value) }
        return values
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.endpoint == rhs.endpoint && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value) && lhs.auth == rhs.auth && lhs.budget == rhs.budget
            && lhs.timeoutSeconds == rhs.timeoutSeconds && lhs.connectTimeoutSeconds == rhs.connectTimeoutSeconds
            && lhs.maxAttempts == rhs.maxAttempts && lhs.maxRetryWaitSeconds == rhs.maxRetryWaitSeconds
            && lhs.maxResponseBytes == rhs.maxResponseBytes && lhs.insecureSkipTLSVerify == rhs.insecureSkipTLSVerify
            && lhs.credentialQuery == rhs.credentialQuery
    }
}

/// A named request allowance (`http.budget`), shared by every connection naming it.
public struct HTTPBudgetConfig: Sendable, Equatable {
    /// The budget's name, usually one per API account.
    public var name: String
    /// The limits.
    public var limits: RateBudget.Limits

    /// Creates a budget configuration.
    /// - Parameters:
    ///   - name: The budget's name.
    ///   - limits: The limits.
    public init(name: String, limits: RateBudget.Limits) {
        self.name = name
        self.limits = limits
    }
}

/// How requests authenticate (`http.auth`).
public enum HTTPAuthConfig: Sendable, Equatable {
    /// No authentication.
    case none
    /// An API key in a header (`header`, default `X-API-KEY`) or a query parameter (`query`).
    case apiKey(key: String, header: String?, query: String?)
    /// HTTP basic authentication.
    case basic(username: String, password: String)
    /// A fixed bearer token.
    case bearer(token: String)
    /// OAuth2 with a token endpoint.
    case oauth2(tokenURL: String, credentials: OAuth2Session.Credentials)
    /// A cookie session: a fixed cookie, or one obtained from a login request.
    case cookie(CookieLogin)

    /// The credential values, for the redactor.
    public var secretValues: [String] {
        switch self {
        case .none: return []
        case .apiKey(let key, _, _): return [key]
        case .basic(let username, let password):
            // The encoded form appears in Authorization headers; the user name alone is not secret.
            return [password, Base64.encode(Array("\(username):\(password)".utf8))]
        case .bearer(let token): return [token]
        case .oauth2(_, let credentials):
            return [credentials.clientSecret, credentials.password, credentials.refreshToken].compactMap { $0 }
        case .cookie(let login):
            return
                ([login.value]
                + login.headers.filter { HTTPHeaders.isSensitive($0.name) || $0.name.lowercased().contains("password") }
                .map(\.value) + [login.body]).compactMap { $0 }
        }
    }
}

/// A cookie session (`http.auth` with `type: cookie`), as 4D's `WASID4D`.
public struct CookieLogin: Sendable, Equatable {
    /// A fixed `Cookie` header value (`value`), used when there is no login request.
    public var value: String?
    /// The login request's URL (`login_url`), absolute or relative to the endpoint.
    public var url: String?
    /// The login request's method (`login_method`, default POST).
    public var method: String
    /// The login request's headers (`login_headers`), as 4D's `username-4D` and `password-4D`.
    public var headers: [HTTPHeaders.Field]
    /// The login request's body (`login_body`), if any.
    public var body: String?
    /// Whether an obtained session is kept in the state store and reused by later runs
    /// (`keep_session`, default true): a 4D server holds a licence per session for its
    /// whole timeout, so a five-minute cron must not open a new one each run.
    public var keepSession: Bool
    /// How long a kept session stays usable after its last use (`session_ttl_seconds`,
    /// default 3,600: 4D's default session timeout). Set it to the server's timeout.
    public var sessionTTL: Double
    /// Where a session is ended when it is not kept (`logout_url`, as 4D's `$directory/logout`).
    public var logoutURL: String?

    /// Creates a cookie session configuration.
    /// - Parameters:
    ///   - value: A fixed cookie.
    ///   - url: The login URL.
    ///   - method: The login method.
    ///   - headers: The login headers.
    ///   - body: The login body.
    ///   - keepSession: Whether sessions are reused across runs.
    ///   - sessionTTL: Seconds a kept session stays usable after its last use.
    ///   - logoutURL: Where a session that is not kept is ended.
    public init(
        value: String? = nil, url: String? = nil, method: String = "POST", headers: [HTTPHeaders.Field] = [],
        body: String? = nil, keepSession: Bool = true, sessionTTL: Double = 3600, logoutURL: String? = nil
    ) {
        self.keepSession = keepSession
        self.sessionTTL = sessionTTL
        self.logoutURL = logoutURL
        self.value = value
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }
}

/// Standard base64 (RFC 4648) without Foundation, for basic authentication.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes with padding.
    /// - Parameter bytes: The bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index], b1 = index + 1 < bytes.count ? bytes[index + 1] : 0,
                b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0f) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3f)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
