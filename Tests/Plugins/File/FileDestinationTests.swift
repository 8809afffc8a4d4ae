import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

@Suite struct FileDestinationTests {
    @Test func appendsJSONLinesAsGivenAndReadsThemBack() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("sink.jsonl")
        let lines = [#"{"id":1,"s":"a\nb \"q\" ✓"}"#, #"{"id":2,  "nested":{"k":[1,2]}}"#]
        let destination = try FileTest.open(["path": .string(path)])
        let result = try destination.write(
            WriteRequest(stream: "sink", operation: .append, batchID: "b1"), lines: lines)
        #expect(result.accepted == 2)
        #expect(FileTest.contents(path) == lines.joined(separator: "\n") + "\n")
        let source = try FileTest.open(["path": .string(path)])
        #expect(try source.read(ReadRequest(stream: "sink")).flatMap(\.lines) == lines)
    }

    @Test func aReplayedBatchIdIsAcceptedWithoutWritingTwice() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("idem.jsonl")
        let destination = try FileTest.open(["path": .string(path)])
        let request = WriteRequest(stream: "idem", operation: .append, batchID: "batch-1")
        _ = try destination.write(request, lines: [#"{"n":1}"#])
        let again = try destination.write(request, lines: [#"{"n":1}"#])
        #expect(again.accepted == 1)
        // A new instance (a restarted host) reads the sidecar.
        let restarted = try FileTest.open(["path": .string(path)])
        _ = try restarted.write(request, lines: [#"{"n":1}"#])
        _ = try restarted.write(
            WriteRequest(stream: "idem", operation: .append, batchID: "batch-2"), lines: [#"{"n":2}"#])
        #expect(FileTest.contents(path) == "{\"n\":1}\n{\"n\":2}\n")
        #expect(FileTest.contents(path + ".ferry-batches").contains("batch-2"))
    }

    @Test func theTailOfACrashedUnacknowledgedWriteIsRemovedBeforeTheReplay() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("crash.jsonl")
        let destination = try FileTest.open(["path": .string(path)])
        _ = try destination.write(WriteRequest(stream: "crash", operation: .append, batchID: "1"), lines: [#"{"n":1}"#])
        // The process died after writing batch 2's data but before its sidecar line.
        FileTest.append(path, "{\"n\":2}\n{\"n\":")
        let restarted = try FileTest.open(["path": .string(path)])
        _ = try restarted.write(WriteRequest(stream: "crash", operation: .append, batchID: "2"), lines: [#"{"n":2}"#])
        #expect(FileTest.contents(path) == "{\"n\":1}\n{\"n\":2}\n")
    }

    @Test func aCrashInTheVeryFirstWriteIsUndoneToo() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("first.jsonl")
        try "{\"kept\":true}\n".write(toFile: path, atomically: true, encoding: .utf8) // there before Ferry
        let destination = try FileTest.open(["path": .string(path)])
        _ = try destination.write(WriteRequest(stream: "first", operation: .append, batchID: "1"), lines: [#"{"n":1}"#])
        // Batch 1's data landed, then the process died before its sidecar line: simulate by
        // dropping that line, leaving only the start the sidecar noted before the write.
        let sidecar = path + ".ferry-batches"
        let lines = FileTest.contents(sidecar).split(separator: "\n")
        #expect(lines.count == 2 && lines[0].contains(#""end":14"#), "\(lines)")
        try (String(lines[0]) + "\n").write(toFile: sidecar, atomically: true, encoding: .utf8)
        let restarted = try FileTest.open(["path": .string(path)])
        _ = try restarted.write(WriteRequest(stream: "first", operation: .append, batchID: "1"), lines: [#"{"n":1}"#])
        #expect(FileTest.contents(path) == "{\"kept\":true}\n{\"n\":1}\n")
    }

    @Test func upsertAndDeleteAreUnsupported() throws {
        let directory = TemporaryDirectory()
        let destination = try FileTest.open(["path": .string(directory.file("x.jsonl"))])
        for operation in [WriteOperation.upsert, .delete] {
            #expect {
                _ = try destination.write(
                    WriteRequest(stream: "x", operation: operation, primaryKey: ["id"], batchID: "1"),
                    lines: [#"{"id":1}"#])
            } throws: { error in
                (error as? PluginError)?.status == FERRY_ERR_UNSUPPORTED
            }
        }
    }

    @Test func theSpecDeclaresEveryConfigKey() throws {
        let directory = TemporaryDirectory()
        let instance = try FileTest.open(["path": .string(directory.file("x.jsonl"))])
        let keys = try instance.spec()["config"]?["properties"]?.objectValue?.keys ?? []
        // file_mode and max_record_bytes were parsed but missing from the hand-written schema before the key table.
        #expect(
            Set(keys) == [
                "path", "format", "stream", "delimiter", "infer_types", "primary_key", "cursor_field", "file_mode",
                "max_record_bytes",
            ])
    }
}
