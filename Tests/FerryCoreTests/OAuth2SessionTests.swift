import FerryCore
import FerryJSON
import Testing

@Suite struct OAuth2SessionTests {
    func token(_ access: String, refresh: String? = nil, expiresIn: Int64 = 3600) -> JSONValue {
        var object: JSONObject = [
            "access_token": .string(access), "token_type": "Bearer", "expires_in": .int(expiresIn),
        ]
        if let refresh { object["refresh_token"] = .string(refresh) }
        return .object(object)
    }

    func fields(_ action: OAuth2Session.Action) -> [String: String] {
        guard case .requestToken(let form) = action else { return [:] }
        return Dictionary(uniqueKeysWithValues: form.map { ($0.name, $0.value) })
    }

    @Test func clientCredentialsObtainsAndReusesUntilExpiry() {
        var session = OAuth2Session(
            credentials: .init(grant: .clientCredentials, clientID: "id", clientSecret: "s3cret"))
        let request = session.prepare(now: 0)
        #expect(fields(request) == ["grant_type": "client_credentials", "client_id": "id", "client_secret": "s3cret"])
        #expect(session.tokenResponse(status: 200, body: token("A1"), now: 0) == .authorize(accessToken: "A1"))
        #expect(session.prepare(now: 3000) == .authorize(accessToken: "A1"))
        // Within the skew of expiry, a new token is requested.
        #expect(fields(session.prepare(now: 3550))["grant_type"] == "client_credentials")
    }

    @Test func rotatedRefreshTokenMustBePersistedBeforeUse() {
        var session = OAuth2Session(credentials: .init(grant: .refreshToken, refreshToken: "R0"))
        #expect(fields(session.prepare(now: 0)) == ["grant_type": "refresh_token", "refresh_token": "R0"])
        #expect(
            session.tokenResponse(status: 200, body: token("A1", refresh: "R1"), now: 0) == .persist(refreshToken: "R1")
        )
        // Until the caller says it is durable, the access token is withheld.
        #expect(session.prepare(now: 1) == .persist(refreshToken: "R1"))
        session.refreshTokenPersisted()
        #expect(session.refreshToken == "R1")
        #expect(session.prepare(now: 1) == .authorize(accessToken: "A1"))
    }

    @Test func aStoredRefreshTokenWinsOverTheConfiguredOne() {
        var session = OAuth2Session(
            credentials: .init(grant: .refreshToken, refreshToken: "R0"), storedRefreshToken: "R7")
        #expect(fields(session.prepare(now: 0))["refresh_token"] == "R7")
    }

    @Test func oneRenewalOn401ThenFailure() {
        var session = OAuth2Session(credentials: .init(grant: .password, username: "u", password: "p"))
        _ = session.prepare(now: 0)
        _ = session.tokenResponse(status: 200, body: token("A1"), now: 0)
        #expect(fields(session.unauthorized())["grant_type"] == "password")
        _ = session.tokenResponse(status: 200, body: token("A2"), now: 0)
        guard case .fail(let message) = session.unauthorized() else { Issue.record("expected failure"); return }
        #expect(message.contains("http.auth"))
        session.authorized()
        #expect(fields(session.unauthorized())["grant_type"] == "password")
    }

    @Test func rejectedRefreshFallsBackToThePasswordGrant() {
        // As VCOM's own client does: refresh first, then the password grant.
        var session = OAuth2Session(
            credentials: .init(grant: .password, username: "u", password: "p"), storedRefreshToken: "old")
        #expect(fields(session.prepare(now: 0))["grant_type"] == "refresh_token")
        let next = session.tokenResponse(status: 400, body: ["error": "invalid_grant"], now: 0)
        #expect(fields(next)["grant_type"] == "password")
        guard case .fail(let message) = session.tokenResponse(status: 401, body: nil, now: 0) else {
            Issue.record("expected failure"); return
        }
        #expect(message.contains("http.auth.username and http.auth.password"))
    }

    @Test func aRefreshOnlySessionSaysWhatToSupply() {
        var session = OAuth2Session(credentials: .init(grant: .refreshToken, refreshToken: "R0"))
        _ = session.prepare(now: 0)
        guard
            case .fail(let message) = session.tokenResponse(
                status: 400, body: ["error": "invalid_grant", "error_description": "revoked"], now: 0)
        else {
            Issue.record("expected failure"); return
        }
        #expect(message.contains("invalid_grant: revoked"))
        #expect(message.contains("http.auth.refresh_token"))
    }
}
