import Testing

@testable import FerryJSON

@Suite struct NDJSONTests {
    @Test func linesTolerateCRLFAndBlankLines() {
        let text = "{\"a\":1}\r\n\r\n  \n{\"a\":2}\n\t\r\n{\"a\":3}"
        var bytes = Array(text.utf8)
        let lines = bytes.withUnsafeMutableBytes { buffer in
            NDJSONLines(UnsafeRawBufferPointer(buffer)).map {
                ($0.index, $0.lineNumber, $0.range, String(decoding: $0.bytes, as: UTF8.self))
            }
        }
        #expect(lines.map(\.0) == [0, 1, 2])
        #expect(lines.map(\.1) == [1, 4, 6])
        #expect(lines.map(\.3) == [#"{"a":1}"#, #"{"a":2}"#, #"{"a":3}"#])
        #expect(lines[0].2 == 0..<7)
    }

    @Test func emptyBufferHasNoLines() {
        let count = [UInt8]().withUnsafeBytes { NDJSONLines($0).reduce(0) { count, _ in count + 1 } }
        #expect(count == 0)
        #expect(NDJSON.parseObjects("\n\r\n\n").records.isEmpty)
    }

    @Test func badLineInTheMiddleIsReportedAlone() {
        let text = "{\"id\":1}\r\n{\"id\":2,}\r\n\r\n[1,2]\n{\"id\":3, \"n\": NaN}\n{\"id\":4}\n"
        let result = NDJSON.parseObjects(text)
        #expect(result.records == [["id": 1], ["id": 4]])
        #expect(result.errors.map(\.index) == [1, 2, 3])
        #expect(result.errors.map(\.lineNumber) == [2, 4, 5])
        #expect(
            result.errors[0].message == "expected '\"' to begin an object key after ',' at byte 8 (line 1, column 9)")
        #expect(result.errors[0].parseError?.offset == 8)
        #expect(
            result.errors[1].message == "expected a JSON object (a record), got an array at byte 0 (line 1, column 1)")
        #expect(result.errors[1].parseError?.offset == 0)
        #expect(result.errors[2].description.hasPrefix("line 5: unexpected character 'N'"))
    }

    @Test func nonFiniteNumbersWhenAllowed() {
        let result = NDJSON.parseObjects("{\"n\": NaN}\n", options: .init(allowNonFiniteNumbers: true))
        #expect(result.errors.isEmpty)
        #expect(result.records.first?["n"]?.doubleValue?.isNaN == true)
    }

    @Test func streamingWalkGivesIndexes() {
        var seen: [Int] = []
        var failed: [Int] = []
        Array("{}\nx\n{}\n".utf8).withUnsafeBytes { buffer in
            NDJSON.forEachObject(in: buffer) { index, _ in
                seen.append(index)
            } onError: {
                failed.append($0.index)
            }
        }
        #expect(seen == [0, 2])
        #expect(failed == [1])
    }

    @Test func writerAppendsLinesAndRoundTrips() {
        var writer = NDJSONWriter(capacity: 64)
        writer.append(JSONObject([("id", 1), ("name", "a\nb")]))
        writer.append(JSONObject([("id", 2)]))
        #expect(writer.count == 2)
        #expect(String(decoding: writer.buffer, as: UTF8.self) == "{\"id\":1,\"name\":\"a\\nb\"}\n{\"id\":2}\n")
        let back = NDJSON.parseObjects(writer.buffer)
        #expect(back.records == [JSONObject([("id", 1), ("name", "a\nb")]), JSONObject([("id", 2)])])
        writer.removeAll()
        #expect(writer.buffer.isEmpty && writer.count == 0)
    }
}
