import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

@Suite struct FileSourceTests {
    @Test func jsonlLinesPassThroughUnchangedInBatches() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("events.jsonl")
        let lines = (1...25).map { #"{"id":\#($0),  "name":"é\u00e9 \#($0)","ok":true}"# }
        FileTest.write(path, lines.joined(separator: "\n") + "\n\n")
        let instance = try FileTest.open(["path": .string(path)])
        let (read, batches) = try FileTest.readAll(instance, ReadRequest(stream: "events", batchSize: 10))
        #expect(read == lines)
        #expect(batches.map(\.lines.count) == [10, 10, 5])
        let size = Int64(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int)
        #expect(batches.last?.checkpoint?["offset"]?.intValue == size)
        #expect(batches.last?.checkpoint?["cursor"]?.isNull == true)
    }

    @Test func unknownConfigKeyIsRefusedByName() throws {
        #expect {
            _ = try FileTest.open(["path": "/tmp/x.jsonl", "pathh": "typo"])
        } throws: { error in
            (error as? PluginError)?.status == FERRY_ERR_INVALID && "\(error)".contains("pathh")
        }
    }

    @Test func discoverInfersTheSchemaAndDeclaredKeys() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("orders.jsonl")
        FileTest.write(
            path,
            """
            {"id": 1, "total": 3, "paid": true, "tags": ["a"], "meta": {"x": 1}, "note": null}
            {"id": 2, "total": 4.5, "paid": false, "note": "late"}
            """)
        let instance = try FileTest.open(["path": .string(path), "primary_key": "id", "cursor_field": "id"])
        let stream = try #require(try instance.discover().streams.first)
        #expect(stream.name == "orders")
        #expect(stream.primaryKey == ["id"])
        #expect(stream.cursorField == "id")
        let properties = stream.schema["properties"]
        #expect(properties?["id"]?["type"] == "integer")
        #expect(properties?["total"]?["type"] == "number")
        #expect(properties?["paid"]?["type"] == "boolean")
        #expect(properties?["tags"]?["type"] == "array")
        #expect(properties?["meta"]?["type"] == "object")
        #expect(properties?["note"]?["type"] == "string")
    }

    @Test func linesStraddlingTheOneMebibyteBlockAreWhole() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("big.jsonl")
        // ~3 MiB of lines with varying lengths so several lines straddle block edges,
        // plus one line longer than a block.
        var text = ""
        var expected: [String] = []
        var id = 0
        while text.utf8.count < 3 * (1 << 20) {
            id += 1
            let padding = String(repeating: "x", count: (id * 37) % 900)
            let line = #"{"id":\#(id),"pad":"\#(padding)"}"#
            expected.append(line)
            text += line + "\n"
            if id == 1500 {
                let huge = #"{"id":"huge","pad":"\#(String(repeating: "y", count: (1 << 20) + 123))"}"#
                expected.append(huge)
                text += huge + "\n"
            }
        }
        FileTest.write(path, text)
        let instance = try FileTest.open(["path": .string(path)])
        let (lines, _) = try FileTest.readAll(instance, ReadRequest(stream: "big", batchSize: 1000))
        #expect(lines.count == expected.count)
        #expect(lines == expected)
    }

    @Test func resumesFromTheOffsetOfAnAppendOnlyLog() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("log.jsonl")
        FileTest.write(path, (1...10).map { #"{"n":\#($0)}"# + "\n" }.joined())
        let instance = try FileTest.open(["path": .string(path)])
        let first = try instance.read(ReadRequest(stream: "log", batchSize: 4), limit: 1)
        #expect(first[0].lines.count == 4)
        FileTest.append(path, (11...12).map { #"{"n":\#($0)}"# + "\n" }.joined())
        let (rest, _) = try FileTest.readAll(
            instance, ReadRequest(stream: "log", checkpoint: first[0].checkpoint, batchSize: 4))
        #expect(rest == (5...12).map { #"{"n":\#($0)}"# })
        // A full refresh ignores the checkpoint.
        let (all, _) = try FileTest.readAll(
            instance, ReadRequest(stream: "log", checkpoint: first[0].checkpoint, fullRefresh: true))
        #expect(all.count == 12)
    }

    @Test func anUnterminatedLastLineWaitsUntilItIsComplete() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("live.jsonl")
        FileTest.write(path, "{\"n\":1}\n{\"n\":2,\"par")
        let instance = try FileTest.open(["path": .string(path)])
        let batches = try instance.read(ReadRequest(stream: "live"))
        #expect(batches.flatMap(\.lines) == [#"{"n":1}"#])
        FileTest.append(path, "tial\":true}\n")
        let (rest, _) = try FileTest.readAll(
            instance, ReadRequest(stream: "live", checkpoint: batches.last?.checkpoint))
        #expect(rest == [#"{"n":2,"partial":true}"#])
    }

    @Test func aReplacedFileIsReadAgainFilteredByTheCursorWithLookback() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("readings.jsonl")
        let hours = ["01", "02", "03", "04", "05"]
        FileTest.write(path, hours.map { #"{"at":"2024-05-01T\#($0):00:00Z","v":1}"# + "\n" }.joined())
        let instance = try FileTest.open(["path": .string(path), "cursor_field": "at"])
        let first = try instance.read(ReadRequest(stream: "readings"))
        let checkpoint = try #require(first.last?.checkpoint)
        #expect(checkpoint["cursor"] == "2024-05-01T05:00:00Z")
        // The file is replaced by a shorter export holding later readings and some old ones.
        FileTest.write(
            path, ["03", "04", "05", "06"].map { #"{"at":"2024-05-01T\#($0):00:00+00:00","v":2}"# + "\n" }.joined())
        let (plain, _) = try FileTest.readAll(instance, ReadRequest(stream: "readings", checkpoint: checkpoint))
        #expect(plain.count == 1)
        #expect(plain.first?.contains("T06") == true)
        let (withLookback, batches) = try FileTest.readAll(
            instance, ReadRequest(stream: "readings", checkpoint: checkpoint, lookback: 3600))
        #expect(withLookback.count == 2)
        #expect(batches.last?.checkpoint?["cursor"] == "2024-05-01T06:00:00+00:00")
    }

    @Test func aSameSizeRewriteIsNoticedByTheHeadFingerprint() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("snap.jsonl")
        FileTest.write(path, #"{"id":1}"# + "\n" + #"{"id":2}"# + "\n")
        let instance = try FileTest.open(["path": .string(path)])
        let first = try instance.read(ReadRequest(stream: "snap"))
        FileTest.write(path, #"{"id":3}"# + "\n" + #"{"id":4}"# + "\n" + #"{"id":5}"# + "\n")
        let (again, _) = try FileTest.readAll(instance, ReadRequest(stream: "snap", checkpoint: first.last?.checkpoint))
        #expect(again.count == 3)
    }

    @Test func sinceAndUntilFilterOnTheCursor() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("days.jsonl")
        FileTest.write(path, (1...9).map { #"{"day":"2024-01-0\#($0)","seq":\#($0)}"# + "\n" }.joined() + "not json\n")
        let instance = try FileTest.open(["path": .string(path), "cursor_field": "day"])
        let (lines, _) = try FileTest.readAll(
            instance, ReadRequest(stream: "days", since: "2024-01-03", until: "2024-01-06T00:00:00Z"))
        // Malformed lines still flow (the host dead-letters them).
        #expect(lines.count == 4)
        #expect(lines.last == "not json")
        let numeric = try FileTest.open(["path": .string(path), "cursor_field": "seq"])
        let (numbers, _) = try FileTest.readAll(numeric, ReadRequest(stream: "days", since: "7"))
        #expect(numbers.count == 4)
    }
}
