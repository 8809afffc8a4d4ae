import FerryCore
import FerryHTTP
import FerryTesting
import Synchronization
import Testing

/// A 4D server's sessions as the seed met them: each login holds a licence until
/// logout or its timeout; when every licence is held, a login is refused.
final class FourDSessions: @unchecked Sendable {
    struct State {
        var active: [String: Double] = [:] // session id → last use
        var logins = 0
        var logouts = 0
        var refusedForLicences = 0
        var now: Double = 0
    }
    let state = Mutex(State())
    let licences: Int
    let timeout: Double

    init(licences: Int, timeout: Double = 3600) {
        self.licences = licences
        self.timeout = timeout
    }

    func advance(to now: Double) { state.withLock { $0.now = now } }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        state.withLock { state in
            state.active = state.active.filter { state.now - $0.value < timeout }
            let presented = (request.header("Cookie") ?? "").firstMatch(of: #/WASID4D=([\w-]+)/#).map { String($0.1) }
            switch request.path {
            case "/rest/$directory/login":
                guard request.header("username-4D") == "erp", request.header("password-4D") == "pw4d-secret" else {
                    return .json(#"{"result":false}"#)
                }
                guard state.active.count < licences else {
                    state.refusedForLicences += 1
                    return .json(
                        #"{"__ERROR":[{"message":"Maximum number of licenses reached","componentSignature":"dbmg","errCode":1279}]}"#,
                        status: 402)
                }
                state.logins += 1
                let id = "S\(state.logins)-secret"
                state.active[id] = state.now
                return .response(
                    status: 200, headers: [("Set-Cookie", "WASID4D=\(id); Path=/; HttpOnly")],
                    body: Array(#"{"result":true}"#.utf8))
            case "/rest/$directory/logout":
                if let presented, state.active.removeValue(forKey: presented) != nil { state.logouts += 1 }
                return .json(#"{"result":true}"#)
            default:
                guard let presented, state.active[presented] != nil else {
                    return .json(#"{"__ERROR":[{"message":"No session","errCode":1}]}"#, status: 401)
                }
                state.active[presented] = state.now
                return .json(#"{"__COUNT":0,"__ENTITIES":[]}"#)
            }
        }
    }
}

@Suite struct CookieSessionTests {
    static func configure(_ server: LoopbackServer, keep: Bool = true, logout: Bool = false)
        -> (inout HTTPConnectionConfig) -> Void
    {
        { config in
            config.endpoint = server.url + "/rest"
            config.maxAttempts = 2
            config.maxRetryWaitSeconds = 1
            config.auth = .cookie(
                CookieLogin(
                    url: "/$directory/login",
                    headers: [
                        .init(name: "username-4D", value: "erp"), .init(name: "password-4D", value: "pw4d-secret"),
                    ], keepSession: keep, sessionTTL: 3600, logoutURL: logout ? "/$directory/logout" : nil))
        }
    }

    @Test func aKeptSessionServesEveryRunAndPipelineUntilItTimesOut() throws {
        let fourD = FourDSessions(licences: 2)
        let server = try LoopbackServer(handler: fourD.reply)
        defer { server.stop() }
        var factory = ServiceFactory() // one state store: the runs of one Ferry installation
        // Twelve "runs" five minutes apart, each opening two connections (two pipelines).
        for run in 0..<12 {
            factory.clock = TestClock(start: 1_000_000 + Double(run) * 300)
            fourD.advance(to: Double(run) * 300)
            for _ in 0..<2 {
                let service = factory.make(server, name: "erp", Self.configure(server))
                #expect(try service.send(.init(url: "Kunden")).status == 200)
                service.close()
            }
        }
        #expect(fourD.state.withLock { $0.logins } == 1, "one licence for an hour of five-minute runs")
        // After the server's timeout the kept session is stale: one new login, no failure.
        factory.clock = TestClock(start: 1_000_000 + 11 * 300 + 4000)
        fourD.advance(to: 11 * 300 + 4000)
        let late = factory.make(server, name: "erp", Self.configure(server))
        #expect(try late.send(.init(url: "Kunden")).status == 200)
        #expect(fourD.state.withLock { $0.logins } == 2)
        // The cookie is a secret: masked wherever it would be printed.
        #expect(factory.redactor.redact("Cookie: WASID4D=S2-secret") == "Cookie: WASID4D=***")
    }

    @Test func aSessionNotKeptIsLoggedOutWhenTheConnectionCloses() throws {
        let fourD = FourDSessions(licences: 1)
        let server = try LoopbackServer(handler: fourD.reply)
        defer { server.stop() }
        var factory = ServiceFactory()
        for _ in 0..<3 {
            let service = factory.make(server, name: "erp", Self.configure(server, keep: false, logout: true))
            #expect(try service.send(.init(url: "Kunden")).status == 200)
            service.close()
        }
        // With one licence, three runs succeed only because each freed its session.
        #expect(fourD.state.withLock { ($0.logins, $0.logouts, $0.active.count) } == (3, 3, 0))
        #expect(try factory.store.value(scope: "http.connection:erp", key: HTTPService.cookieSessionKey) == nil)
    }

    @Test func theLicenceLimitIsAClearRetryableErrorNotABadPassword() throws {
        let fourD = FourDSessions(licences: 1)
        let server = try LoopbackServer(handler: fourD.reply)
        defer { server.stop() }
        // Another tool holds the only licence.
        var other = ServiceFactory()
        #expect(try other.make(server, name: "erp", Self.configure(server)).send(.init(url: "Kunden")).status == 200)
        var factory = ServiceFactory()
        let service = factory.make(server, name: "erp", Self.configure(server))
        do {
            _ = try service.send(.init(url: "Kunden"))
            Issue.record("a login refused for want of a licence must fail the request")
        } catch {
            #expect(error.kind == .retryable, "\(error)")
            #expect(error.message.contains("has no free session"), "\(error.message)")
            #expect(!error.message.contains("pw4d-secret"))
        }
        #expect(fourD.state.withLock { $0.refusedForLicences } >= 1)
    }

    @Test func aRejectedKeptSessionIsForgottenAndReplacedOnce() throws {
        let fourD = FourDSessions(licences: 3)
        let server = try LoopbackServer(handler: fourD.reply)
        defer { server.stop() }
        var factory = ServiceFactory()
        let first = factory.make(server, name: "erp", Self.configure(server))
        #expect(try first.send(.init(url: "Kunden")).status == 200)
        // The server restarts and forgets its sessions; the kept one now gets 401.
        fourD.state.withLock { $0.active = [:] }
        let second = factory.make(server, name: "erp", Self.configure(server))
        #expect(try second.send(.init(url: "Kunden")).status == 200)
        #expect(fourD.state.withLock { $0.logins } == 2)
        let kept = try #require(
            try factory.store.value(scope: "http.connection:erp", key: HTTPService.cookieSessionKey))
        #expect(kept.contains("S2-secret"))
    }
}
