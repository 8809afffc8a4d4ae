import Yams

extension ConfigParser {
    static let httpKeys = [
        "endpoint", "headers", "auth", "budget", "timeout_seconds", "connect_timeout_seconds", "max_attempts",
        "max_retry_wait_seconds", "max_response_bytes", "insecure_skip_tls_verify",
    ]
    static let budgetKeys = ["name", "per_minute", "per_day"]
    static let authKeysByType: [String: [String]] = [
        "none": ["type"],
        "api_key": ["type", "key", "key_query", "header", "query"],
        "basic": ["type", "username", "password"],
        "bearer": ["type", "token", "token_query"],
        "oauth2": [
            "type", "grant", "token_url", "client_id", "client_secret", "client_auth", "username", "password",
            "refresh_token", "refresh_token_file", "scope",
        ],
        "cookie": [
            "type", "value", "login_url", "login_method", "login_headers", "login_body", "keep_session",
            "session_ttl_seconds", "logout_url",
        ],
    ]

    /// A connection's `http:` object.
    /// - Parameter budgetName: The connection's `budget:` name, used when `http.budget` has none.
    func http(_ field: Field, budgetName: String?) throws -> HTTPConnectionConfig {
        let fields = try mapping(field, allowed: Self.httpKeys)
        var config = HTTPConnectionConfig()
        if let field = fields.optional("endpoint") {
            let endpoint = try string(field)
            guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
                throw failure(.invalidValue, field, "expected an http:// or https:// URL, got '\(endpoint)'")
            }
            config.endpoint = endpoint
        }
        if let field = fields.optional("headers") { config.headers = try headerList(field).map { ($0.name, $0.value) } }
        if let field = fields.optional("auth") {
            config.auth = try auth(field)
            config.credentialQuery = try credentialQuery(in: field)
        }
        if let field = fields.optional("budget") {
            let budget = try mapping(field, allowed: Self.budgetKeys)
            guard let name = try budget.optional("name").map(string) ?? budgetName else {
                throw failure(.missingKey, field, "missing required key 'name' (or set the connection's 'budget')")
            }
            config.budget = HTTPBudgetConfig(
                name: name,
                limits: RateBudget.Limits(
                    perMinute: try budget.optional("per_minute").map { try positive($0) },
                    perDay: try budget.optional("per_day").map { try positive($0) }))
        } else if let budgetName {
            config.budget = HTTPBudgetConfig(name: budgetName, limits: RateBudget.Limits())
        }
        if let field = fields.optional("timeout_seconds") { config.timeoutSeconds = try seconds(field) }
        if let field = fields.optional("connect_timeout_seconds") { config.connectTimeoutSeconds = try seconds(field) }
        if let field = fields.optional("max_retry_wait_seconds") { config.maxRetryWaitSeconds = try seconds(field) }
        if let field = fields.optional("max_attempts") {
            let attempts = try integer(field)
            guard (1...100).contains(attempts) else {
                throw failure(.invalidValue, field, "must be between 1 and 100, got \(attempts)")
            }
            config.maxAttempts = attempts
        }
        if let field = fields.optional("max_response_bytes") { config.maxResponseBytes = try positive(field) }
        if let field = fields.optional("insecure_skip_tls_verify") { config.insecureSkipTLSVerify = try boolean(field) }
        return config
    }

    func auth(_ field: Field) throws -> HTTPAuthConfig {
        let all = try mapping(field)
        let typeField = try required(all, "type")
        let type = try string(typeField)
        guard let allowed = Self.authKeysByType[type] else {
            let options = Self.authKeysByType.keys.sorted()
            var message = "expected one of \(options.joined(separator: ", ")), got '\(type)'"
            if let suggestion = Suggestion.closest(to: type, in: options) {
                message += "; did you mean '\(suggestion)'?"
            }
            throw failure(.invalidValue, typeField, message)
        }
        let fields = try mapping(field, allowed: allowed)
        func text(_ key: String) throws -> String? { try fields.optional(key).map(string) }
        func need(_ key: String) throws -> String { try string(required(fields, key)) }
        /// The fixed credential under `key`, or "" when `query` reads it from a database instead.
        func credential(_ key: String, orQuery query: String) throws -> String {
            switch (fields.optional(key), fields.optional(query)) {
            case (let value?, nil): return try string(value)
            case (nil, _?): return ""
            case (_?, _?): throw failure(.invalidValue, field, "set either '\(key)' or '\(query)', not both")
            case (nil, nil): throw failure(.missingKey, field, "missing required key '\(key)' (or '\(query)')")
            }
        }
        switch type {
        case "api_key":
            let header = try text("header"), query = try text("query")
            if header != nil && query != nil {
                throw failure(.invalidValue, field, "set either 'header' or 'query', not both")
            }
            return .apiKey(key: try credential("key", orQuery: "key_query"), header: header, query: query)
        case "basic":
            return .basic(username: try need("username"), password: try need("password"))
        case "bearer":
            return .bearer(token: try credential("token", orQuery: "token_query"))
        case "oauth2":
            let grant =
                try fields.optional("grant").map { try choice($0, OAuth2Session.Grant.self) } ?? .clientCredentials
            let credentials = OAuth2Session.Credentials(
                grant: grant, clientID: try text("client_id"), clientSecret: try text("client_secret"),
                username: try text("username"), password: try text("password"), refreshToken: try text("refresh_token"),
                scope: try text("scope"), refreshTokenFile: try text("refresh_token_file"),
                clientAuthentication: try fields.optional("client_auth").map {
                    try choice($0, OAuth2Session.ClientAuthentication.self)
                } ?? .form)
            if credentials.clientAuthentication == .basic { _ = try need("client_id") }
            switch grant {
            case .password: _ = (try need("username"), try need("password"))
            case .refreshToken:
                // An empty `refresh_token` (an unset variable) is allowed when a file may supply the first token.
                if credentials.refreshTokenFile == nil { _ = try need("refresh_token") }
            case .clientCredentials: _ = try need("client_id")
            }
            return .oauth2(tokenURL: try need("token_url"), credentials: credentials)
        case "cookie":
            let login = CookieLogin(
                value: try text("value"), url: try text("login_url"),
                method: try text("login_method")?.uppercased() ?? "POST",
                headers: try fields.optional("login_headers").map(headerList) ?? [], body: try text("login_body"),
                keepSession: try fields.optional("keep_session").map(boolean) ?? true,
                sessionTTL: try fields.optional("session_ttl_seconds").map(seconds) ?? 3600,
                logoutURL: try text("logout_url"))
            guard login.value != nil || login.url != nil else {
                throw failure(.missingKey, field, "a cookie session needs 'value' (a fixed cookie) or 'login_url'")
            }
            return .cookie(login)
        default:
            return .none
        }
    }

    /// `auth.key_query` or `auth.token_query`: `{url: postgres://…, sql: SELECT …}`.
    func credentialQuery(in auth: Field) throws -> CredentialQuery? {
        let all = try mapping(auth)
        guard let field = all.optional("key_query") ?? all.optional("token_query") else { return nil }
        let query = try mapping(field, allowed: ["url", "sql"])
        let urlField = try required(query, "url")
        let url = try string(urlField)
        do { _ = try PostgresStateURL(url) } catch {
            throw failure(.invalidValue, urlField, "the credential database URL \(error)")
        }
        let sql = try string(required(query, "sql"))
        guard !sql.allSatisfy(\.isWhitespace) else {
            throw failure(.invalidValue, field, "'sql' is empty; it must select the credential")
        }
        return CredentialQuery(url: url, sql: sql)
    }

    /// A mapping of header names to string values.
    func headerList(_ field: Field) throws -> [HTTPHeaders.Field] {
        try mapping(field).entries.map { name, entry in HTTPHeaders.Field(name: name, value: try string(entry)) }
    }

    /// A positive integer.
    func positive(_ field: Field) throws -> Int {
        let value = try integer(field)
        guard value > 0 else { throw failure(.invalidValue, field, "must be greater than 0, got \(value)") }
        return value
    }

    /// A positive number of seconds (integer or decimal).
    func seconds(_ field: Field) throws -> Double {
        guard case .scalar(let scalar) = field.node else { throw mismatch(field, expected: "a number of seconds") }
        let (text, tag) = try resolved(scalar, field)
        guard tag == .int || tag == .float, let value = Double(text), value.isFinite, value > 0 else {
            throw failure(.invalidValue, field, "expected a positive number of seconds, got '\(text)'")
        }
        return value
    }

    /// `true` or `false`.
    func boolean(_ field: Field) throws -> Bool {
        guard case .scalar(let scalar) = field.node else { throw mismatch(field, expected: "true or false") }
        let (text, tag) = try resolved(scalar, field)
        guard tag == .bool, let value = Bool.construct(from: YAMLScalarType.plainScalar(text)) else {
            throw failure(.typeMismatch, field, "expected true or false, got '\(text)'")
        }
        return value
    }
}
