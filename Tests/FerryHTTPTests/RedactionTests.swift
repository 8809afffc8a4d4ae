import FerryCore
import FerryHTTP
import FerryTesting
import Foundation
import Synchronization
import Testing

/// Plants credentials in every auth scheme, drives success and failure paths,
/// and greps every log line and error message for them.
@Suite struct RedactionTests {
    @Test func plantedSecretsNeverAppearInLogsOrErrors() throws {
        let planted = [
            "planted-api-key-4242", "planted-password-4242", "planted-client-secret-4242", "planted-refresh-4242",
            "planted-access-4242", "planted-cookie-4242", "planted-bearer-4242",
        ]
        let tokens = FlakyRoute()
        let server = try LoopbackServer { request in
            switch request.path.replacingOccurrences(of: "/v2", with: "") {
            case "/token":
                return .json(
                    #"{"access_token":"planted-access-4242","expires_in":60,"refresh_token":"planted-refresh-4242-next"}"#
                )
            case "/login": return .response(status: 200, headers: [("Set-Cookie", "SID=planted-cookie-4242; Path=/")])
            case "/flaky": return tokens.next()
            default:
                return .response(
                    status: 401,
                    body: Array(
                        "denied for \(request.header("Authorization") ?? "") \(request.header("X-API-KEY") ?? "")".utf8)
                )
            }
        }
        var factory = ServiceFactory()
        var errors: [String] = []
        let schemes: [HTTPAuthConfig] = [
            .apiKey(key: "planted-api-key-4242", header: nil, query: nil),
            .apiKey(key: "planted-api-key-4242", header: nil, query: "key"),
            .basic(username: "user", password: "planted-password-4242"),
            .bearer(token: "planted-bearer-4242"),
            .oauth2(
                tokenURL: "/token",
                credentials: .init(
                    grant: .refreshToken, clientID: "id", clientSecret: "planted-client-secret-4242",
                    refreshToken: "planted-refresh-4242")),
            .cookie(CookieLogin(url: "/login", headers: [.init(name: "password-4D", value: "planted-password-4242")])),
        ]
        for auth in schemes {
            let service = factory.make(server) {
                $0.auth = auth; $0.maxAttempts = 2
            }
            for path in ["/flaky", "/denied"] {
                do { _ = try service.send(.init(url: path)) } catch { errors.append("\(error)") }
            }
        }
        let printed = errors + factory.logs.redacted
        #expect(errors.count >= 6)
        #expect(factory.logs.raw.count >= 6)
        for secret in planted + ["planted-refresh-4242-next", Base64.encode(Array("user:planted-password-4242".utf8))] {
            let leaks = printed.filter { $0.contains(secret) }
            #expect(leaks.isEmpty, "\(secret) leaked: \(leaks)")
            // The service does not even hand them to the logger: raw lines are clean too.
            #expect(factory.logs.raw.allSatisfy { !$0.contains(secret) }, "\(secret) reached the logger")
        }
    }
}

/// Alternates a 503 (logged and retried) with a success.
final class FlakyRoute: Sendable {
    private let count = Mutex(0)
    func next() -> LoopbackServer.Reply {
        count.withLock {
            $0 += 1; return $0
        }.isMultiple(of: 2) ? .json("{}") : .response(status: 503)
    }
}
