import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Synchronization

/// VCOM's OAuth login (`POST /v2/login`), as `reference/external-apis.md` §1 gives it, for
/// ``VCOMSimulator``: a form with `grant_type` `password` (plus `username`, `password`) or
/// `refresh_token` (plus `refresh_token`), `client_id=vcom-api` and the client secret VCOM's
/// docs publish, sent with the account's `X-API-KEY`. It answers `{token_type: "Bearer",
/// expires_in, access_token, refresh_token}`; every answer **rotates** the refresh token: the
/// one just used stops working.
///
/// - **Limits**: the login endpoint has its own, 10 requests a minute and 7,200 a day, apart
///   from the API's tier; past them it answers 429. Logins are not counted in the API's
///   windows (``VCOMSimulator/served``), only in ``grants``.
/// - **Expiry**: an access token answers 401 once it has served `requestsPerToken` API
///   requests, as a token past its `expires_in` would, without a test waiting for the clock.
/// - **Refusals**: a wrong password or an unknown, expired or already used refresh token
///   answers 400 `invalid_grant`; a wrong client 401 `invalid_client`.
///   ``revokeRefreshTokens()`` makes every refresh token issued so far unusable (an
///   administrator revoking the sessions), so the next refresh is refused.
final class VCOMLogin: Sendable {
    static let clientID = "vcom-api"
    static let clientSecret = "vcom-test-client-secret"

    private struct State {
        /// Access token → the API requests it may still serve.
        var accessTokens: [String: Int] = [:]
        var refreshTokens: Set<String> = []
        var issued = 0
        var grants: [String] = []
        var bearerRequests = 0
        var limited = 0
        var windowEnd: Double = -.infinity
        var usedMinute = 0
        var day = -1
        var usedDay = 0
    }

    let requestsPerToken: Int
    let expiresIn: Int
    let perMinute: Int
    let perDay: Int
    let minuteLength: Double
    private let state = Mutex(State())

    /// - Parameters:
    ///   - requestsPerToken: The API requests an access token serves before it expires.
    ///   - expiresIn: The `expires_in` answered (VCOM's docs: 518,400 s, six days).
    ///   - perMinute: Logins a minute (VCOM: 10).
    ///   - perDay: Logins a day (VCOM: 7,200).
    ///   - minuteLength: The length of a simulated minute, in seconds.
    init(
        requestsPerToken: Int = .max, expiresIn: Int = 518_400, perMinute: Int = 10, perDay: Int = 7_200,
        minuteLength: Double = 60
    ) {
        self.requestsPerToken = requestsPerToken
        self.expiresIn = expiresIn
        self.perMinute = perMinute
        self.perDay = perDay
        self.minuteLength = minuteLength
    }

    /// The grant of every login answered or refused for a bad grant, in order (`password`,
    /// `refresh_token`, `refused password`, `refused refresh_token`); 429s are not listed.
    var grants: [String] { state.withLock { $0.grants } }

    /// Logins refused with 429 for the login endpoint's own limits.
    var limited: Int { state.withLock { $0.limited } }

    /// API requests that carried a valid Bearer token.
    var bearerRequests: Int { state.withLock { $0.bearerRequests } }

    /// Every refresh token issued so far stops working.
    func revokeRefreshTokens() { state.withLock { $0.refreshTokens.removeAll() } }

    /// Whether an API request's `Authorization` is a live access token; counts its use.
    func accepts(_ authorization: String?) -> Bool {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return false }
        let token = String(authorization.dropFirst("Bearer ".count))
        return state.withLock { state in
            guard let left = state.accessTokens[token], left > 0 else { return false }
            state.accessTokens[token] = left - 1
            state.bearerRequests += 1
            return true
        }
    }

    /// The answer to `POST /login` (the API key already checked).
    func answer(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        let now = Date().timeIntervalSince1970
        let form = request.form
        return state.withLock { state in
            if now >= state.windowEnd { (state.windowEnd, state.usedMinute) = (now + minuteLength, 0) }
            let day = Int(now / 86_400)
            if day != state.day { (state.day, state.usedDay) = (day, 0) }
            let headers = [
                ("X-RateLimit-Limit-Minute", "\(perMinute)"),
                ("X-RateLimit-Remaining-Minute", "\(max(0, perMinute - state.usedMinute - 1))"),
                ("X-RateLimit-Reset-Minute", HTTPDate.format(state.windowEnd.rounded(.up))),
                ("X-RateLimit-Limit-Day", "\(perDay)"),
                ("X-RateLimit-Remaining-Day", "\(max(0, perDay - state.usedDay - 1))"),
                ("X-RateLimit-Reset-Day", HTTPDate.format(Double(day + 1) * 86_400)),
            ]
            guard state.usedMinute < perMinute, state.usedDay < perDay else {
                state.limited += 1
                return .json(#"{"error":{"code":429,"message":"Too Many Requests"}}"#, status: 429, headers: headers)
            }
            state.usedMinute += 1
            state.usedDay += 1
            guard request.method == "POST",
                request.header("Content-Type")?.hasPrefix("application/x-www-form-urlencoded") == true
            else {
                return .json(#"{"error":"invalid_request"}"#, status: 400, headers: headers)
            }
            guard form["client_id"] == Self.clientID, form["client_secret"] == Self.clientSecret else {
                return .json(#"{"error":"invalid_client"}"#, status: 401, headers: headers)
            }
            let grant = form["grant_type"] ?? ""
            switch grant {
            case "password":
                guard form["username"] == VCOMSimulator.username, form["password"] == VCOMSimulator.password else {
                    state.grants.append("refused password")
                    return .json(
                        #"{"error":"invalid_grant","error_description":"Invalid username and password combination"}"#,
                        status: 400, headers: headers)
                }
            case "refresh_token":
                guard let used = form["refresh_token"], state.refreshTokens.remove(used) != nil else {
                    state.grants.append("refused refresh_token")
                    return .json(
                        #"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#, status: 400,
                        headers: headers)
                }
            default:
                return .json(#"{"error":"unsupported_grant_type"}"#, status: 400, headers: headers)
            }
            state.grants.append(grant)
            state.issued += 1
            let access = "vcom-access-\(state.issued)-\(UUID().uuidString.prefix(8))"
            let refresh = "vcom-refresh-\(state.issued)-\(UUID().uuidString.prefix(8))"
            state.accessTokens[access] = requestsPerToken
            state.refreshTokens.insert(refresh)
            let body: JSONValue = [
                "token_type": "Bearer", "expires_in": .int(Int64(expiresIn)), "access_token": .string(access),
                "refresh_token": .string(refresh),
            ]
            return .json(JSONWriter().encodeString(body), headers: headers)
        }
    }
}
