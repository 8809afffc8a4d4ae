import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// The v2 API against `InfluxV2Simulator` (Debian packages only 1.x), which stores
/// the points in the real test server.
@Suite(.enabled(if: !InfluxTest.skipped, "FERRY_SKIP_INFLUX=1"))
struct InfluxDBV2Tests {
    let v2: JSONObject = [
        "api": "v2", "org": "pori", "bucket": "electricity", "precision": "s",
        "measurement": "electricity_consumption", "tags": ["metering_point"],
        "fields": ["consumption_kwh", "consumption_wh", "resolution"],
        "series": ["tags": ["metering_point": "1234567"]],
    ]

    func connection(_ scratch: InfluxScratch, config: JSONObject? = nil, authorization: String = "Token s3cret") throws
        -> (PluginInstance, InfluxV2Simulator)
    {
        let simulator = InfluxV2Simulator(
            org: "pori", token: "s3cret", buckets: ["electricity": scratch.database], server: scratch.client)
        let instance = try PluginInstance("influxdb", config: .object(config ?? v2))
        instance.host.http = simulator.handler(authorization: authorization)
        return (instance, simulator)
    }

    @Test func writesAndReadsTheLatestTimeThroughFlux() throws {
        let scratch = try InfluxScratch()
        let (connection, simulator) = try connection(scratch)
        #expect(try connection.check().ok)
        let result = try connection.write(
            .influx("electricity_consumption"),
            records: [
                [
                    "time": "2024-03-31T02:45:00+02:00", "metering_point": "1234567", "consumption_kwh": 0.5,
                    "consumption_wh": 500.0, "resolution": "PT15MIN",
                ],
                [
                    "time": "2024-03-31T04:00:00+03:00", "metering_point": "1234567", "consumption_kwh": 0.25,
                    "consumption_wh": 250.0, "resolution": "PT15MIN",
                ],
                [
                    "time": "2024-04-01T00:00:00Z", "metering_point": "7654321", "consumption_kwh": 1.0,
                    "consumption_wh": 1000.0, "resolution": "PT1H",
                ],
            ])
        #expect(result.accepted == 3)
        #expect(try scratch.count("electricity_consumption", field: "consumption_kwh") == 3)
        let record = try #require(try connection.read(ReadRequest(stream: "latest")).first?.records.first)
        // Spring forward: 02:45+02:00 is 00:45Z and 04:00+03:00 is 01:00Z, fifteen minutes later.
        #expect(record["time"] == "2024-03-31T01:00:00Z")
        #expect(simulator.fluxQueries.first?.contains("last()") == true)
    }

    @Test func aWrongTokenIsAnAuthErrorAndAMissingBucketIsNamed() throws {
        let scratch = try InfluxScratch()
        let (wrong, _) = try connection(scratch, authorization: "token s3cret")
        do {
            _ = try wrong.write(.influx(), records: [["time": 1, "consumption_kwh": 1.0]])
            Issue.record("the write should fail")
        } catch let error as PluginError {
            #expect(error.status == FERRY_ERR_AUTH)
            #expect(error.message.contains("unauthorized access"))
        }
        var config = v2
        config["bucket"] = "nope"
        let (missing, _) = try connection(scratch, config: config)
        do {
            _ = try missing.write(.influx(), records: [["time": 1, "consumption_kwh": 1.0]])
            Issue.record("the write should fail")
        } catch let error as PluginError {
            #expect(error.status == FERRY_ERR_INVALID)
            #expect(error.message.contains("bucket \"nope\" not found"))
            #expect(error.message.contains("config.org and config.bucket"))
        }
    }

    @Test func aPartialWriteRejectsTheNamedPoint() throws {
        let scratch = try InfluxScratch()
        let (connection, _) = try connection(scratch)
        _ = try connection.write(
            .influx(), records: [["time": 1_700_000_000, "metering_point": "1", "consumption_kwh": 1.0]])
        let result = try connection.write(
            .influx(batch: "2"),
            records: [
                ["time": 1_700_000_001, "metering_point": "1", "consumption_kwh": 2.0],
                ["time": 1_700_000_002, "metering_point": "1", "consumption_kwh": "two"],
            ])
        #expect(result.accepted == 1)
        #expect(result.rejectedIndexes == [1])
        #expect(result.rejects.first?["error"]?.stringValue?.contains("field type conflict") == true)
    }
}
