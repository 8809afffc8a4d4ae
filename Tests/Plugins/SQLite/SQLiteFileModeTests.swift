import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// The database files the sqlite connector creates hold copied records: they get
/// `file_mode` (default 0600) whatever the umask, and a file that is not a
/// database is refused as a configuration error. (The umask is process-wide and
/// tests run in parallel, so it is left alone: a mode the umask would have cut,
/// 0666 under 022, shows the setting is applied exactly.)
@Suite struct SQLiteFileModeTests {
    @Test func aNewDatabaseAndItsWALAreOwnerOnlyByDefault() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("out/db.sqlite")
        let destination = try SQLiteTest.open(path)
        _ = try destination.write(WriteRequest(stream: "t", operation: .append, batchID: "1"), records: [["id": 1]])
        #expect(try permissions(of: path) == 0o600)
        #expect(try permissions(of: path + "-wal") == 0o600)
    }

    @Test func fileModeIsASetting() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("shared.sqlite")
        _ = try SQLiteTest.open(path, ["file_mode": "0666"])
        #expect(try permissions(of: path) == 0o666)
        let unquoted = directory.file("unquoted.sqlite")
        _ = try SQLiteTest.open(unquoted, ["file_mode": 640])
        #expect(try permissions(of: unquoted) == 0o640)
        let existing = directory.file("existing.sqlite")
        _ = FileManager.default.createFile(atPath: existing, contents: nil, attributes: [.posixPermissions: 0o644])
        _ = try SQLiteTest.open(existing)
        #expect(try permissions(of: existing) == 0o644, "an existing file keeps its mode")
        let bad = try #require(throws: PluginError.self) {
            try SQLiteTest.open(directory.file("x.sqlite"), ["file_mode": "rw-r--r--"])
        }
        #expect(bad.message.contains("octal mode"), "\(bad)")
    }

    @Test func aFileThatIsNotADatabaseIsAConfigurationError() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("notes.txt")
        _ = FileManager.default.createFile(
            atPath: path, contents: Data(String(repeating: "not a database\n", count: 100).utf8))
        let error = try #require(throws: PluginError.self) { try SQLiteTest.open(path) }
        #expect(error.status == FERRY_ERR_INVALID)
        #expect(error.message.contains("'\(path)' is not a SQLite database"), "\(error)")
    }
}
