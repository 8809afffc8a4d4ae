import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

@Suite(.enabled(if: !InfluxTest.skipped, "FERRY_SKIP_INFLUX=1"))
struct InfluxDBSourceTests {
    let config: JSONObject = [
        "measurement": "electricity_consumption", "tags": ["metering_point"],
        "fields": ["consumption_kwh", "consumption_wh", "resolution"],
        "series": ["tags": ["metering_point": "1234567"]],
    ]

    @Test func latestGivesTheNewestTimeOfTheConfiguredSeries() throws {
        let scratch = try InfluxScratch()
        let connection = try scratch.open(config)
        let points: [JSONValue] = [
            [
                "time": "2024-10-27T03:00:00+03:00", "metering_point": "1234567", "consumption_kwh": 0.25,
                "consumption_wh": 250.0, "resolution": "PT15MIN",
            ],
            [
                "time": "2024-10-27T03:00:00+02:00", "metering_point": "1234567", "consumption_kwh": 0.5,
                "consumption_wh": 500.0, "resolution": "PT15MIN",
            ],
            [
                "time": "2024-10-28T00:00:00Z", "metering_point": "7654321", "consumption_kwh": 1.0,
                "consumption_wh": 1000.0, "resolution": "PT1H",
            ],
        ]
        #expect(try connection.write(.influx("electricity_consumption"), records: points).accepted == 3)

        let catalog = try connection.discover()
        #expect(catalog.streams.map(\.name) == ["latest"])
        #expect(catalog.streams.first?.cursorField == "time")

        let batches = try connection.read(ReadRequest(stream: "latest"))
        #expect(batches.count == 1)
        let record = try #require(batches.first?.records.first)
        // The repeated autumn hour: 03:00+02:00 is one hour after 03:00+03:00.
        #expect(record["time"] == "2024-10-27T01:00:00Z")
        #expect(record["measurement"] == "electricity_consumption")
        #expect(record["field"] == "consumption_kwh")
        #expect(record["tags"] == ["metering_point": "1234567"])
        #expect(batches.first?.checkpoint == ["time": "2024-10-27T01:00:00Z"])
    }

    @Test func anEmptySeriesGivesNoRecord() throws {
        let scratch = try InfluxScratch()
        let connection = try scratch.open(config)
        #expect(try connection.read(ReadRequest(stream: "latest")).isEmpty)
    }

    @Test func quotesInTheSeriesFilterAreEscaped() throws {
        let scratch = try InfluxScratch()
        let connection = try scratch.open([
            "measurement": "it's \"m\"", "tags": ["p"], "fields": ["v"],
            "series": ["tags": ["p": "o'clock \\x \"y\""]],
        ])
        #expect(
            try connection.write(.influx(), records: [["time": 1_700_000_000, "p": "o'clock \\x \"y\"", "v": 1]])
                .accepted == 1)
        let record = try #require(try connection.read(ReadRequest(stream: "latest")).first?.records.first)
        #expect(record["time"] == "2023-11-14T22:13:20Z")
    }

    @Test func anUnknownStreamIsRefused() throws {
        let scratch = try InfluxScratch()
        #expect(throws: PluginError.self) { try scratch.open(config).read(ReadRequest(stream: "points")) }
    }

    @Test func latestOnV2UsesFluxAndTakesTheNewestRow() throws {
        let seen = RequestLog()
        let connection = try PluginInstance(
            "influxdb",
            config: [
                "api": "v2", "org": "o", "bucket": "electricity",
                "measurement": "electricity_consumption", "fields": ["consumption_kwh"],
                "series": ["tags": ["metering_point": "1234567"]],
            ])
        connection.host.http = { request in
            seen.append(request)
            let csv =
                ",result,table,_time\r\n,_result,0,2024-10-27T01:00:00Z\r\n,_result,1,2024-10-27T01:15:00.5Z\r\n\r\n"
            return HTTPResponse(status: 200, body: Array(csv.utf8))
        }
        let record = try #require(try connection.read(ReadRequest(stream: "latest")).first?.records.first)
        #expect(record["time"] == "2024-10-27T01:15:00.5Z")
        let request = try #require(seen.requests.first)
        #expect(request.method == "POST")
        #expect(request.url == "api/v2/query?org=o")
        let flux = String(decoding: request.body, as: UTF8.self)
        #expect(flux.contains(#"from(bucket: "electricity")"#))
        #expect(flux.contains(#"r["metering_point"] == "1234567""#))
        #expect(flux.contains("last()"))
    }
}
