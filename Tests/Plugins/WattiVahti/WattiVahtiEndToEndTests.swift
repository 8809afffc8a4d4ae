import FerryTesting
import Foundation
import Testing

/// The real `ferry` executable loads `libferry-wattivahti.so`, refreshes the
/// rotating token through the host's HTTP service against the simulator, and
/// writes through the `influxdb` connector into the real InfluxDB test server.
@Suite(.serialized, .enabled(if: !WattiVahtiInflux.skipped, "FERRY_SKIP_INFLUX=1"))
struct WattiVahtiEndToEndTests {
    static let hourly = WattiVahtiSimulator.Meter(code: "1000001", quarterHourFrom: .max)
    static let quarter = WattiVahtiSimulator.Meter(code: "1000002", quarterHourFrom: 0)
    /// Hourly until 2025-10-22 12:00 local, quarter-hourly after.
    static let switched = WattiVahtiSimulator.Meter(
        code: "1000003", quarterHourFrom: WattiVahtiTimeTests.utc("2025-10-22T09:00:00Z"))

    /// A config with one pipeline per meter, each connection importing its token from `<code>.token`.
    static func config(
        _ simulator: WattiVahtiSimulator, _ influx: WattiVahtiInflux, meters: [WattiVahtiSimulator.Meter]
    ) -> String {
        var connections = ""
        var pipelines = ""
        for meter in meters {
            connections += """
                  meter_\(meter.code):
                    plugin: wattivahti
                    http:
                      endpoint: "\(simulator.url)/api/onlineapi/v1"
                      max_attempts: 2
                      auth:
                        type: oauth2
                        grant: refresh_token
                        token_url: "\(simulator.url)/token"
                        client_id: test-client-id
                        scope: "https://pesv.onmicrosoft.com/salpa/customer.read openid profile offline_access"
                        refresh_token_file: \(meter.code).token
                    config: { metering_point: "\(meter.code)" }

                """
            pipelines += """
                  consumption_\(meter.code):
                    source: { connection: meter_\(meter.code), stream: consumption }
                    destination: { connection: influx, stream: electricity_consumption }
                    write: upsert
                    lookback: 2h

                """
        }
        return """
            version: 1
            state: state.db
            connections:
            \(connections)  influx:
                plugin: influxdb
                http: { endpoint: "\(influx.url)" }
                config:
                  database: \(influx.database)
                  measurement: electricity_consumption
                  tags: [metering_point]
                  fields: [consumption_kwh, consumption_wh, resolution]
                  field_types: { consumption_kwh: float, consumption_wh: float }
            pipelines:
            \(pipelines)
            """
    }

    /// The UTC times of a range by step, as InfluxDB prints them.
    static func times(_ from: String, _ to: String, step: Int) -> [String] {
        stride(from: WattiVahtiTimeTests.utc(from), to: WattiVahtiTimeTests.utc(to), by: step).map {
            let text = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval($0)))
            return text
        }
    }

    @Test func dstDaysLandWithTheRightPointsOnceAcrossConsecutiveRuns() throws {
        let influx = try WattiVahtiInflux()
        let simulator = try WattiVahtiSimulator(
            meters: [Self.hourly, Self.quarter], refreshTokens: ["seed-h", "seed-q"],
            dataEnd: WattiVahtiTimeTests.utc("2025-11-01T00:00:00Z"))
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config(simulator, influx, meters: [Self.hourly, Self.quarter]))
        try sandbox.write("1000001.token", "seed-h\n")
        try sandbox.write("1000002.token", "seed-q\n")

        // Spring: local 2025-03-30 is 23 hours long.
        let spring = try sandbox.ferry(["run", "--since", "2025-03-30", "--until", "2025-03-31"])
        #expect(spring.status == 0, "\(spring.stdout)\(spring.stderr)")
        let springHours = try influx.points("1000001", from: "2025-03-29T22:00:00Z", to: "2025-03-30T21:00:00Z")
        #expect(springHours.map(\.time) == Self.times("2025-03-29T22:00:00Z", "2025-03-30T21:00:00Z", step: 3600))
        #expect(springHours.count == 23)
        #expect(springHours.allSatisfy { $0.resolution == "PT1H" })
        let springQuarters = try influx.points("1000002", from: "2025-03-29T22:00:00Z", to: "2025-03-30T21:00:00Z")
        #expect(springQuarters.map(\.time) == Self.times("2025-03-29T22:00:00Z", "2025-03-30T21:00:00Z", step: 900))
        #expect(springQuarters.count == 92)

        // Autumn: local 2025-10-26 is 25 hours long; the two 03:xx are distinct and keep their own values.
        let autumn = try sandbox.ferry(["run", "--since", "2025-10-26T00:00:00", "--until", "2025-10-27"])
        #expect(autumn.status == 0, "\(autumn.stdout)\(autumn.stderr)")
        let autumnHours = try influx.points("1000001", from: "2025-10-25T21:00:00Z", to: "2025-10-26T22:00:00Z")
        #expect(autumnHours.map(\.time) == Self.times("2025-10-25T21:00:00Z", "2025-10-26T22:00:00Z", step: 3600))
        #expect(autumnHours.count == 25)
        let autumnQuarters = try influx.points("1000002", from: "2025-10-25T21:00:00Z", to: "2025-10-26T22:00:00Z")
        #expect(autumnQuarters.count == 100)
        #expect(autumnQuarters.map(\.time) == Self.times("2025-10-25T21:00:00Z", "2025-10-26T22:00:00Z", step: 900))
        for point in autumnQuarters {
            let expected = WattiVahtiSimulator.quarterValue(WattiVahtiTimeTests.utc(point.time))
            #expect(abs(point.kilowattHours - expected) < 1e-9, "\(point.time)")
            #expect(abs(point.wattHours - expected * 1000) < 1e-6, "\(point.time)")
            #expect(point.resolution == "PT15MIN")
        }
        let repeatedFirst = try #require(autumnHours.first { $0.time == "2025-10-26T00:00:00Z" })
        let repeatedSecond = try #require(autumnHours.first { $0.time == "2025-10-26T01:00:00Z" })
        #expect(
            abs(
                repeatedFirst.kilowattHours
                    - WattiVahtiSimulator.hourValue(WattiVahtiTimeTests.utc("2025-10-26T00:00:00Z"))) < 1e-9)
        #expect(
            abs(
                repeatedSecond.kilowattHours
                    - WattiVahtiSimulator.hourValue(WattiVahtiTimeTests.utc("2025-10-26T01:00:00Z"))) < 1e-9)

        // Incremental, twice. The ranged runs above kept no checkpoint (a --since run never moves it), so the
        // first starts initial_sync_days (7) before --until; the second from its checkpoint minus the 2 h lookback.
        let firstIncremental = try sandbox.ferry(["run", "--until", "2025-10-29"])
        #expect(firstIncremental.status == 0, "\(firstIncremental.stdout)\(firstIncremental.stderr)")
        let countsAfterFirst = (try influx.count("1000001"), try influx.count("1000002"))
        let requestsBefore = simulator.meterRequests.count
        let secondIncremental = try sandbox.ferry(["run", "--until", "2025-10-29"])
        #expect(secondIncremental.status == 0, "\(secondIncremental.stdout)\(secondIncremental.stderr)")
        let countsAfterSecond = (try influx.count("1000001"), try influx.count("1000002"))
        #expect(countsAfterFirst == countsAfterSecond)
        // The spring day's 23 hours and 92 quarters, then 10-21T22:00Z ..< 10-28T22:00Z (168 hours, the autumn
        // day's 25 included, and 672 quarters): every point once.
        #expect(countsAfterSecond.0 == 23 + 168)
        #expect(countsAfterSecond.1 == 92 + 672)
        // The second run re-read only the lookback: its first request starts 2 h before the newest point (21:45Z), on the hour.
        let rerun = simulator.meterRequests[requestsBefore...].filter { $0["meteringPointCode"] == "1000002" }
        #expect(rerun.first?["start"] == "2025-10-28T21:00:00+02:00")
        // Each run refreshed once per connection, each time with the token the last one left.
        #expect(simulator.tokenRequests == 8)
        #expect(simulator.validRefreshTokens.count == 2)
    }

    @Test func aMeterThatSwitchedToQuartersMidDayKeepsBothResolutions() throws {
        let influx = try WattiVahtiInflux()
        let simulator = try WattiVahtiSimulator(meters: [Self.switched], refreshTokens: ["seed"])
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config(simulator, influx, meters: [Self.switched]))
        try sandbox.write("1000003.token", "seed")
        let run = try sandbox.ferry(["run", "--since", "2025-10-21", "--until", "2025-10-24"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let points = try influx.points("1000003", from: "2025-10-20T21:00:00Z", to: "2025-10-23T21:00:00Z")
        #expect(points.filter { $0.resolution == "PT1H" }.count == 24 + 12)
        #expect(points.filter { $0.resolution == "PT15MIN" }.count == 48 + 96)
        #expect(points.last(where: { $0.resolution == "PT1H" })?.time == "2025-10-22T08:00:00Z")
        #expect(points.first(where: { $0.resolution == "PT15MIN" })?.time == "2025-10-22T09:00:00Z")
    }

    @Test func theRotatedTokenSurvivesAKillRightAfterItWasStored() throws {
        let influx = try WattiVahtiInflux()
        let simulator = try WattiVahtiSimulator(meters: [Self.quarter], refreshTokens: ["seed"])
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config(simulator, influx, meters: [Self.quarter]))
        try sandbox.write("1000002.token", "seed")
        let killed = try sandbox.ferry(
            ["run", "--since", "2025-10-26", "--until", "2025-10-27"],
            environment: ["FERRY_FAILPOINTS": "after_token_persist:kill:1"])
        #expect(killed.status == -9, "\(killed.stdout)\(killed.stderr)")
        #expect(simulator.tokenRequests == 1)
        #expect(simulator.meterRequests.isEmpty)
        #expect(!simulator.validRefreshTokens.contains("seed"))
        #expect(try influx.count("1000002") == 0)

        // The file still holds the used token; the state database holds the rotated one, and wins.
        let next = try sandbox.ferry(["run", "--since", "2025-10-26", "--until", "2025-10-27"])
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(try influx.count("1000002") == 100)
        #expect(simulator.tokenRequests == 2)
    }

    @Test func aRevokedTokenSaysWhichFileToFillAndHowToGetOne() throws {
        let influx = try WattiVahtiInflux()
        let simulator = try WattiVahtiSimulator(meters: [Self.quarter], refreshTokens: ["seed"])
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config(simulator, influx, meters: [Self.quarter]))

        let missing = try sandbox.ferry(["run", "--since", "2025-10-26", "--until", "2025-10-27"])
        #expect(missing.status == 1)
        #expect(
            (missing.stdout + missing.stderr).contains(sandbox.path("1000002.token")),
            "\(missing.stdout)\(missing.stderr)")

        try sandbox.write("1000002.token", "seed")
        #expect(try sandbox.ferry(["run", "--since", "2025-10-26", "--until", "2025-10-27"]).status == 0)
        simulator.revokeAll()
        let revoked = try sandbox.ferry(["run", "--since", "2025-10-26", "--until", "2025-10-27"])
        let output = revoked.stdout + revoked.stderr
        #expect(revoked.status == 1, "\(output)")
        #expect(output.contains("invalid_grant"), "\(output)")
        #expect(output.contains("1000002.token"), "\(output)")
        #expect(output.contains("wattivahti.fi"), "\(output)")
        #expect(!output.contains("rt-1-"), "a refresh token leaked: \(output)")

        // A new token written to the file is picked up although a (revoked) one is stored.
        try sandbox.write("1000002.token", "fresh-from-browser\n")
        simulator.accept("fresh-from-browser")
        let renewed = try sandbox.ferry(["run", "--since", "2025-10-26", "--until", "2025-10-27"])
        #expect(renewed.status == 0, "\(renewed.stdout)\(renewed.stderr)")
    }
}

/// `destination_cursor`: the start comes from where InfluxDB's data ends, as the seed did,
/// so even a run that lost its checkpoint neither re-reads a week nor leaves a gap.
@Suite(.serialized, .enabled(if: !WattiVahtiInflux.skipped, "FERRY_SKIP_INFLUX=1"))
struct WattiVahtiDestinationCursorTests {
    @Test func aRunWithoutACheckpointStartsAtTheLatestPointInInfluxLessTheLookback() throws {
        let meter = WattiVahtiEndToEndTests.quarter
        let influx = try WattiVahtiInflux()
        let simulator = try WattiVahtiSimulator(
            meters: [meter], refreshTokens: ["seed-q"],
            dataEnd: WattiVahtiTimeTests.utc("2025-11-01T00:00:00Z"))
        let sandbox = try Sandbox()
        let config = WattiVahtiEndToEndTests.config(simulator, influx, meters: [meter])
            .replacingOccurrences(of: "    lookback: 2h", with: "    lookback: 2h\n    destination_cursor: latest")
            .replacingOccurrences(
                of: "  field_types: { consumption_kwh: float, consumption_wh: float }",
                with:
                    "  field_types: { consumption_kwh: float, consumption_wh: float }\n      series: { tags: { metering_point: \"\(meter.code)\" } }"
            )
        try sandbox.write("ferry.yaml", config)
        try sandbox.write("\(meter.code).token", "seed-q\n")

        let first = try sandbox.ferry(["run", "--since", "2025-10-26", "--until", "2025-10-27"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try influx.count(meter.code) == 100)
        // Forget the checkpoint (the rotated token stays): only InfluxDB knows where the data ends.
        #expect(try sandbox.ferry(["state", "reset", "consumption_\(meter.code)"]).status == 0)
        let before = simulator.meterRequests.count
        let second = try sandbox.ferry(["run", "--until", "2025-10-28"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stderr.contains("Starting from where the destination's data ends."), "\(second.stderr)")
        let starts = simulator.meterRequests[before...].compactMap { $0["start"] }
        // The newest point is 2025-10-26T21:45Z (23:45 local); 2 h earlier is 21:45 local.
        #expect(starts.first?.hasPrefix("2025-10-26T2") == true, "\(starts)")
        // Every quarter of the 26th and the 27th exactly once.
        #expect(try influx.count(meter.code) == 100 + 96)
    }
}
