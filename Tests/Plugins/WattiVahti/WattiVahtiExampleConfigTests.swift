import FerryCore
import FerryJSON
import Foundation
import Testing

@testable import WattiVahtiPlugin

/// `examples/wattivahti/ferry.yaml` parses with the seed's variables, and its
/// `wattivahti` config is one the connector accepts.
@Suite struct WattiVahtiExampleConfigTests {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/wattivahti/ferry.yaml").path

    @Test func theExampleParsesWithTheSeedsVariables() throws {
        let config = try FerryConfig.load(
            path: Self.example,
            environment: [
                "WATTIVAHTI_METERING_POINT": "1234567", "WATTIVAHTI_CLIENT_ID": "client-id",
                "INFLUXDB_TOKEN": "influx-token", "SYNC_BUFFER_HOURS": "3", "INITIAL_SYNC_DAYS": "14",
            ])
        let source = try #require(config.connections["wattivahti"])
        #expect(source.plugin == "wattivahti")
        guard case .oauth2(let tokenURL, let credentials)? = source.http?.auth else {
            Issue.record("the wattivahti connection has no oauth2 auth")
            return
        }
        #expect(tokenURL.hasSuffix("/oauth2/v2.0/token"))
        #expect(credentials.grant == .refreshToken)
        #expect(credentials.clientID == "client-id")
        #expect(credentials.refreshTokenFile == "refresh_token.txt")
        let pipeline = try #require(config.pipelines.first { $0.name == "consumption" })
        #expect(pipeline.lookback == 3 * 3600)
        #expect(pipeline.write == .upsert)

        let plugin = try WattiVahtiConfig(source.config)
        #expect(plugin.meteringPoint == "1234567")
        #expect(plugin.initialSyncDays == 14)
        let influx = try #require(config.connections["influx"])
        #expect(influx.config["bucket"]?.stringValue == "electricity")
        #expect(influx.http?.endpoint == "http://localhost:8086")
    }

    @Test func theTokenFileFollowsRefreshTokenFile() throws {
        let config = try FerryConfig.load(
            path: Self.example,
            environment: [
                "WATTIVAHTI_METERING_POINT": "1234567", "WATTIVAHTI_CLIENT_ID": "client-id", "INFLUXDB_TOKEN": "t",
                "REFRESH_TOKEN_FILE": "/etc/wattivahti/token",
            ])
        guard case .oauth2(_, let credentials)? = config.connections["wattivahti"]?.http?.auth else {
            Issue.record("the wattivahti connection has no oauth2 auth")
            return
        }
        #expect(credentials.refreshTokenFile == "/etc/wattivahti/token")
    }

    @Test func aMissingMeteringPointNamesTheVariable() {
        #expect(throws: (any Error).self) {
            let config = try FerryConfig.load(
                path: Self.example, environment: ["WATTIVAHTI_CLIENT_ID": "c", "INFLUXDB_TOKEN": "t"])
            _ = try WattiVahtiConfig(config.connections["wattivahti"]?.config ?? [:])
        }
    }
}
