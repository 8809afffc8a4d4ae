import FerryCore
import FerryJSON
import FerryURL

extension HTTPService {
    /// Whether a 401 can be answered by obtaining new credentials.
    var canRenewCredentials: Bool {
        if config.credentialQuery != nil { return true }
        switch config.auth {
        case .oauth2: return true
        case .cookie(let login): return login.url != nil
        default: return false
        }
    }

    /// Adds the connection's credentials to one attempt.
    /// - Returns: The credential read by the connection's query, when it has one: what a 401 refused.
    @discardableResult
    func authorize(_ request: inout HTTPTransportRequest) throws(HTTPError) -> String? {
        switch config.auth {
        case .none:
            return nil
        case .apiKey(let configured, let header, let query):
            let key = try credential(configured)
            if let query {
                request.url = PercentEncoding.url(request.url, appendingQuery: [(name: query, value: key)])
            } else {
                request.headers.set(header ?? "X-API-KEY", key)
            }
            return config.credentialQuery == nil ? nil : key
        case .basic(let username, let password):
            request.headers.set("Authorization", "Basic " + Base64.encode(Array("\(username):\(password)".utf8)))
        case .bearer(let configured):
            let token = try credential(configured)
            request.headers.set("Authorization", "Bearer " + token)
            return config.credentialQuery == nil ? nil : token
        case .oauth2(let tokenURL, _):
            let token = try accessToken(tokenURL: tokenURL)
            request.headers.set("Authorization", "Bearer " + token)
        case .cookie(let login):
            let value = try sessionCookie(login)
            request.headers.set("Cookie", value)
        }
        return nil
    }

    /// ``authorize(_:)``, waiting when the token endpoint answers 429 with a reset time: a login
    /// endpoint may have limits of its own (VCOM's: 10 logins a minute), which the request's
    /// budget does not cover. Up to `max_attempts` waits, each within `max_retry_wait_seconds`.
    func authorizeWaitingOutTokenLimits(_ request: inout HTTPTransportRequest) throws(HTTPError) -> String? {
        var waits = 0
        while true {
            do { return try authorize(&request) } catch {
                guard error.kind == .rateLimited, let wait = error.retryAfter, wait <= config.maxRetryWaitSeconds,
                    waits + 1 < config.maxAttempts
                else { throw error }
                waits += 1
                logger.warning(
                    "The token endpoint is rate limited; waiting for its reset.",
                    metadata: ["wait_seconds": "\((wait * 10).rounded() / 10)"])
                try sleep(wait)
            }
        }
    }

    /// Drops the credentials a 401 rejected, so the next attempt obtains new ones.
    /// - Parameter rejectedCredential: The queried credential the rejected attempt carried, if any.
    func renewCredentials(rejectedCredential: String? = nil) throws(HTTPError) {
        if config.credentialQuery != nil {
            try rereadCredential(rejected: rejectedCredential)
            return
        }
        switch config.auth {
        case .oauth2:
            let action = oauth.withLock { $0?.unauthorized() }
            if case .fail(let message)? = action {
                throw HTTPError(.auth, redactor.redact("connection '\(connectionName)': \(message)"))
            }
        case .cookie(let login) where login.url != nil:
            dropSession()
        default:
            return
        }
    }

    /// The configured credential, or the one the connection's credential query reads (once,
    /// then again only after a 401).
    private func credential(_ configured: String) throws(HTTPError) -> String {
        guard let query = config.credentialQuery else { return configured }
        if let known = queriedCredential.withLock({ $0 }) { return known }
        let value = try readCredential(query)
        queriedCredential.withLock { $0 = value }
        return value
    }

    /// After a 401: reads the row again; another tool may have stored a fresh token. The tool
    /// may write it a moment after the old one stopped working, so the same token is read up
    /// to ``credentialRereads`` times, a second apart; still the same means nothing newer
    /// exists, and the request fails naming the query. Requests in flight together may all be
    /// refused: the first renews, the others retry with its value.
    private func rereadCredential(rejected: String?) throws(HTTPError) {
        guard let query = config.credentialQuery else { return }
        let outcome: Result<Bool, HTTPError> = queriedCredential.withLock { current in
            if let current, current != rejected { return .success(false) }
            do throws(HTTPError) {
                for read in 1...Self.credentialRereads {
                    let fresh = try readCredential(query)
                    if fresh != rejected {
                        current = fresh
                        return .success(true)
                    }
                    if read < Self.credentialRereads { try sleep(1) }
                }
                return .failure(
                    HTTPError(
                        .auth,
                        "connection '\(connectionName)': the API rejected the credential read by http.auth's "
                            + "query (HTTP 401), and the database holds no newer one; store a fresh one where "
                            + "the query reads it (\(Self.summary(of: query.sql)))"))
            } catch { return .failure(error) }
        }
        if try outcome.get() {
            logger.info(
                "The credential in the database changed since the last read; retrying with it.",
                metadata: ["connection": "\(connectionName)"])
        }
    }

    /// Reads of a credential query after a 401 before the refused value counts as the latest.
    static let credentialRereads = 3

    private func readCredential(_ query: CredentialQuery) throws(HTTPError) -> String {
        guard let credentialLookup else {
            throw HTTPError(.invalid, "connection '\(connectionName)': no database access for http.auth's query")
        }
        do {
            let value = try credentialLookup.credential(for: query)
            redactor.add(value)
            return value
        } catch {
            throw HTTPError(
                .auth,
                redactor.redact("connection '\(connectionName)': could not read the credential of http.auth: \(error)"))
        }
    }

    /// The query's first line, shortened: enough to say which row is meant.
    static func summary(of sql: String) -> String {
        let line = sql.split(whereSeparator: \.isNewline).first.map(String.init) ?? sql
        return line.count > 120 ? String(line.prefix(117)) + "…" : line
    }

    /// A valid access token, obtaining (and persisting a rotated refresh token) as the session says.
    private func accessToken(tokenURL: String) throws(HTTPError) -> String {
        let url = try resolve(tokenURL)
        let outcome: Result<String, HTTPError> = oauth.withLock { session in
            guard session != nil else { return .failure(HTTPError(.auth, "no OAuth2 session")) }
            var action = session!.prepare(now: clock.now())
            var reloaded = false
            var marked = false
            defer { if marked { releaseRefreshMarker() } }
            // Each pass performs one step; the session guarantees progress (a token, a failure, or one renewal).
            for _ in 0..<8 {
                switch action {
                case .authorize(let token):
                    return .success(token)
                case .fail(let message):
                    return .failure(HTTPError(.auth, redactor.redact("connection '\(connectionName)': \(message)")))
                case .persist(let refreshToken) where refreshToken.allSatisfy({ $0 == "*" }):
                    // A replayed recording's masked token (`ferry run --replay`): keeping it would
                    // replace the real one in the state store.
                    session!.refreshTokenPersisted()
                    action = session!.prepare(now: clock.now())
                case .persist(let refreshToken):
                    redactor.add(refreshToken)
                    do {
                        // Durable first: a crash after this line still finds the new token in state.
                        try store.setValue(refreshToken, scope: stateScope, key: Self.refreshTokenKey)
                    } catch {
                        return .failure(
                            HTTPError(
                                .retryable,
                                "connection '\(connectionName)': the rotated refresh token "
                                    + "could not be saved, so it was not used: \(error)"))
                    }
                    // Tests kill the process here to prove the rotated token survives (`FERRY_FAILPOINTS`).
                    FailPoints.hit("after_token_persist")
                    session!.refreshTokenPersisted()
                    action = session!.prepare(now: clock.now())
                case .requestToken(let form):
                    if !marked {
                        // One refresh at a time across every process sharing the state: a rotated
                        // refresh token used twice is refused by servers that rotate.
                        do throws(HTTPError) { try acquireRefreshMarker() } catch { return .failure(error) }
                        marked = true
                    }
                    // Another session of this connection (a second pipeline, another process) may have rotated the refresh token.
                    if !reloaded, let stored = try? store.value(scope: stateScope, key: Self.refreshTokenKey),
                        stored != session!.refreshToken
                    {
                        reloaded = true
                        redactor.add(stored)
                        session!.adoptStoredRefreshToken(stored)
                        action = session!.prepare(now: clock.now())
                        continue
                    }
                    reloaded = true
                    let body = PercentEncoding.query(form.map { (name: $0.name, value: $0.value) })
                    var request = HTTPTransportRequest(
                        method: "POST", url: url, body: Array(body.utf8), timeoutSeconds: config.timeoutSeconds,
                        connectTimeoutSeconds: config.connectTimeoutSeconds, maxResponseBytes: 1 << 20,
                        verifyTLS: !config.insecureSkipTLSVerify)
                    for header in config.headers { request.headers.add(header.name, header.value) }
                    request.headers.set("Content-Type", "application/x-www-form-urlencoded")
                    request.headers.set("Accept", "application/json")
                    if let authorization = Self.basicClientAuthorization(session!.credentials) {
                        redactor.add(String(authorization.dropFirst("Basic ".count)))
                        request.headers.set("Authorization", authorization)
                    }
                    let response: HTTPTransportResponse
                    do { response = try transport.perform(request) } catch {
                        return .failure(
                            HTTPError(
                                .retryable,
                                redactor.redact("token request to \(CurlTransport.withoutQuery(url)) failed: \(error)"))
                        )
                    }
                    if response.status == 429 || (500...599).contains(response.status) {
                        let wait = RateLimitHeaders(response.headers, now: clock.now()).wait(
                            now: clock.now(), limited: true)
                        return .failure(
                            HTTPError(
                                response.status == 429 ? .rateLimited : .retryable,
                                "token request to \(CurlTransport.withoutQuery(url)) failed: HTTP \(response.status)",
                                retryAfter: wait))
                    }
                    let json = try? JSONParser().parse(response.body)
                    if let token = json?["access_token"]?.stringValue { redactor.add(token) }
                    if let refresh = json?["refresh_token"]?.stringValue { redactor.add(refresh) }
                    action = session!.tokenResponse(status: response.status, body: json, now: clock.now())
                }
            }
            return .failure(
                HTTPError(.auth, "connection '\(connectionName)': the token endpoint did not yield a usable token"))
        }
        return try outcome.get()
    }

    /// Takes the connection's refresh marker in the state store (`oauth2.refreshing`: a holder
    /// and a deadline), waiting while another process holds it. A marker past its deadline (a
    /// process killed mid-refresh) is taken over.
    private func acquireRefreshMarker() throws(HTTPError) {
        let waitUntil = clock.now() + 2 * config.timeoutSeconds + 10
        while true {
            let now = clock.now()
            let taken: Bool
            do {
                taken = try store.updateValue(scope: stateScope, key: Self.refreshMarkerKey) { current in
                    if let current, !current.hasPrefix(refreshHolder + " "),
                        let deadline = current.split(separator: " ").last.flatMap({ Double($0) }), deadline > now,
                        !Self.holderIsGone(current)
                    {
                        return (current, false)
                    }
                    return ("\(refreshHolder) \(now + config.timeoutSeconds + 5)", true)
                }
            } catch {
                throw HTTPError(.retryable, "connection '\(connectionName)': cannot mark the token refresh: \(error)")
            }
            if taken { return }
            guard now < waitUntil else {
                throw HTTPError(
                    .retryable,
                    "connection '\(connectionName)': another process has been refreshing the OAuth token for too long")
            }
            try sleep(0.1)
        }
    }

    /// True when a marker's holder (`host:pid:token`) provably no longer runs — killed
    /// mid-refresh — as the state store's leases decide it: the marker need not be waited out.
    static func holderIsGone(_ marker: String) -> Bool {
        let parts = marker.split(separator: " ").first?.split(separator: ":") ?? []
        guard parts.count == 3, let pid = Int32(parts[1]) else { return false }
        return LeaseHolder(pid: pid, hostname: String(parts[0])).hasEnded
    }

    private func releaseRefreshMarker() {
        _ = try? store.updateValue(scope: stateScope, key: Self.refreshMarkerKey) { current in
            (current?.hasPrefix(refreshHolder + " ") == true ? nil : current, ())
        }
    }

    /// `Authorization` of a token request when the client authenticates with Basic (RFC 6749
    /// §2.3.1): `client_id:client_secret`, each form-encoded first, in Base64. Nil for `form`.
    static func basicClientAuthorization(_ credentials: OAuth2Session.Credentials) -> String? {
        guard credentials.clientAuthentication == .basic, let clientID = credentials.clientID else { return nil }
        let pair = PercentEncoding.encode(clientID) + ":" + PercentEncoding.encode(credentials.clientSecret ?? "")
        return "Basic " + Base64.encode(Array(pair.utf8))
    }

    /// The session cookie: the configured one, or one obtained by the login request.
    private func sessionCookie(_ login: CookieLogin) throws(HTTPError) -> String {
        if let current = cookie.withLock({ $0 }) { return current }
        guard let loginURL = login.url else {
            throw HTTPError(.auth, "connection '\(connectionName)': set http.auth.value or http.auth.login_url")
        }
        var request = HTTPTransportRequest(
            method: login.method, url: try resolve(loginURL), body: Array((login.body ?? "").utf8),
            timeoutSeconds: config.timeoutSeconds, connectTimeoutSeconds: config.connectTimeoutSeconds,
            maxResponseBytes: 1 << 20, verifyTLS: !config.insecureSkipTLSVerify)
        for header in config.headers { request.headers.add(header.name, header.value) }
        for header in login.headers { request.headers.set(header.name, header.value) }
        let response: HTTPTransportResponse
        do { response = try transport.perform(request) } catch {
            throw HTTPError(.retryable, redactor.redact("login request failed: \(error)"))
        }
        observer?.answered(connection: connectionName, status: response.status)
        let json = try? JSONParser().parse(response.body)
        guard (200..<300).contains(response.status), json?["result"]?.boolValue != false else {
            if Self.isSessionLimit(
                status: response.status, body: json, text: String(decoding: response.body.prefix(2048), as: UTF8.self))
            {
                // Sessions free up when the server's session timeout ends; retrying later can succeed.
                throw HTTPError(
                    .retryable,
                    "connection '\(connectionName)': the server at \(CurlTransport.withoutQuery(loginURL)) has no free "
                        + "session (its session or licence limit is reached, HTTP \(response.status)); sessions free up "
                        + "when they time out. Keep sessions across runs (http.auth.keep_session) so runs do not open new ones",
                    retryAfter: RateLimitHeaders(response.headers, now: clock.now()).wait(
                        now: clock.now(), limited: true))
            }
            throw HTTPError(
                .auth,
                "connection '\(connectionName)': the login at \(CurlTransport.withoutQuery(loginURL)) was "
                    + "rejected (HTTP \(response.status)); check http.auth.login_headers and login_body")
        }
        guard let value = Self.cookiePairs(response.headers) else {
            throw HTTPError(.auth, "connection '\(connectionName)': the login response set no cookie")
        }
        registerCookieSecrets(value)
        cookie.withLock { $0 = value }
        keepSession(force: true)
        return value
    }

    /// Keeps cookies a cookie-session API sets on ordinary responses (4D sets `WASID4D` on the first request).
    func captureCookies(_ headers: HTTPHeaders) {
        guard case .cookie = config.auth, let pairs = Self.cookiePairs(headers) else { return }
        registerCookieSecrets(pairs)
        let changed = cookie.withLock { current in
            let before = current
            var merged: [(String, String)] = []
            for part in ((current ?? "") + "; " + pairs).split(separator: ";") {
                let pair = String(part).trimming(" ")
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<equals])
                merged.removeAll { $0.0 == name }
                merged.append((name, String(pair[pair.index(after: equals)...])))
            }
            current = merged.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")
            return current != before
        }
        // A new or changed cookie is kept for later runs at once; an unchanged one only on use.
        if changed { keepSession(force: true) }
    }

    /// Registers the values of `name=value; …` cookie pairs with the redactor.
    private func registerCookieSecrets(_ pairs: String) { redactor.add(cookieValues(pairs)) }

    /// `name=value` pairs of a response's `Set-Cookie` fields, joined with `; `.
    private static func cookiePairs(_ headers: HTTPHeaders) -> String? {
        let pairs = headers.values(for: "Set-Cookie").compactMap { line -> String? in
            let pair = line.split(separator: ";", maxSplits: 1).first.map(String.init)?.trimming(" ")
            return pair?.contains("=") == true ? pair : nil
        }
        return pairs.isEmpty ? nil : pairs.joined(separator: "; ")
    }
}

extension String {
    func trimming(_ set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return String(text)
    }
}
