import Testing

@testable import FerryCore

/// The `http:` object of a connection: every key, defaults, and file:line errors.
@Suite struct HTTPConfigTests {
    func config(_ http: String, budget: String? = nil) throws -> FerryConfig {
        let yaml = """
            connections:
              api:
                plugin: rest
            \(budget.map { "    budget: \($0)\n" } ?? "")    http:
            \(http.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
              out:
                plugin: file
            pipelines:
              p:
                source: { connection: api, stream: items }
                destination: { connection: out }
            """
        return try FerryConfig.parse(
            yaml: yaml, file: "ferry.yaml", environment: ["VCOM_KEY": "k-123456", "VCOM_PASSWORD": "pw-98765"],
            dotEnv: [:])
    }

    func error(_ http: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> ConfigError {
        try #require(throws: ConfigError.self, sourceLocation: sourceLocation) { try config(http) }
    }

    @Test func parsesEveryKey() throws {
        let parsed = try config(
            """
            endpoint: https://api.meteocontrol.de/v2
            headers: { X-API-KEY: "${VCOM_KEY}", Accept: application/json }
            auth:
              type: oauth2
              grant: password
              token_url: /login
              client_id: vcom-api
              username: someone
              password: ${VCOM_PASSWORD}
            budget: { name: vcom-1, per_minute: 90, per_day: 10000 }
            timeout_seconds: 2.5
            connect_timeout_seconds: 1
            max_attempts: 3
            max_retry_wait_seconds: 60
            max_response_bytes: 1000000
            insecure_skip_tls_verify: true
            """)
        let http = try #require(parsed.connections["api"]?.http)
        #expect(http.endpoint == "https://api.meteocontrol.de/v2")
        #expect(http.headers.map(\.name) == ["X-API-KEY", "Accept"])
        #expect(http.budget == HTTPBudgetConfig(name: "vcom-1", limits: .init(perMinute: 90, perDay: 10_000)))
        #expect(http.timeoutSeconds == 2.5 && http.connectTimeoutSeconds == 1 && http.maxAttempts == 3)
        #expect(http.maxRetryWaitSeconds == 60 && http.maxResponseBytes == 1_000_000 && http.insecureSkipTLSVerify)
        #expect(
            http.auth
                == .oauth2(
                    tokenURL: "/login",
                    credentials: .init(
                        grant: .password, clientID: "vcom-api", username: "someone", password: "pw-98765")))
        #expect(Set(http.secretValues) == ["k-123456", "pw-98765"])
    }

    @Test func eachAuthType() throws {
        #expect(
            try config("auth: { type: api_key, key: abcd1234, query: apikey }").connections["api"]?.http?.auth
                == .apiKey(key: "abcd1234", header: nil, query: "apikey"))
        #expect(
            try config("auth: { type: basic, username: u, password: secretpw }").connections["api"]?.http?.auth
                == .basic(username: "u", password: "secretpw"))
        #expect(
            try config("auth: { type: bearer, token: tok-1234 }").connections["api"]?.http?.auth
                == .bearer(token: "tok-1234"))
        let cookie = try config(
            """
            auth: { type: cookie, login_url: /rest/$directory/login, login_headers: { username-4D: erp, password-4D: pw4d-1234 } }
            """
        ).connections["api"]?.http?.auth
        guard case .cookie(let login)? = cookie else { Issue.record("expected a cookie login"); return }
        #expect(login.method == "POST" && login.headers.count == 2)
        #expect(cookie?.secretValues == ["pw4d-1234"])
    }

    @Test func theConnectionBudgetNamesTheHTTPBudget() throws {
        let parsed = try config("budget: { per_minute: 30 }", budget: "acct")
        #expect(parsed.connections["api"]?.http?.budget == HTTPBudgetConfig(name: "acct", limits: .init(perMinute: 30)))
    }

    @Test func errorsNameLineKeyPathAndChoices() throws {
        let unknown = try error("timeut_seconds: 3")
        #expect(
            unknown.description
                == "ferry.yaml:5:7: connections.api.http.timeut_seconds: unknown key 'timeut_seconds'; did you mean 'timeout_seconds'?"
        )
        let type = try error("auth: { type: oauth, token_url: /t }")
        #expect(
            type.description.hasPrefix(
                "ferry.yaml:5:15: connections.api.http.auth.type: expected one of api_key, basic, bearer, cookie, none, oauth2, got 'oauth'; did you mean 'oauth2'?"
            ))
        let missing = try error("auth: { type: oauth2, grant: password, token_url: /t, username: u }")
        #expect(missing.description.contains("connections.api.http.auth: missing required key 'password'"))
        let wrongKey = try error("auth: { type: bearer, key: x }")
        #expect(wrongKey.description.contains("unknown key 'key'"))
        #expect(try error("endpoint: ftp://x").description.contains("expected an http:// or https:// URL"))
        #expect(try error("budget: { per_minute: 0 }").description.contains("missing required key 'name'"))
        #expect(try error("budget: { name: b, per_minute: 0 }").description.contains("must be greater than 0"))
        #expect(try error("insecure_skip_tls_verify: yes please").description.contains("expected true or false"))
        #expect(try error("max_attempts: 0").description.contains("must be between 1 and 100"))
    }
}

/// Credentials kept elsewhere: an `api_key`/`bearer` read from a database row, and OAuth2
/// client authentication by HTTP Basic.
@Suite struct HTTPCredentialSourceConfigTests {
    let base = HTTPConfigTests()

    @Test func aKeyQueryAndBasicClientAuthParse() throws {
        let queried = try base.config(
            """
            auth:
              type: api_key
              header: x-auth-token
              key_query: { url: "postgres://sync:dbpw-4711@db.internal/ops", sql: "SELECT jwt_token FROM jwt_tokens WHERE shop_id = 6212" }
            """
        ).connections["api"]?.http
        #expect(queried?.auth == .apiKey(key: "", header: "x-auth-token", query: nil))
        #expect(
            queried?.credentialQuery
                == CredentialQuery(
                    url: "postgres://sync:dbpw-4711@db.internal/ops",
                    sql: "SELECT jwt_token FROM jwt_tokens WHERE shop_id = 6212"))
        #expect(queried?.secretValues.contains("dbpw-4711") == true)

        let basic = try base.config(
            "auth: { type: oauth2, token_url: /oauth/token, client_id: c1, client_secret: cs-1, client_auth: basic }"
        ).connections["api"]?.http?.auth
        guard case .oauth2(_, let credentials)? = basic else { Issue.record("expected oauth2"); return }
        #expect(credentials.clientAuthentication == .basic && credentials.grant == .clientCredentials)
    }

    @Test func mistakesNameTheKey() throws {
        let both = try base.error(
            "auth: { type: bearer, token: t-1, token_query: { url: 'postgres://h/db', sql: 'SELECT 1' } }")
        #expect(both.description.contains("connections.api.http.auth: set either 'token' or 'token_query', not both"))
        let neither = try base.error("auth: { type: api_key, header: x-auth-token }")
        #expect(neither.description.contains("missing required key 'key' (or 'key_query')"))
        let badURL = try base.error(
            "auth: { type: api_key, key_query: { url: 'mysql://h/db', sql: 'SELECT 1' } }")
        #expect(badURL.description.contains("http.auth.key_query.url"), "\(badURL)")
        #expect(badURL.description.contains("must start with postgres://"), "\(badURL)")
        let noSQL = try base.error("auth: { type: api_key, key_query: { url: 'postgres://h/db' } }")
        #expect(noSQL.description.contains("missing required key 'sql'"), "\(noSQL)")
        let clientAuth = try base.error(
            "auth: { type: oauth2, token_url: /t, client_id: c, client_secret: s, client_auth: basci }")
        #expect(clientAuth.description.contains("expected one of form, basic, got 'basci'; did you mean 'basic'?"))
    }
}
