import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

/// `page_size`: the page size of a database file the connector creates. An existing file
/// keeps its own, and the host's log says so; a size SQLite cannot take is refused by name.
@Suite struct SQLitePageSizeTests {
    let upsert = WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "1")

    @Test func aNewFileGetsThePageSizeAndTakesRecords() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path, ["page_size": 2048])
        #expect(try destination.write(upsert, lines: [#"{"id":1,"qty":5}"#, #"{"id":2,"qty":6}"#]).accepted == 2)
        #expect(try SQLiteTest.query(path, "PRAGMA page_size") == [["2048"]])
        #expect(try SQLiteTest.query(path, "PRAGMA journal_mode") == [["wal"]])
        #expect(try SQLiteTest.query(path, "SELECT id, qty FROM items ORDER BY id") == [["1", "5"], ["2", "6"]])
        #expect(!destination.host.logs.contains { $0.contains("page size") })
    }

    @Test func anExistingFileKeepsItsPageSizeAndTheLogSaysSo() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "PRAGMA page_size=8192; CREATE TABLE earlier (id INTEGER PRIMARY KEY)")
        let destination = try SQLiteTest.open(path, ["page_size": 1024])
        #expect(try destination.write(upsert, lines: [#"{"id":1}"#]).accepted == 1)
        #expect(try SQLiteTest.query(path, "PRAGMA page_size") == [["8192"]])
        #expect(
            destination.host.logs.contains {
                $0.hasPrefix("[\(FERRY_LOG_WARN)]") && $0.contains("page size of 8192 bytes")
                    && $0.contains("page_size 1024")
            }, "\(destination.host.logs)")
    }

    @Test func withoutTheKeyAFileGetsSQLitesPageSizeQuietly() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        #expect(try destination.write(upsert, lines: [#"{"id":1}"#]).accepted == 1)
        #expect(try SQLiteTest.query(path, "PRAGMA page_size") == [["4096"]])
        #expect(!destination.host.logs.contains { $0.contains("page size") })
    }

    @Test func aSizeSQLiteCannotTakeIsRefusedByName() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        for bad: JSONValue in [3000, 256, 131_072, "2048", 2048.5] {
            #expect {
                _ = try SQLiteTest.open(path, ["page_size": bad])
            } throws: { error in
                (error as? PluginError)?.status == FERRY_ERR_INVALID && "\(error)".contains("page_size")
            }
        }
    }
}
