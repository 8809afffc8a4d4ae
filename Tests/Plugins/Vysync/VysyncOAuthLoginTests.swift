import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `examples/vysync/` with the OAuth login its `ferry.yaml` offers in comments instead of Basic,
/// on the real `ferry` against ``VCOMSimulator`` with a ``VCOMLogin``: the asset pipelines
/// (`sites`, `equipment`) log in with the password grant, renew a token that expires mid-run
/// with the rotated refresh token, fall back to the password when a refresh is refused, and
/// say clearly, without the secret, that a password is wrong. Logins have VCOM's own limits:
/// they are not drawn from the `vcom` budget.
@Suite struct VysyncOAuthLoginTests {
    static let pipelines = ["run", "sites", "equipment"]
    static let secret = ["VCOM_CLIENT_SECRET": VCOMLogin.clientSecret]

    @Test func aRunLogsInOnceAndRenewsATokenThatExpiresMidRunWithTheRotatedRefreshToken() throws {
        // A token serves 10 API requests, then answers 401 as one past its expires_in would.
        let login = VCOMLogin(requestsPerToken: 10)
        let example = try Self.example(VCOMSimulator(plants: 3, login: login))
        let outcome = try example.ferry(Self.pipelines, environment: Self.secret)
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(try example.problems().isEmpty)
        // One password login, then only refreshes, each with the refresh token the one before
        // received (VCOM refuses a used one, which would show as "refused refresh_token").
        let grants = login.grants
        #expect(grants.first == "password", "\(grants)")
        #expect(grants.filter { $0 == "password" }.count == 1, "\(grants)")
        #expect(grants.dropFirst().allSatisfy { $0 == "refresh_token" }, "\(grants)")
        // 20 API requests at 10 a token: at least one renewal mid-run.
        #expect(grants.count >= 2, "\(grants)")
        // Every API request answered carried a Bearer token; the only refusals are the expired ones.
        #expect(login.bearerRequests == example.vcom.served.count)
        #expect(example.vcom.refusals.allSatisfy { $0.hasPrefix("401 GET") }, "\(example.vcom.refusals)")
        // The refresh token kept for the next run is the last one VCOM issued, not a used one.
        let next = try example.ferry(Self.pipelines, environment: Self.secret)
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(login.grants.dropFirst(grants.count).allSatisfy { $0 == "refresh_token" }, "\(login.grants)")
        for secret in [
            VCOMSimulator.password, VCOMSimulator.apiKey, VCOMLogin.clientSecret, "vcom-access-", "vcom-refresh-",
        ] {
            #expect(!(outcome.stdout + outcome.stderr + next.stdout + next.stderr).contains(secret), "\(secret)")
        }
    }

    @Test func aRefusedRefreshFallsBackToThePasswordGrant() throws {
        let login = VCOMLogin()
        let example = try Self.example(VCOMSimulator(plants: 2, login: login))
        let first = try example.ferry(Self.pipelines, environment: Self.secret)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let before = login.grants.count
        // An administrator ends the account's sessions: the stored refresh token no longer works.
        login.revokeRefreshTokens()
        let second = try example.ferry(Self.pipelines, environment: Self.secret)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let grants = Array(login.grants.dropFirst(before))
        #expect(Array(grants.prefix(2)) == ["refused refresh_token", "password"], "\(grants)")
        #expect(grants.dropFirst(2).allSatisfy { $0 == "refresh_token" }, "\(grants)")
        #expect(try example.problems().isEmpty)
    }

    @Test func aWrongPasswordIsAClearErrorWithoutTheSecret() throws {
        let login = VCOMLogin()
        let example = try Self.example(VCOMSimulator(plants: 1, login: login))
        let wrong = "not-the-vcom-password-42"
        let outcome = try example.ferry(
            Self.pipelines, environment: Self.secret.merging(["VCOM_PASSWORD": wrong], uniquingKeysWith: { $1 }))
        let output = outcome.stdout + outcome.stderr
        #expect(outcome.status != 0, "\(output)")
        #expect(output.contains("connection 'vcom'"), "\(output)")
        #expect(output.contains("rejected the password grant (HTTP 400, error invalid_grant"), "\(output)")
        #expect(output.contains("check http.auth.username and http.auth.password"), "\(output)")
        for secret in [wrong, VCOMSimulator.apiKey, VCOMLogin.clientSecret] {
            #expect(!output.contains(secret), "\(secret) in \(output)")
        }
        // Nothing reached the API without a token, and nothing was created in Yuman.
        #expect(login.grants.allSatisfy { $0 == "refused password" }, "\(login.grants)")
        #expect(example.vcom.served.isEmpty)
        #expect(example.creates().isEmpty)
    }

    @Test func loginsHaveTheirOwnLimitsAndAreNotDrawnFromTheVCOMBudget() throws {
        // Tokens of 4 requests: many logins, none of which may count in the `vcom` budget
        // (VCOM's login endpoint has its own 10 a minute and 7,200 a day).
        let login = VCOMLogin(requestsPerToken: 4)
        let example = try Self.example(VCOMSimulator(plants: 2, login: login))
        let outcome = try example.ferry(Self.pipelines, environment: Self.secret)
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        let logins = login.grants.count
        #expect(logins >= 4, "\(login.grants)")
        // Ferry's day count: every API request it sent (answered, or refused 401 for an
        // expired token and sent again), and not one login.
        let sent = example.vcom.served.count + example.vcom.refusals.count
        let budget = try example.sandbox.sql(
            "state.db", "SELECT value FROM kv WHERE scope = 'http.budget' AND key = 'vcom'")
        let dayUsed = try JSONParser().parse(Array((budget.first ?? "{}").utf8))["day_used"]?.intValue
        #expect(dayUsed == Int64(sent), "\(budget), \(sent) sent, \(logins) logins")
    }

    @Test func aLoginRefusedForTheLoginLimitIsWaitedOut() throws {
        // Tokens of 3 requests and a login limit of 2 per simulated minute of 2 s: the run needs
        // more logins than a window allows, and waits for the login window's reset.
        let login = VCOMLogin(requestsPerToken: 3, perMinute: 2, minuteLength: 2)
        let example = try Self.example(VCOMSimulator(plants: 2, login: login))
        let outcome = try example.ferry(Self.pipelines, environment: Self.secret)
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(try example.problems().isEmpty)
        #expect(login.limited > 0, "\(login.grants)")
        #expect(
            (outcome.stdout + outcome.stderr).contains("The token endpoint is rate limited; waiting for its reset."))
        #expect(!login.grants.contains { $0.hasPrefix("refused") }, "\(login.grants)")
    }

    /// The example with the README's mappings imported and the sandbox's `ferry.yaml` switched
    /// to the OAuth block it offers in comments (the Basic line removed).
    static func example(_ vcom: VCOMSimulator, name: String = #function) throws -> VysyncExample {
        let example = try VysyncExample(
            vcom: vcom, yuman: YumanSimulator(perMinute: 1000), yumanPerMinute: 1000, name: name)
        try example.sandbox.write("ferry.yaml", try Self.withOAuthLogin(example.sandbox.read("ferry.yaml")))
        // Every command reads the config, `ferry idmap import` too: the secret goes in the folder's .env.
        try example.sandbox.write(".env", "VCOM_CLIENT_SECRET=\(VCOMLogin.clientSecret)\n")
        for outcome in try example.importMappings() {
            #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        }
        return example
    }

    /// The example's configuration with its commented OAuth block in force instead of Basic.
    static func withOAuthLogin(_ config: String) throws -> String {
        var lines = config.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "# auth:" })
        var end = start
        while end + 1 < lines.count, lines[end + 1].trimmingCharacters(in: .whitespaces).hasPrefix("#   ") { end += 1 }
        for index in start...end {
            lines[index] = lines[index].replacingOccurrences(of: "# ", with: "", range: lines[index].range(of: "# "))
        }
        let basic = try #require(lines.firstIndex { $0.contains("auth: { type: basic") })
        lines.remove(at: basic)
        return lines.joined(separator: "\n")
    }
}
