import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

@Suite(.enabled(if: !InfluxTest.skipped, "FERRY_SKIP_INFLUX=1"))
struct InfluxDBDestinationTests {
    @Test func escapesMeasurementTagsFieldKeysAndStrings() throws {
        let scratch = try InfluxScratch()
        let destination = try scratch.open(["measurement": "power, meter", "tags": ["site id", "k=v,w"]])
        let result = try destination.write(
            .influx(),
            records: [
                [
                    "time": "2024-01-02T03:04:05Z", "site id": "Pori, plant=1", "k=v,w": "a b",
                    "field, key=x": "say \"hi\" \\ back\\slash", "n": 1,
                ]
            ])
        #expect(result.accepted == 1)
        let rows = try scratch.rows(#"SELECT * FROM "power, meter""#)
        #expect(rows.count == 1)
        #expect(rows.first?["site id"] == "Pori, plant=1")
        #expect(rows.first?["k=v,w"] == "a b")
        #expect(rows.first?["field, key=x"] == "say \"hi\" \\ back\\slash")
        #expect(rows.first?["time"] == "2024-01-02T03:04:05Z")
    }

    /// Random tag values and string fields made of the characters line protocol
    /// treats specially, written and read back from the real server unchanged.
    @Test func fuzzedTagValuesAndStringsReadBackExactly() throws {
        let scratch = try InfluxScratch()
        let destination = try scratch.open(["measurement": "fuzz", "tags": ["t", "n"], "batch_points": 50])
        let alphabet: [String] = [
            ",", " ", "=", "\"", "\\", "'", "a", "Z", "0", "é", "ß", "日本", "🚀", "\t", "{", "}", "#", ":", "ä",
            "\u{301}",
        ]
        var generator = SystemRandomNumberGenerator()
        var records: [JSONValue] = []
        var expected: [Int64: (tag: String, text: String)] = [:]
        var refused: Set<Int> = []
        for index in 0..<200 {
            func random() -> String {
                (0..<Int.random(in: 1...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
                    .joined()
            }
            let tag = random()
            let text = random() + (index % 7 == 0 ? "\n second line" : "")
            // A backslash before a comma, space or equals sign, or at the end, cannot be written as a tag value.
            if Self.unwritableTag(tag) { refused.insert(index) } else { expected[Int64(index)] = (tag, text) }
            records.append([
                "time": .int(1_700_000_000 + Int64(index)), "t": .string(tag), "n": .int(Int64(index)),
                "text": .string(text),
            ])
        }
        let result = try destination.write(.influx(), records: records)
        #expect(Set(result.rejectedIndexes.map(Int.init)) == refused)
        #expect(result.accepted == 200 - refused.count)
        let rows = try scratch.rows(#"SELECT "text", "t", "n" FROM "fuzz""#, epoch: "s")
        #expect(rows.count == expected.count)
        for row in rows {
            let index = (row["n"]?.stringValue).flatMap { Int64($0) } ?? -1
            guard let want = expected[index] else {
                Issue.record("unexpected point \(row)")
                continue
            }
            #expect(row["t"]?.stringValue == want.tag, "tag of point \(index)")
            #expect(row["text"]?.stringValue == want.text, "string field of point \(index)")
            #expect(row["time"]?.intValue == 1_700_000_000 + index)
        }
    }

    static func unwritableTag(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\\") {
            guard index + 1 < bytes.count else { return true }
            if [UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "=")].contains(bytes[index + 1]) { return true }
        }
        return false
    }

    @Test func writesIntegersFloatsBooleansAndStringsWithTheirTypes() throws {
        let scratch = try InfluxScratch()
        let destination = try scratch.open(["measurement": "types", "precision": "ms"])
        let result = try destination.write(
            .influx(),
            records: [
                [
                    "time": "2024-03-31T03:15:00.250+03:00", "i": 42, "f": 2.5, "b": true, "s": "text",
                    "big": 9_007_199_254_740_993, "skip": nil,
                ],
                ["time": 1_711_844_100_500, "i": -7, "f": 1e-5, "b": false, "s": "", "big": 1],
            ])
        #expect(result.accepted == 2)
        let types = try scratch.rows("SHOW FIELD KEYS FROM \"types\"")
        let typeOf = Dictionary(
            uniqueKeysWithValues: types.compactMap { row in
                row["fieldKey"]?.stringValue.map { ($0, row["fieldType"]?.stringValue ?? "") }
            })
        #expect(typeOf == ["i": "integer", "f": "float", "b": "boolean", "s": "string", "big": "integer"])
        let rows = try scratch.rows("SELECT * FROM \"types\"", epoch: "ms")
        #expect(rows.count == 2)
        #expect(rows.first?["time"]?.intValue == 1_711_844_100_250)
        #expect(rows.first?["i"] == 42)
        #expect(rows.first?["f"] == 2.5)
        #expect(rows.first?["b"] == true)
        #expect(rows.first?["big"] == .int(9_007_199_254_740_993))
        #expect(rows.last?["f"] == 1e-5)
        #expect(rows.last?["s"] == "")
    }

    @Test func fieldTypesPinAFieldsType() throws {
        let scratch = try InfluxScratch()
        let destination = try scratch.open([
            "measurement": "pinned", "field_types": ["kwh": "float", "n": "integer", "s": "string"],
        ])
        let result = try destination.write(
            .influx(),
            records: [
                ["time": 1_700_000_000, "kwh": 0, "n": 3.0, "s": 12],
                ["time": 1_700_000_001, "kwh": 0.25, "n": 4, "s": true],
                ["time": 1_700_000_002, "kwh": "much", "n": 5],
            ])
        #expect(result.accepted == 2)
        #expect(result.rejectedIndexes == [2])
        #expect(result.rejects.first?["error"]?.stringValue?.contains("config.field_types makes it float") == true)
        let types = try scratch.rows("SHOW FIELD KEYS FROM \"pinned\"")
        #expect(types.map { $0["fieldType"] } == ["float", "integer", "string"])
        #expect(try scratch.rows("SELECT * FROM \"pinned\"").map { $0["s"] } == ["12", "true"])
    }

    @Test func splitsBatchesAtBatchPoints() throws {
        let scratch = try InfluxScratch()
        let counter = WriteCounter()
        let destination = try scratch.open(
            ["measurement": "split", "batch_points": 4], handler: counter.handler(scratch.client))
        let records: [JSONValue] = (0..<10).map { ["time": .int(1_700_000_000 + $0), "v": .int($0)] }
        let result = try destination.write(.influx(), records: records)
        #expect(result.accepted == 10)
        #expect(counter.pointsPerWrite == [4, 4, 2])
        #expect(try scratch.count("split", field: "v") == 10)
    }

    @Test func rejectsRecordsWithoutTimeOrFieldsWithAReason() throws {
        let scratch = try InfluxScratch()
        let destination = try scratch.open(["measurement": "r", "tags": ["site"]])
        let result = try destination.write(
            .influx(),
            records: [
                ["time": "2024-01-01T00:00:00Z", "v": 1],
                ["v": 2],
                ["time": "2024-01-01T00:00:01Z", "site": "a"],
                ["time": "2024-01-01 00:00:02", "v": 3],
                ["time": "2024-01-01T00:00:03.5Z", "v": 4],
                ["time": "2024-01-01T00:00:04Z", "site": "ends with \\", "v": 5],
            ])
        #expect(result.accepted == 1)
        #expect(result.rejectedIndexes == [1, 2, 3, 4, 5])
        let errors = result.rejects.compactMap { $0["error"]?.stringValue }
        #expect(errors[0].contains("no time"))
        #expect(errors[1].contains("no fields"))
        #expect(errors[2].contains("no UTC offset"))
        #expect(errors[3].contains("finer than the configured precision"))
        #expect(errors[4].contains("backslash"))
    }

    @Test func aFieldTypeConflictRejectsOnlyTheConflictingPoint() throws {
        let scratch = try InfluxScratch()
        let destination = try scratch.open(["measurement": "c"])
        _ = try destination.write(.influx(), records: [["time": 1_700_000_000, "v": 1.5]])
        let result = try destination.write(
            .influx(batch: "2"),
            records: [
                ["time": 1_700_000_001, "v": 2.5], ["time": 1_700_000_002, "v": "text"],
                ["time": 1_700_000_003, "v": 3.5],
            ])
        #expect(result.accepted == 2)
        #expect(result.rejectedIndexes == [1])
        #expect(result.rejects.first?["error"]?.stringValue?.contains("field type conflict") == true)
        #expect(try scratch.count("c", field: "v") == 3)
    }

    @Test func pointsBeyondRetentionAreFoundBySplitting() throws {
        let scratch = try InfluxScratch()
        try scratch.admin("CREATE RETENTION POLICY \"short\" ON \"\(scratch.database)\" DURATION 1h REPLICATION 1")
        let destination = try scratch.open(["measurement": "old", "retention_policy": "short"])
        let now = Int64(Date().timeIntervalSince1970)
        let records: [JSONValue] = (0..<8).map { ["time": .int($0 == 5 ? 1_000_000_000 : now - $0), "v": .int($0)] }
        let result = try destination.write(.influx(), records: records)
        #expect(result.accepted == 7)
        #expect(result.rejectedIndexes == [5])
        #expect(result.rejects.first?["error"]?.stringValue?.contains("retention") == true)
    }

    @Test func writingTheSameBatchTwiceKeepsOnePointPerSeriesAndTime() throws {
        let scratch = try InfluxScratch()
        let destination = try scratch.open(["measurement": "u", "tags": ["p"]])
        let records: [JSONValue] = (0..<5).map { ["time": .int(1_700_000_000 + $0), "p": "a", "v": .int($0)] }
        _ = try destination.write(.influx("u", .append), records: records)
        _ = try destination.write(.influx("u", .upsert, batch: "2"), records: records)
        #expect(try scratch.count("u", field: "v") == 5)
        #expect(throws: PluginError.self) { try destination.write(.influx("u", .delete, batch: "3"), records: records) }
    }

    @Test func aMissingDatabaseIsNamedInTheError() throws {
        let scratch = try InfluxScratch()
        let destination = try scratch.open(["database": "no_such_db", "measurement": "m"])
        do {
            _ = try destination.write(.influx(), records: [["time": 1, "v": 1]])
            Issue.record("the write should fail")
        } catch let error as PluginError {
            #expect(error.status == FERRY_ERR_INVALID)
            #expect(error.message.contains("no_such_db"))
            #expect(error.message.contains("CREATE DATABASE"))
        }
        let check = try scratch.open(["database": "no_such_db"]).check()
        #expect(check.ok == false)
        #expect(check.message.contains("no_such_db"))
        #expect(try scratch.open().check().ok)
    }

    @Test(arguments: [
        (401, FERRY_ERR_AUTH), (403, FERRY_ERR_AUTH), (503, FERRY_ERR_RETRYABLE), (500, FERRY_ERR_RETRYABLE),
    ])
    func httpErrorsMapToStatuses(status: Int, expected: ferry_status) throws {
        let scratch = try InfluxScratch()
        let body = Array(#"{"error":"authorization failed or server trouble"}"#.utf8)
        let destination = try scratch.open(["measurement": "m"]) { _ in HTTPResponse(status: status, body: body) }
        do {
            _ = try destination.write(.influx(), records: [["time": 1, "v": 1]])
            Issue.record("the write should fail")
        } catch let error as PluginError {
            #expect(error.status == expected)
            #expect(error.message.contains("authorization failed or server trouble"))
        }
    }

    @Test func writesTheV2APIWithOrgBucketAndPrecision() throws {
        let seen = RequestLog()
        let destination = try PluginInstance(
            "influxdb", config: ["api": "v2", "org": "my org", "bucket": "b/1", "precision": "ms", "measurement": "m"])
        destination.host.http = { request in
            seen.append(request)
            return HTTPResponse(status: 204)
        }
        let result = try destination.write(.influx(), records: [["time": "2024-01-01T00:00:00Z", "v": 1]])
        #expect(result.accepted == 1)
        #expect(seen.requests.first?.url == "api/v2/write?org=my%20org&bucket=b%2F1&precision=ms")
        #expect(seen.requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "m v=1i 1704067200000\n")
    }
}
