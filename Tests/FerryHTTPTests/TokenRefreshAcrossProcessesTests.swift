import FerryCore
import FerryHTTP
import FerryTesting
import Foundation
import Synchronization
import Testing

/// Processes sharing one state (serve workers, cron beside serve) refresh a connection's
/// OAuth token one at a time, each after reading the refresh token the one before stored:
/// against a server that rotates refresh tokens and refuses a used one, none is refused.
@Suite struct TokenRefreshAcrossProcessesTests {
    /// Rotates refresh tokens (a used one is refused, as B2C and VCOM do), keeps every access
    /// token it issued valid, and answers token requests slowly so that two overlap.
    final class SlowRotatingServer: Sendable {
        struct State {
            var valid = "R0"
            var issued = 0
            var used: [String] = []
            var refused = 0
            var access: Set<String> = []
        }
        let state = Mutex(State())

        func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
            if request.path == "/token" {
                let answer: LoopbackServer.Reply = state.withLock { state in
                    let offered = request.form["refresh_token"] ?? ""
                    state.used.append(offered)
                    guard offered == state.valid else {
                        state.refused += 1
                        return .json(#"{"error":"invalid_grant"}"#, status: 400)
                    }
                    state.issued += 1
                    state.valid = "R\(state.issued)"
                    state.access.insert("A\(state.issued)")
                    return .json(
                        #"{"access_token":"A\#(state.issued)","expires_in":3600,"refresh_token":"R\#(state.issued)"}"#)
                }
                return .delayed(seconds: 0.3, answer)
            }
            let bearer = request.header("Authorization")?.replacingOccurrences(of: "Bearer ", with: "") ?? ""
            return state.withLock { $0.access.contains(bearer) } ? .json("{}") : .response(status: 401)
        }
    }

    @Test func twoProcessesRefreshOneAtATimeAndNeitherIsRefused() throws {
        let server = SlowRotatingServer()
        let loopback = try LoopbackServer { server.reply($0) }
        let store = InMemoryStateStore()
        let redactor = Redactor()
        func process() -> HTTPService {
            var config = HTTPConnectionConfig(endpoint: loopback.url)
            config.auth = .oauth2(
                tokenURL: "/token", credentials: .init(grant: .refreshToken, clientID: "app", refreshToken: "R0"))
            config.timeoutSeconds = 5
            return HTTPService(
                config: config, connectionName: "api", store: store, stateScope: "http.connection:api",
                budgets: nil, redactor: redactor, logger: LogCapture(redactor: redactor).logger)
        }
        let services = [process(), process(), process()]
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: services.count) { index in
            let status = (try? services[index].send(.init(url: "/items")).status) ?? -1
            statuses.withLock { $0.append(status) }
        }
        #expect(statuses.withLock { $0 } == [200, 200, 200])
        let seen = server.state.withLock { $0 }
        #expect(seen.refused == 0, "refresh tokens offered: \(seen.used)")
        #expect(seen.used == ["R0", "R1", "R2"], "each refresh used the token the one before stored")
        #expect(try store.value(scope: "http.connection:api", key: HTTPService.refreshTokenKey) == "R3")
        // The marker is gone once the refreshes ended.
        #expect(try store.value(scope: "http.connection:api", key: "oauth2.refreshing") == nil)
    }

    /// A process killed while refreshing leaves its marker: on the same host, a marker whose
    /// process is gone is taken over at once; one held by a live process elsewhere is waited
    /// for, and a refresh that would wait too long fails as retryable, saying why.
    @Test func aMarkerLeftByAKilledProcessIsTakenOverAndALiveOneWaitedFor() throws {
        let server = SlowRotatingServer()
        let loopback = try LoopbackServer { server.reply($0) }
        let store = InMemoryStateStore()
        let redactor = Redactor()
        var config = HTTPConnectionConfig(endpoint: loopback.url)
        config.auth = .oauth2(
            tokenURL: "/token", credentials: .init(grant: .refreshToken, clientID: "app", refreshToken: "R0"))
        config.timeoutSeconds = 1
        func service() -> HTTPService {
            HTTPService(
                config: config, connectionName: "api", store: store, stateScope: "http.connection:api",
                budgets: nil, redactor: redactor, logger: LogCapture(redactor: redactor).logger)
        }
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let host = String(cString: name)
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let farFuture = Date().timeIntervalSince1970 + 3600
        try store.setValue(
            "\(host):\(gone.processIdentifier):dead0000 \(farFuture)", scope: "http.connection:api",
            key: "oauth2.refreshing")
        #expect(try service().send(.init(url: "/items")).status == 200)

        try store.setValue(
            "elsewhere.example:4242:live0000 \(farFuture)", scope: "http.connection:api", key: "oauth2.refreshing")
        let other = service()
        let error = try #require(throws: HTTPError.self) { try other.send(.init(url: "/items")) }
        #expect(error.kind == .retryable && error.message.contains("another process has been refreshing"), "\(error)")
    }
}
