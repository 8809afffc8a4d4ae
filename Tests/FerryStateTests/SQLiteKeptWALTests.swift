import CSQLite
import CSQLiteBufferedWAL
import FerrySQLite
import Foundation
import Testing

/// The buffering VFS's second name (`keepsWALFile`): a WAL that SQLite deletes at the last close
/// is kept with its header cleared, and nothing it held comes back.
@Suite("SQLite's WAL file kept between processes")
struct SQLiteKeptWALTests {
    private func keepingWriter(_ path: String) throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: path, buffersWAL: true, keepsWALFile: true)
        #expect(try database.pragma("journal_mode = WAL") == "wal")
        try database.execute("PRAGMA synchronous = FULL", purpose: "sync each commit")
        return database
    }

    private func values(_ path: String) throws -> [Int64] {
        try SQLiteDatabase(path: path).query("SELECT v FROM t ORDER BY id", purpose: "read the rows") {
            $0.int64(at: 0)
        }
    }

    private func header(of path: String) throws -> [UInt8] {
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        return [UInt8](try handle.read(upToCount: 32) ?? Data())
    }

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
    }

    /// Fills `t` with `count` rows of value `value`, each on a page of its own (a 3,000-byte pad).
    private func fill(_ database: SQLiteDatabase, count: Int, value: Int64) throws {
        try database.execute(
            "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v INTEGER, pad BLOB)", purpose: "create the table")
        try database.transaction("insert the rows") {
            for id in 0..<count {
                try database.run(
                    "INSERT OR REPLACE INTO t VALUES (?, ?, randomblob(3000))", Int64(id), value,
                    purpose: "insert a row")
            }
        }
    }

    /// `t.db` in `directory`, 500 rows of value 1 written by a process that has closed: its WAL kept.
    private func databaseAfterOneRun(in directory: TemporaryDirectory) throws -> String {
        let path = directory.path("t.db")
        let writer = try keepingWriter(path)
        try fill(writer, count: 500, value: 1)
        writer.close()
        return path
    }

    /// The file stays, its header zero, and the database file alone holds every commit: a copy of
    /// it without the WAL reads the same rows.
    @Test func theLastCloseKeepsTheWALWithItsHeaderClearedAndTheDatabaseWhole() throws {
        let directory = try TemporaryDirectory()
        let path = try databaseAfterOneRun(in: directory)
        #expect(fileSize(path + "-wal") > 500 * 3000, "the WAL's file is kept at its size")
        #expect(try header(of: path + "-wal") == [UInt8](repeating: 0, count: 32))
        let copy = directory.path("copy.db")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        #expect(try values(copy) == [Int64](repeating: 1, count: 500))
        #expect(try SQLiteDatabase(path: copy).pragma("integrity_check") == "ok")
    }

    /// After a large WAL was kept, a small commit is cut off by a crash before its checkpoint
    /// (the files copied at that moment): recovery takes the new frames and none of the old
    /// ones behind them, whose pages still hold the values before the commit.
    @Test func aCrashAfterAKeptWALReplaysOnlyTheNewFrames() throws {
        let directory = try TemporaryDirectory()
        let path = try databaseAfterOneRun(in: directory)

        let second = try keepingWriter(path)
        try second.execute("PRAGMA wal_autocheckpoint = 0", purpose: "leave the frames in the WAL")
        try second.run("UPDATE t SET v = 2 WHERE id IN (0, 250, 499)", purpose: "change three rows")
        let crashed = directory.path("crashed.db")
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: crashed + suffix)
        }
        second.close()

        var expected = [Int64](repeating: 1, count: 500)
        for id in [0, 250, 499] { expected[id] = 2 }
        #expect(try values(crashed) == expected)
        #expect(try SQLiteDatabase(path: crashed).pragma("integrity_check") == "ok")
        // And the kept file once more, after the second process closed (a plain connection
        // deletes it at its close, so the header is read first).
        #expect(try header(of: path + "-wal") == [UInt8](repeating: 0, count: 32))
        #expect(try values(path) == expected)
    }

    /// Processes in a row, each changing every row, each reading what the one before wrote.
    @Test func runsInARowEachSeeTheLastOnesRows() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        for run in Int64(1)...4 {
            let writer = try keepingWriter(path)
            if run > 1 {
                #expect(
                    try writer.query("SELECT DISTINCT v FROM t", purpose: "read") { $0.int64(at: 0) } == [run - 1])
            }
            try fill(writer, count: 300, value: run)
            writer.close()
        }
        #expect(try values(path) == [Int64](repeating: 4, count: 300))
    }

    /// A WAL past 64 MiB is deleted as before: kept, it would hold that much disk between runs.
    @Test func aWALPast64MiBIsDeleted() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let writer = try keepingWriter(path)
        try writer.execute("PRAGMA wal_autocheckpoint = 0", purpose: "let the WAL grow")
        try fill(writer, count: 17_000, value: 1) // about 17,000 frames of 4 KiB: 70 MB
        #expect(fileSize(path + "-wal") > 64 << 20)
        writer.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let count = try SQLiteDatabase(path: path).query("SELECT count(*) FROM t", purpose: "count") { $0.int64(at: 0) }
        #expect(count == [17_000])
    }

    /// A link in a WAL's place is removed, as SQLite's own delete would, and the file it points
    /// to keeps its bytes: the keeping delete never writes through a link.
    @Test func aLinkInTheWALsPlaceIsRemovedAndItsTargetKept() throws {
        let directory = try TemporaryDirectory()
        let target = directory.path("precious")
        let bytes = Data((0..<64).map { UInt8($0 + 1) })
        try bytes.write(to: URL(fileURLWithPath: target))
        let link = directory.path("t.db-wal")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let vfs = try #require(sqlite3_vfs_find(ferry_buffered_wal_keeping_vfs()))
        #expect(vfs.pointee.xDelete(vfs, link, 0) == SQLITE_OK)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil, "the link is removed")
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == bytes)
    }

    /// The VFS without the second name deletes the WAL, as SQLite's own does.
    @Test func withoutKeepingTheWALIsDeleted() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let writer = try SQLiteDatabase(path: path, buffersWAL: true)
        #expect(try writer.pragma("journal_mode = WAL") == "wal")
        try fill(writer, count: 50, value: 1)
        writer.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }
}
