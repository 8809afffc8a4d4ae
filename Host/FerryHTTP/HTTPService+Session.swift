import FerryCore
import FerryJSON

/// Cookie sessions kept across runs (4D's `WASID4D`): a server that holds a licence per
/// session for its whole timeout must see the same session from every run and pipeline
/// of a connection, not a new login each time.
///
/// The session lives in the state store under the connection's private HTTP scope, with
/// the time it stops being usable; each use (at most once a minute) moves that time on.
extension HTTPService {
    /// The state-store key of a connection's kept cookie session.
    public static let cookieSessionKey = "cookie.session"

    /// How often a used session's expiry is written back, at most.
    static let sessionTouchInterval: Double = 60

    /// The kept session of a cookie login, when one is stored and still usable.
    func restoreKeptSession() {
        guard case .cookie(let login) = config.auth, login.url != nil, login.keepSession,
            let text = try? store.value(scope: stateScope, key: Self.cookieSessionKey),
            let json = try? JSONParser().parse(text), let value = json["cookie"]?.stringValue,
            let expiresAt = json["expires_at"]?.doubleValue, !value.isEmpty
        else { return }
        redactor.add(cookieValues(value))
        guard expiresAt > clock.now() else { return }
        cookie.withLock { $0 = value }
        sessionTouchedAt.withLock { $0 = clock.now() }
    }

    /// Writes the current session with a fresh expiry (after a login, a new cookie, or a use).
    func keepSession(force: Bool) {
        guard case .cookie(let login) = config.auth, login.url != nil, login.keepSession,
            let value = cookie.withLock({ $0 })
        else { return }
        let now = clock.now()
        let due = sessionTouchedAt.withLock { touched in
            guard force || now - (touched ?? 0) >= Self.sessionTouchInterval else { return false }
            touched = now
            return true
        }
        guard due else { return }
        let record: JSONValue = .object(["cookie": .string(value), "expires_at": .double(now + login.sessionTTL)])
        do {
            try store.setValue(record.encodedString(), scope: stateScope, key: Self.cookieSessionKey)
        } catch {
            // Losing the kept session costs one login next run, never data: say so and go on.
            logger.warning(
                "The session could not be kept for later runs.",
                metadata: ["connection": "\(connectionName)", "error": "\(error)"])
        }
    }

    /// Forgets the session a 401 rejected, here and in the store.
    func dropSession() {
        cookie.withLock { $0 = nil }
        sessionTouchedAt.withLock { $0 = nil }
        if case .cookie(let login) = config.auth, login.keepSession {
            try? store.removeValue(scope: stateScope, key: Self.cookieSessionKey)
        }
    }

    /// Ends the connection's use of the service: a session that is not kept for later runs
    /// is logged out (`logout_url`), so it frees its licence now rather than at its timeout.
    public func close() {
        guard case .cookie(let login) = config.auth, !login.keepSession, let logoutURL = login.logoutURL,
            let value = cookie.withLock({ $0 })
        else { return }
        cookie.withLock { $0 = nil }
        do {
            var request = HTTPTransportRequest(
                method: "POST", url: try resolve(logoutURL), timeoutSeconds: config.timeoutSeconds,
                connectTimeoutSeconds: config.connectTimeoutSeconds, maxResponseBytes: 1 << 20,
                verifyTLS: !config.insecureSkipTLSVerify)
            for header in config.headers { request.headers.add(header.name, header.value) }
            request.headers.set("Cookie", value)
            let response = try transport.perform(request)
            observer?.answered(connection: connectionName, status: response.status)
            if !(200..<300).contains(response.status) {
                logger.warning(
                    "The logout was refused; the session ends at its timeout.",
                    metadata: ["connection": "\(connectionName)", "status": "\(response.status)"])
            }
        } catch {
            logger.warning(
                "The logout failed; the session ends at its timeout.",
                metadata: ["connection": "\(connectionName)", "error": "\(redactor.redact("\(error)"))"])
        }
    }

    /// Whether a refused login says the server has no free session (4D: its licences are
    /// all held), which frees up with time, unlike wrong credentials.
    static func isSessionLimit(status: Int, body: JSONValue?, text: String) -> Bool {
        if [429, 503].contains(status) { return true }
        let messages = (body?["__ERROR"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue } + [text]
        return messages.contains { message in
            let lowered = message.lowercased()
            return ["licence", "license", "session limit", "maximum number of sessions", "too many sessions"]
                .contains { lowered.contains($0) }
        }
    }

    /// The values of `name=value; …` cookie pairs.
    func cookieValues(_ pairs: String) -> [String] {
        pairs.split(separator: ";").compactMap { pair in
            pair.firstIndex(of: "=").map { String(pair[pair.index(after: $0)...]) }
        }
    }
}
