import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// The files the file destination creates hold copied records: they get
/// `file_mode` (default 0600) exactly, and an existing file keeps its mode.
@Suite struct FileModeTests {
    @Test func aNewOutputFileAndItsSidecarAreOwnerOnlyByDefault() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("out/records.jsonl")
        let destination = try FileTest.open(["path": .string(path)])
        _ = try destination.write(
            WriteRequest(stream: "records", operation: .append, batchID: "1"), lines: [#"{"n":1}"#])
        #expect(try permissions(of: path) == 0o600)
        #expect(try permissions(of: path + ".ferry-batches") == 0o600)
    }

    @Test func fileModeIsAppliedExactlyAndOnlyOnCreation() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("shared.csv")
        let destination = try FileTest.open(["path": .string(path), "file_mode": "0666"])
        _ = try destination.write(
            WriteRequest(stream: "shared", operation: .append, batchID: "1"), lines: [#"{"n":1}"#])
        #expect(try permissions(of: path) == 0o666, "the umask does not cut a configured mode")
        let existing = directory.file("existing.jsonl")
        _ = FileManager.default.createFile(atPath: existing, contents: nil, attributes: [.posixPermissions: 0o640])
        _ = try FileTest.open(["path": .string(existing)])
            .write(WriteRequest(stream: "existing", operation: .append, batchID: "1"), lines: [#"{"n":1}"#])
        #expect(try permissions(of: existing) == 0o640)
        let error = try #require(throws: PluginError.self) {
            try FileTest.open(["path": .string(path), "file_mode": "0999"])
        }
        #expect(error.message.contains("config.file_mode must be an octal mode"), "\(error)")
    }
}
