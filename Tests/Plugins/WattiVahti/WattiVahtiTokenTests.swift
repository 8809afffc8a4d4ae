import FerryCore
import FerryHTTP
import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The host side of WattiVahti's rotating refresh token, against the simulator's
/// token endpoint: `refresh_token_file` imported once, rotations persisted and
/// used by the next process, and a rejected stored token replaced by the file's.
@Suite struct WattiVahtiTokenTests {
    static func service(_ factory: inout ServiceFactory, _ simulator: WattiVahtiSimulator, file: String) -> HTTPService
    {
        var config = HTTPConnectionConfig(endpoint: simulator.url + "/api/onlineapi/v1")
        config.maxAttempts = 1
        config.timeoutSeconds = 5
        config.auth = .oauth2(
            tokenURL: simulator.url + "/token",
            credentials: OAuth2Session.Credentials(
                grant: .refreshToken, clientID: "client", scope: "openid offline_access", refreshTokenFile: file))
        return HTTPService(
            config: config, connectionName: "wattivahti", transport: CurlTransport(), store: factory.store,
            stateScope: "http.connection:wattivahti", budgets: nil, redactor: factory.redactor,
            logger: factory.logs.logger, clock: factory.clock.clock, random: { 0.5 })
    }

    static let request = HTTPService.Request(
        url: "meterdata2?meteringPointCode=1000002&measurementType=1"
            + "&start=2025-10-26T00%3A00%3A00%2B03%3A00&stop=2025-10-26T02%3A00%3A00%2B03%3A00&resultStep=PT1H")

    @Test func theFileIsImportedOnceAndEveryRotationIsUsedByTheNextProcess() throws {
        let simulator = try WattiVahtiSimulator(
            meters: [.init(code: "1000002", quarterHourFrom: 0)], refreshTokens: ["from-file"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("watti-token-\(UUID().uuidString)")
            .path
        try "from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var factory = ServiceFactory()
        for run in 1...3 {
            // A new service per run, as a new `ferry` process, sharing the state store.
            let service = Self.service(&factory, simulator, file: file)
            let response = try service.send(Self.request)
            #expect(response.status == 200, "run \(run): \(response.text)")
            let stored = try factory.store.value(scope: "http.connection:wattivahti", key: HTTPService.refreshTokenKey)
            #expect(stored.map(simulator.validRefreshTokens.contains) == true)
        }
        #expect(simulator.tokenRequests == 3)
        #expect(factory.logs.redacted.joined().contains("rt-") == false)
    }

    @Test func aRejectedStoredTokenFallsBackToTheFileOnceThenNamesIt() throws {
        let simulator = try WattiVahtiSimulator(meters: [.init(code: "1000002", quarterHourFrom: 0)], refreshTokens: [])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("watti-token-\(UUID().uuidString)")
            .path
        try "old-token".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        var factory = ServiceFactory()
        try factory.store.setValue("revoked", scope: "http.connection:wattivahti", key: HTTPService.refreshTokenKey)
        let failing = Self.service(&factory, simulator, file: file)
        #expect {
            try failing.send(Self.request)
        } throws: { error in
            let text = "\(error)"
            return text.contains("invalid_grant") && text.contains(file) && !text.contains("revoked")
                && !text.contains("old-token")
        }
        #expect(simulator.tokenRequests == 2)

        try "new-token".write(toFile: file, atomically: true, encoding: .utf8)
        simulator.accept("new-token")
        let renewed = Self.service(&factory, simulator, file: file)
        #expect(try renewed.send(Self.request).status == 200)
    }
}
