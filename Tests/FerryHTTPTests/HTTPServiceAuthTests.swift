import FerryCore
import FerryHTTP
import FerryJSON
import FerryTesting
import Synchronization
import Testing

/// An OAuth2 token server that rotates refresh tokens (as WattiVahti's B2C and VCOM do) and an API
/// whose access tokens expire after a set number of uses.
final class RotatingTokenServer: @unchecked Sendable {
    struct State {
        var validRefresh = "R0"
        var generation = 0
        var validAccess: String?
        var usesLeft = 0
        var tokenRequests: [[String: String]] = []
    }
    let state = Mutex(State())
    let usesPerToken: Int
    /// Called on each API request with the bearer token, to check ordering against the store.
    let onAPI: @Sendable (String) -> Void

    init(usesPerToken: Int, onAPI: @escaping @Sendable (String) -> Void = { _ in }) {
        self.usesPerToken = usesPerToken
        self.onAPI = onAPI
    }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        if request.path == "/token" {
            let form = request.form
            return state.withLock { state in
                state.tokenRequests.append(form)
                let accepted =
                    (form["grant_type"] == "refresh_token" && form["refresh_token"] == state.validRefresh)
                    || (form["grant_type"] == "client_credentials" && form["client_secret"] == "cs-secret-1")
                guard accepted else { return .json(#"{"error":"invalid_grant"}"#, status: 400) }
                state.generation += 1
                state.validRefresh = "R\(state.generation)"
                state.validAccess = "A\(state.generation)"
                state.usesLeft = usesPerToken
                return .json(
                    #"{"access_token":"A\#(state.generation)","token_type":"Bearer","expires_in":3600,"refresh_token":"R\#(state.generation)"}"#
                )
            }
        }
        let bearer = request.header("Authorization")?.replacingOccurrences(of: "Bearer ", with: "") ?? ""
        onAPI(bearer)
        return state.withLock { state in
            guard bearer == state.validAccess, state.usesLeft > 0 else {
                return .json(#"{"error":"invalid_token"}"#, status: 401)
            }
            state.usesLeft -= 1
            return .json(#"{"data":"ok"}"#)
        }
    }
}

@Suite struct HTTPServiceAuthTests {
    static func oauth(_ config: inout HTTPConnectionConfig, refreshToken: String = "R0") {
        config.auth = .oauth2(tokenURL: "/token", credentials: .init(grant: .refreshToken, refreshToken: refreshToken))
    }

    @Test func expiredTokenIsRefreshedOnceWithRotationPersistedBeforeUse() throws {
        var factory = ServiceFactory()
        let store = factory.store
        let violations = Mutex<[String]>([])
        let tokens = RotatingTokenServer(usesPerToken: 2) { bearer in
            // The refresh token that came with this access token must already be durable.
            let stored = try? store.value(scope: "http.connection:api", key: HTTPService.refreshTokenKey)
            if bearer.hasPrefix("A"), stored != "R" + bearer.dropFirst() {
                violations.withLock { $0.append("\(bearer) used while state held \(stored ?? "nil")") }
            }
        }
        let server = try LoopbackServer(handler: tokens.reply)
        let service = factory.make(server) { config in
            config.endpoint = server.url
            Self.oauth(&config)
        }
        for _ in 0..<5 { #expect(try service.send(.init(url: "/data")).text == #"{"data":"ok"}"#) }
        #expect(violations.withLock { $0 }.isEmpty)
        let generation = tokens.state.withLock { $0.generation }
        #expect(generation == 3) // one token per two uses; each expiry answered by one refresh and a retry
        #expect(try store.value(scope: "http.connection:api", key: HTTPService.refreshTokenKey) == "R3")
    }

    @Test func afterACrashRightAfterRotationTheNextRunUsesTheNewToken() throws {
        var factory = ServiceFactory()
        let tokens = RotatingTokenServer(usesPerToken: 100)
        let server = try LoopbackServer(handler: tokens.reply)
        do {
            let first = factory.make(server) { config in
                config.endpoint = server.url; Self.oauth(&config)
            }
            _ = try first.send(.init(url: "/data"))
            // The process dies here: the service and its in-memory access token are gone.
        }
        #expect(try factory.store.value(scope: "http.connection:api", key: HTTPService.refreshTokenKey) == "R1")
        // The config still names R0, which the server no longer accepts.
        let second = factory.make(server) { config in
            config.endpoint = server.url; Self.oauth(&config, refreshToken: "R0")
        }
        #expect(try second.send(.init(url: "/data")).status == 200)
        #expect(tokens.state.withLock { $0.tokenRequests.map { $0["refresh_token"] ?? "" } } == ["R0", "R1"])
    }

    /// Two pipelines on one connection: each has a session; a rotation by one must not strand the other.
    @Test func aSecondSessionAdoptsATokenTheFirstRotated() throws {
        var factory = ServiceFactory()
        let tokens = RotatingTokenServer(usesPerToken: 1)
        let server = try LoopbackServer(handler: tokens.reply)
        let first = factory.make(server) { config in
            config.endpoint = server.url; Self.oauth(&config)
        }
        let second = factory.make(server) { config in
            config.endpoint = server.url; Self.oauth(&config)
        }
        for _ in 0..<3 {
            #expect(try first.send(.init(url: "/data")).status == 200)
            #expect(try second.send(.init(url: "/data")).status == 200)
        }
        #expect(tokens.state.withLock { $0.tokenRequests.allSatisfy { $0["refresh_token"] != nil } })
        #expect(try factory.store.value(scope: "http.connection:api", key: HTTPService.refreshTokenKey) == "R6")
    }

    @Test func aRejectedRefreshTokenSaysWhatToSupply() throws {
        var factory = ServiceFactory()
        let tokens = RotatingTokenServer(usesPerToken: 1)
        let server = try LoopbackServer(handler: tokens.reply)
        let service = factory.make(server) { config in
            config.endpoint = server.url; Self.oauth(&config, refreshToken: "R-stale-999")
        }
        let error = try #require(throws: HTTPError.self) { try service.send(.init(url: "/data")) }
        #expect(error.kind == .auth)
        #expect(error.message.contains("connection 'api'"))
        #expect(error.message.contains("set http.auth.refresh_token in the connection"))
        #expect(!error.message.contains("R-stale-999"))
    }

    @Test func clientCredentialsAndStaticSchemes() throws {
        let tokens = RotatingTokenServer(usesPerToken: 100)
        let server = try LoopbackServer { request in
            if request.path == "/token" { return tokens.reply(request) }
            let echo =
                "\(request.header("Authorization") ?? "-")|\(request.header("X-API-KEY") ?? "-")|\(request.query["apikey"] ?? "-")"
            return .json("\"\(echo)\"")
        }
        var factory = ServiceFactory()
        let cc = factory.make(server) { config in
            config.auth = .oauth2(
                tokenURL: server.url + "/token",
                credentials: .init(grant: .clientCredentials, clientID: "c", clientSecret: "cs-secret-1"))
        }
        #expect(try cc.send(.init(url: "/x")).text == #""Bearer A1|-|-""#)
        #expect(
            try factory.make(server) { $0.auth = .apiKey(key: "k-1", header: nil, query: nil) }.send(.init(url: "/x"))
                .text == #""-|k-1|-""#)
        #expect(
            try factory.make(server) { $0.auth = .apiKey(key: "k 2&", header: nil, query: "apikey") }.send(
                .init(url: "/x?a=1")
            ).text == #""-|-|k 2&""#)
        #expect(
            try factory.make(server) { $0.auth = .basic(username: "u", password: "p") }.send(.init(url: "/x")).text
                == #""Basic dTpw|-|-""#)
        #expect(
            try factory.make(server) { $0.auth = .bearer(token: "t-1") }.send(.init(url: "/x")).text
                == #""Bearer t-1|-|-""#)
    }

    /// 4D: log in with username-4D/password-4D, resend WASID4D, log in again when the session expires.
    @Test func cookieSessionLogsInAndRenewsOn401() throws {
        let sessions = Mutex<(valid: String?, logins: Int)>((nil, 0))
        let server = try LoopbackServer { request in
            if request.path == "/rest/$directory/login" {
                guard request.header("username-4D") == "erp", request.header("password-4D") == "pw4d-secret" else {
                    return .json(#"{"result":false}"#)
                }
                let id = sessions.withLock {
                    $0.logins += 1; $0.valid = "session-000\($0.logins)"; return $0.valid!
                }
                return .response(
                    status: 200, headers: [("Set-Cookie", "WASID4D=\(id); Path=/; HttpOnly")],
                    body: Array(#"{"result":true}"#.utf8))
            }
            let cookie = request.header("Cookie") ?? ""
            return sessions.withLock { state in
                guard let valid = state.valid, cookie.contains("WASID4D=\(valid)") else {
                    return .response(status: 401)
                }
                if request.query["expire"] == "1" { state.valid = nil }
                return .json(#"{"__COUNT":0,"__ENTITIES":[]}"#)
            }
        }
        var factory = ServiceFactory()
        let service = factory.make(server) { config in
            config.endpoint = server.url + "/rest"
            config.auth = .cookie(
                CookieLogin(
                    url: "/$directory/login",
                    headers: [
                        .init(name: "username-4D", value: "erp"), .init(name: "password-4D", value: "pw4d-secret"),
                    ]))
        }
        #expect(try service.send(.init(url: "Kunden?expire=1")).status == 200)
        #expect(try service.send(.init(url: "Kunden")).status == 200)
        #expect(sessions.withLock { $0.logins } == 2)
        #expect(factory.redactor.redact("WASID4D=session-0002; pw4d-secret") == "WASID4D=***; ***")
    }
}
