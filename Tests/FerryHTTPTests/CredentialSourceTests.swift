import FerryCore
import FerryHTTP
import FerryTesting
import Foundation
import Synchronization
import Testing

/// Values a credential query returns, one per read (the last repeats), counting the reads.
final class ScriptedCredentials: CredentialLookup, @unchecked Sendable {
    private let state: Mutex<(values: [String], reads: Int)>
    init(_ values: [String]) { state = Mutex((values, 0)) }
    var reads: Int { state.withLock { $0.reads } }

    func credential(for query: CredentialQuery) throws -> String {
        try state.withLock { state in
            state.reads += 1
            guard !state.values.isEmpty else { throw ScriptedFailure() }
            return state.values.count > 1 ? state.values.removeFirst() : state.values[0]
        }
    }

    struct ScriptedFailure: Error, CustomStringConvertible {
        var description: String { "the query on db.internal:5432/ops returned no row" }
    }
}

/// An API that accepts one `x-auth-token` at a time, as Tekmetric's web API accepts the JWT
/// of the user's latest browser login.
final class OneTokenAPI: @unchecked Sendable {
    let accepted: Mutex<String>
    init(_ token: String) { accepted = Mutex(token) }
    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        request.header("x-auth-token") == accepted.withLock({ $0 })
            ? .json(#"{"ok":true}"#) : .json(#"{"message":"JWT expired"}"#, status: 401)
    }
}

@Suite struct CredentialSourceTests {
    static let query = CredentialQuery(
        url: "postgres://sync@db.internal/ops", sql: "SELECT jwt_token FROM jwt_tokens WHERE shop_id = 6212")

    static func queried(_ config: inout HTTPConnectionConfig) {
        config.auth = .apiKey(key: "", header: "x-auth-token", query: nil)
        config.credentialQuery = query
    }

    /// Read once, used until a 401; then read again, and the fresh value carries on.
    @Test func aCredentialIsReadOnceAndAgainAfterA401() throws {
        let api = OneTokenAPI("jwt-login-1")
        let server = try LoopbackServer { api.reply($0) }
        let lookup = ScriptedCredentials(["jwt-login-1", "jwt-login-2"])
        var factory = ServiceFactory()
        let service = factory.make(server, credentialLookup: lookup, Self.queried)
        for _ in 0..<3 { #expect(try service.send(.init(url: "/x")).status == 200) }
        #expect(lookup.reads == 1)

        api.accepted.withLock { $0 = "jwt-login-2" }
        #expect(try service.send(.init(url: "/x")).status == 200)
        #expect(lookup.reads == 2)
        #expect(server.requests.suffix(2).map { $0.header("x-auth-token") } == ["jwt-login-1", "jwt-login-2"])
        #expect(factory.redactor.redact("a jwt-login-2 b") == "a *** b")
    }

    /// Requests in flight together all refused: one reads the row again, the others retry
    /// with what it read.
    @Test func concurrentRefusalsReadTheRowOnce() throws {
        let api = OneTokenAPI("jwt-login-1")
        let server = try LoopbackServer { api.reply($0) }
        let lookup = ScriptedCredentials(["jwt-login-1", "jwt-login-2", "jwt-login-3"])
        var factory = ServiceFactory()
        let service = factory.make(server, credentialLookup: lookup, Self.queried)
        #expect(try service.send(.init(url: "/x")).status == 200)
        api.accepted.withLock { $0 = "jwt-login-2" }
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let status = (try? service.send(.init(url: "/x")).status) ?? -1
            statuses.withLock { $0.append(status) }
        }
        #expect(statuses.withLock { $0 } == [200, 200, 200, 200])
        #expect(lookup.reads == 2)
    }

    /// The row still holds the refused token: the request fails naming the query, never the token.
    @Test func aRowWithNothingNewerStopsWithAClearError() throws {
        let api = OneTokenAPI("jwt-login-2")
        let server = try LoopbackServer { api.reply($0) }
        var factory = ServiceFactory()
        let service = factory.make(server, credentialLookup: ScriptedCredentials(["jwt-login-1"]), Self.queried)
        let error = try #require(throws: HTTPError.self) { try service.send(.init(url: "/x")) }
        #expect(error.kind == .auth)
        #expect(error.message.contains("the database holds no newer one"), "\(error.message)")
        #expect(error.message.contains("jwt_tokens WHERE shop_id = 6212"), "\(error.message)")
        #expect(!error.message.contains("jwt-login-1"))

        let unreadable = factory.make(server, credentialLookup: ScriptedCredentials([]), Self.queried)
        let failure = try #require(throws: HTTPError.self) { try unreadable.send(.init(url: "/x")) }
        #expect(failure.message.contains("could not read the credential of http.auth"), "\(failure.message)")
        #expect(failure.message.contains("returned no row"), "\(failure.message)")
    }

    /// Tekmetric's public API: `client_credentials` with the client id and secret as HTTP Basic
    /// (each form-encoded first), and nothing of them in the form.
    @Test func basicClientAuthenticationSendsTheClientInTheHeaderOnly() throws {
        let tokenRequests = Mutex<[LoopbackServer.Request]>([])
        let server = try LoopbackServer { request in
            if request.path == "/api/v1/oauth/token" {
                tokenRequests.withLock { $0.append(request) }
                let expected = "Basic " + Data("tm-client:s3cr3t%2F%2Bx".utf8).base64EncodedString()
                guard request.header("Authorization") == expected, request.form["grant_type"] == "client_credentials"
                else { return .json(#"{"error":"invalid_client"}"#, status: 401) }
                return .json(#"{"access_token":"tm-access-1","token_type":"bearer","scope":"6212 7001"}"#)
            }
            return request.header("Authorization") == "Bearer tm-access-1"
                ? .json(#"{"content":[]}"#) : .json(#"{"error":"invalid_token"}"#, status: 401)
        }
        var factory = ServiceFactory()
        let service = factory.make(server) { config in
            config.auth = .oauth2(
                tokenURL: server.url + "/api/v1/oauth/token",
                credentials: .init(
                    grant: .clientCredentials, clientID: "tm-client", clientSecret: "s3cr3t/+x",
                    clientAuthentication: .basic))
        }
        #expect(try service.send(.init(url: "/api/v1/customers")).status == 200)
        let request = try #require(tokenRequests.withLock { $0.first })
        #expect(request.form["client_id"] == nil && request.form["client_secret"] == nil, "\(request.text)")
        #expect(factory.logs.redacted.allSatisfy { !$0.contains("s3cr3t") })

        // The same server refuses credentials sent in the form: the error says which grant and what to check.
        let formClient = factory.make(server) { config in
            config.auth = .oauth2(
                tokenURL: server.url + "/api/v1/oauth/token",
                credentials: .init(grant: .clientCredentials, clientID: "tm-client", clientSecret: "s3cr3t/+x"))
        }
        let refused = try #require(throws: HTTPError.self) { try formClient.send(.init(url: "/api/v1/customers")) }
        #expect(refused.message.contains("rejected the client_credentials grant (HTTP 401, error invalid_client)"))
        #expect(!refused.message.contains("s3cr3t"))
    }
}
