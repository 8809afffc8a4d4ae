import FerryCore
import FerryJSON
import Foundation
import Logging
import Synchronization

/// The host's HTTP service for one connection: resolves URLs against the
/// connection's `endpoint`, adds authentication, takes from the shared rate
/// budget, retries by ``HTTPRetryStateMachine``'s rules, and keeps every
/// credential it knows or learns registered with the redactor.
///
/// Thread-safe: plugin instances may call it from any thread. Token renewal is
/// serialised per connection so a rotated refresh token is never used twice.
public final class HTTPService: Sendable {
    /// A request as a connector states it.
    public struct Request: Sendable, Equatable {
        /// The method, such as GET or POST.
        public var method: String
        /// An absolute URL, or a path relative to the connection's endpoint.
        public var url: String
        /// Headers to send in addition to the connection's and the authentication's.
        public var headers: HTTPHeaders
        /// The body (may be empty).
        public var body: [UInt8]
        /// Seconds this request may take in all; nil uses the connection's `timeout_seconds`.
        public var timeoutSeconds: Double?
        /// Whether a non-idempotent request may be repeated after a failure (`FERRY_HTTP_RETRY_SAFE`).
        public var retrySafe: Bool

        /// Creates a request.
        /// - Parameters:
        ///   - method: The method.
        ///   - url: The URL or relative path.
        ///   - headers: Extra headers.
        ///   - body: The body.
        ///   - timeoutSeconds: A per-request timeout.
        ///   - retrySafe: Whether a non-idempotent request may be repeated.
        public init(
            method: String = "GET", url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
            timeoutSeconds: Double? = nil, retrySafe: Bool = false
        ) {
            self.method = method.uppercased()
            self.url = url
            self.headers = headers
            self.body = body
            self.timeoutSeconds = timeoutSeconds
            self.retrySafe = retrySafe
        }
    }

    /// The connection's settings.
    public let config: HTTPConnectionConfig
    /// The connection's name, for messages.
    public let connectionName: String
    let transport: any HTTPTransport
    let store: any StateStore
    let stateScope: String
    let budgets: RateBudgetRegistry?
    let redactor: Redactor
    let logger: Logger
    let observer: (any HTTPTrafficObserver)?
    let clock: HTTPClock
    let isCancelled: @Sendable () -> Bool
    let random: @Sendable () -> Double
    let oauth: Mutex<OAuth2Session?>
    let cookie = Mutex<String?>(nil)
    /// When the kept cookie session was last written to the store (nil: not yet).
    let sessionTouchedAt = Mutex<Double?>(nil)
    /// Reads `http.auth.key_query` / `token_query` credentials (nil: no database reachable).
    let credentialLookup: (any CredentialLookup)?
    /// The credential last read by the connection's credential query.
    let queriedCredential = Mutex<String?>(nil)

    /// The state-store key of a connection's rotated OAuth2 refresh token.
    public static let refreshTokenKey = "oauth2.refresh_token"
    /// The state-store key of the marker a process holds while it refreshes the connection's token.
    static let refreshMarkerKey = "oauth2.refreshing"
    /// Who this service is in a refresh marker, `host:pid:token`: unique per service, so two
    /// in one process wait for each other too.
    let refreshHolder = "\(LeaseHolder.currentHostname):\(getpid()):\(UUID().uuidString.prefix(8))"

    /// Creates the service of one connection.
    /// - Parameters:
    ///   - config: The connection's `http:` settings.
    ///   - connectionName: The connection's name, used in messages.
    ///   - transport: How requests are sent (libcurl in production).
    ///   - store: Where rotated refresh tokens are kept.
    ///   - stateScope: The connection's private state scope for tokens.
    ///   - budgets: The process's shared budgets (needed when `config.budget` is set).
    ///   - redactor: The shared redactor; every credential is registered with it.
    ///   - logger: Where retries and warnings go.
    ///   - clock: Time and sleeping.
    ///   - isCancelled: Polled while waiting.
    ///   - random: Jitter source in 0..<1.
    ///   - observer: Told of every attempt and retry (serve's metrics), if anyone listens.
    ///   - credentialLookup: Runs the connection's credential query, if it has one.
    public init(
        config: HTTPConnectionConfig, connectionName: String, transport: any HTTPTransport = CurlTransport(),
        store: any StateStore, stateScope: String, budgets: RateBudgetRegistry?, redactor: Redactor,
        logger: Logger, clock: HTTPClock = .system, isCancelled: @escaping @Sendable () -> Bool = { false },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        observer: (any HTTPTrafficObserver)? = nil, credentialLookup: (any CredentialLookup)? = nil
    ) {
        self.observer = observer
        self.credentialLookup = credentialLookup
        self.config = config
        self.connectionName = connectionName
        self.transport = transport
        self.store = store
        self.stateScope = stateScope
        self.budgets = budgets
        self.redactor = redactor
        self.logger = logger
        self.clock = clock
        self.isCancelled = isCancelled
        self.random = random
        redactor.add(config.secretValues)
        if case .oauth2(_, var credentials) = config.auth {
            let stored = try? store.value(scope: stateScope, key: Self.refreshTokenKey)
            if let stored { redactor.add(stored) }
            if credentials.refreshToken?.isEmpty ?? true, let file = credentials.refreshTokenFile,
                let token = Self.readRefreshTokenFile(file)
            {
                // Imported when nothing is stored; otherwise tried once if the stored token is rejected.
                redactor.add(token)
                credentials.refreshToken = token
            }
            oauth = Mutex(OAuth2Session(credentials: credentials, storedRefreshToken: stored))
        } else {
            oauth = Mutex(nil)
        }
        if case .cookie(let login) = config.auth, let value = login.value { cookie.withLock { $0 = value } }
        restoreKeptSession()
        if config.insecureSkipTLSVerify {
            logger.warning(
                "TLS verification is off for this connection; use insecure_skip_tls_verify only with test servers.",
                metadata: ["connection": "\(connectionName)"])
        }
    }

    /// The refresh token in a refresh-token file, or nil when it is missing or empty: the
    /// trimmed text of a plain file (WattiVahti's `refresh_token.txt`), or the `refresh_token`
    /// of a JSON object (the Gazelle seed's `config/token.json`, as OAuth2 token endpoints answer).
    /// - Parameter path: The file (`http.auth.refresh_token_file`, made absolute by the workspace).
    static func readRefreshTokenFile(_ path: String) -> String? {
        guard let bytes = FileManager.default.contents(atPath: path), bytes.count < 1 << 20 else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.drop(while: \.isWhitespace).first == "{" {
            guard let token = (try? JSONParser().parse(text))?["refresh_token"]?.stringValue else { return nil }
            return token.isEmpty ? nil : token
        }
        let token = text.filter { !$0.isWhitespace }
        return token.isEmpty ? nil : token
    }

    /// Sends a request and returns the response the connector should see.
    ///
    /// Statuses other than 401, 429 and 5xx are delivered as they are. 429 and
    /// 5xx are retried within the connection's limits; a 401 renews OAuth2
    /// tokens or cookie sessions once, and otherwise becomes an `auth` error.
    /// - Parameter request: What to send.
    /// - Throws: ``HTTPError`` when no usable response could be obtained.
    public func send(_ request: Request) throws(HTTPError) -> HTTPTransportResponse {
        let url = try resolve(request.url)
        var machine = HTTPRetryStateMachine(
            method: request.method, retrySafe: request.retrySafe, canRenewCredentials: canRenewCredentials,
            schedule: RetrySchedule(
                maxAttempts: config.maxAttempts, baseDelay: 0.5, maxDelay: 30,
                maxTotalWait: config.maxRetryWaitSeconds, random: random))
        let label = "\(request.method) \(CurlTransport.withoutQuery(url))"
        while true {
            try checkCancelled()
            try takeBudget()
            var attempt = HTTPTransportRequest(
                method: request.method, url: url, headers: request.headers, body: request.body,
                timeoutSeconds: request.timeoutSeconds ?? config.timeoutSeconds,
                connectTimeoutSeconds: config.connectTimeoutSeconds, maxResponseBytes: config.maxResponseBytes,
                verifyTLS: !config.insecureSkipTLSVerify)
            for header in config.headers where !attempt.headers.contains(header.name) {
                attempt.headers.add(header.name, header.value)
            }
            let sentCredential = try authorizeWaitingOutTokenLimits(&attempt)

            var response: HTTPTransportResponse?
            let outcome: HTTPRetryStateMachine.Outcome
            let now = clock.now()
            do throws(HTTPTransportError) {
                let received = try transport.perform(attempt)
                response = received
                let rateLimit = RateLimitHeaders(received.headers, now: now)
                outcome = .response(status: received.status, rateLimit: rateLimit)
                feedBudget(rateLimit, now: now)
                captureCookies(received.headers)
                observer?.answered(connection: connectionName, status: received.status)
            } catch {
                // The transport aborts a request when the run is cancelled (libcurl's "Callback
                // aborted"): that is the cancel, not a failure of the API, and it is not retried.
                try checkCancelled()
                outcome = .transportFailure(error.failure)
                observer?.failed(connection: connectionName)
            }
            switch machine.event(outcome, now: now) {
            case .deliver:
                let received = response!
                if received.status == 401, config.auth != .none {
                    throw HTTPError(
                        .auth,
                        redactor.redact(
                            "\(label): the API rejected the credentials (HTTP 401); check http.auth of connection '\(connectionName)'"
                        ))
                }
                if (200..<300).contains(received.status) {
                    oauth.withLock { $0?.authorized() }
                    keepSession(force: false)
                }
                return received
            case .retry(let delay):
                observer?.retrying(connection: connectionName)
                let reason = response.map { "HTTP \($0.status)" } ?? (outcome.failureMessage ?? "failure")
                logger.warning(
                    "HTTP request failed; retrying.",
                    metadata: [
                        "request": "\(redactor.redact(label))", "error": "\(redactor.redact(reason))",
                        "attempt": "\(machine.attempts)", "wait_seconds": "\((delay * 10).rounded() / 10)",
                    ])
                if response?.status == 429, let budget = config.budget {
                    try? budgets?.pause(budget, until: now + delay, now: now)
                }
                try sleep(delay)
            case .renewCredentialsAndRetry:
                try renewCredentials(rejectedCredential: sentCredential)
            case .fail(let failure):
                throw error(for: failure, label: label)
            }
        }
    }

    /// The absolute URL for `url`: itself when absolute, else joined to the endpoint.
    func resolve(_ url: String) throws(HTTPError) -> String {
        if url.hasPrefix("http://") || url.hasPrefix("https://") { return url }
        guard let endpoint = config.endpoint else {
            throw HTTPError(.invalid, "relative URL '\(url)' but connection '\(connectionName)' has no http.endpoint")
        }
        if url.isEmpty { return endpoint }
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        return url.hasPrefix("/") || url.hasPrefix("?") ? base + url : base + "/" + url
    }

    private func takeBudget() throws(HTTPError) {
        guard let budget = config.budget, let budgets else { return }
        while true {
            let now = clock.now()
            let decision: RateBudget.Decision
            do { decision = try budgets.acquire(budget, now: now) } catch {
                throw HTTPError(.retryable, "the rate budget '\(budget.name)' could not be read or saved: \(error)")
            }
            switch decision {
            case .proceed: return
            case .wait(let seconds):
                logger.debug(
                    "Waiting for the rate budget.",
                    metadata: ["budget": "\(budget.name)", "wait_seconds": "\(seconds)"])
                try sleep(seconds)
            case .exhausted(let resetsAt):
                let wait = max(0, resetsAt - now)
                let limit = budget.limits.perDay.map { " (\($0) requests per day)" } ?? ""
                throw HTTPError(
                    .rateLimited,
                    "the daily request budget '\(budget.name)'\(limit) is used up; it resets at "
                        + "\(HTTPDate.format(resetsAt)), in \(Self.duration(wait)); checkpoints are kept, run again after that",
                    retryAfter: wait)
            }
        }
    }

    private func feedBudget(_ rateLimit: RateLimitHeaders, now: Double) {
        guard let budget = config.budget, let budgets else { return }
        guard rateLimit.remainingMinute != nil || rateLimit.remainingDay != nil || rateLimit.remaining != nil else {
            return
        }
        try? budgets.observe(budget, rateLimit, now: now)
    }

    func sleep(_ seconds: Double) throws(HTTPError) {
        _ = sleepUnlessCancelled(seconds, isCancelled: isCancelled, sleep: clock.sleep)
        try checkCancelled()
    }

    private func checkCancelled() throws(HTTPError) {
        if isCancelled() { throw HTTPError(.cancelled, "the run was cancelled") }
    }

    private func error(for failure: HTTPRetryStateMachine.Failure, label: String) -> HTTPError {
        // A transport failure's message already starts with the request (CurlTransport): not twice.
        func labelled(_ message: String) -> String {
            message.hasPrefix(label + ": ") ? message : "\(label): \(message)"
        }
        switch failure {
        case .retryable(let message): return HTTPError(.retryable, redactor.redact(labelled(message)))
        case .invalid(let message): return HTTPError(.invalid, redactor.redact(labelled(message)))
        case .rateLimited(let message, let retryAfter):
            let when = retryAfter.map { "; the server asks to wait \(Self.duration($0))" } ?? ""
            return HTTPError(.rateLimited, redactor.redact(labelled(message) + when), retryAfter: retryAfter)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        if total < 120 { return "\(total)s" }
        if total < 7200 { return "\(total / 60)m \(total % 60)s" }
        return "\(total / 3600)h \(total / 60 % 60)m"
    }
}

extension HTTPRetryStateMachine.Outcome {
    var failureMessage: String? {
        guard case .transportFailure(let failure) = self else { return nil }
        return HTTPTransportError(failure).description
    }
}
