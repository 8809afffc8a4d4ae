import FerrySQLite
import Foundation
import Testing

/// The VFS that gathers a WAL's appends and a checkpoint's page writes (CSQLiteBufferedWAL):
/// fewer calls, and every other connection sees what it would see without it.
@Suite("SQLite's WAL written a buffer at a time")
struct SQLiteBufferedWALTests {
    /// A WAL-mode connection through the buffering VFS, syncing each commit.
    private func bufferedWriter(_ path: String, cacheKiB: Int = 2048) throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: path, buffersWAL: true)
        #expect(try database.pragma("journal_mode = WAL") == "wal")
        try database.execute(
            "PRAGMA synchronous = FULL; PRAGMA cache_size = -\(cacheKiB)", purpose: "configure the writer")
        return database
    }

    private func integrity(_ path: String) throws -> String? {
        try SQLiteDatabase(path: path).pragma("integrity_check")
    }

    private func rows(_ path: String, _ sql: String = "SELECT count(*), sum(length(v)) FROM t") throws -> [Int64] {
        try SQLiteDatabase(path: path).query(sql, purpose: "read the rows") { [$0.int64(at: 0), $0.int64(at: 1)] }[0]
    }

    @Test func aCommitsFramesReachTheLogInAFewWritesAndAnotherConnectionReadsThem() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let writer = try bufferedWriter(path)
        try writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)", purpose: "create a table")
        let before = try #require(writer.bufferedWrites)
        // 2,000 rows of 3,000 bytes: a page each, so about 2,000 frames, 4,000 calls unbuffered.
        try writer.transaction("insert the rows") {
            for id in 0..<2000 {
                try writer.run("INSERT INTO t VALUES (?, randomblob(3000))", Int64(id), purpose: "insert a row")
            }
        }
        let after = try #require(writer.bufferedWrites)
        let logWrites = after.log - before.log
        #expect(logWrites > 0 && logWrites < 200, "\(logWrites) writes to the WAL")
        // About 8 MB of frames: the disk was asked to start on them a megabyte at a time.
        let hints = try #require(writer.writebackHints).log
        #expect(hints >= 6 && hints <= 9, "\(hints) writeback hints for about 8 MB")
        // A connection through the default VFS sees the whole commit, intact.
        #expect(try rows(path) == [2000, 6_000_000])
        #expect(try integrity(path) == "ok")
        // The plain connection has no buffers to count.
        #expect(try SQLiteDatabase(path: path).bufferedWrites == nil)
    }

    @Test func aRolledBackTransactionsFramesNeverLandOnAnotherWritersCommit() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        // A cache of 16 pages: the transaction spills a few frames, fewer than the buffer
        // holds, before it rolls back.
        let first = try bufferedWriter(path, cacheKiB: 64)
        try first.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)", purpose: "create a table")
        try first.execute("BEGIN IMMEDIATE", purpose: "begin")
        for id in 0..<30 {
            try first.run("INSERT INTO t VALUES (?, randomblob(3000))", Int64(id), purpose: "insert a row")
        }
        try first.execute("ROLLBACK", purpose: "roll back")
        // Another writer appends where the rolled-back frames were.
        let second = try SQLiteDatabase(path: path)
        try second.execute("PRAGMA synchronous = FULL", purpose: "configure the second writer")
        try second.transaction("insert the second writer's rows") {
            for id in 1000..<1100 {
                try second.run("INSERT INTO t VALUES (?, zeroblob(3000))", Int64(id), purpose: "insert a row")
            }
        }
        // The first writer writes again: nothing of its rolled-back transaction may follow.
        try first.run("INSERT INTO t VALUES (5000, zeroblob(10))", purpose: "insert a row")
        #expect(try rows(path) == [101, 300_010])
        #expect(try rows(path, "SELECT min(id), max(id) FROM t") == [1000, 5000])
        #expect(try integrity(path) == "ok")
    }

    @Test func aCheckpointWritesNeighbouringPagesTogetherAndReadersKeepTheirSnapshot() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let writer = try bufferedWriter(path)
        try writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)", purpose: "create a table")
        try writer.onWALCommit { _ in } // no automatic checkpoint: the copier below does it
        try writer.transaction("insert the first rows") {
            for id in 0..<1000 {
                try writer.run("INSERT INTO t VALUES (?, randomblob(3000))", Int64(id), purpose: "insert a row")
            }
        }
        // A reader holds the first commit's snapshot while more is committed and copied.
        let reader = try SQLiteDatabase(path: path)
        try reader.execute("BEGIN", purpose: "begin a read")
        #expect(try reader.query("SELECT count(*) FROM t", purpose: "count") { $0.int64(at: 0) } == [1000])
        try writer.transaction("insert more rows") {
            for id in 1000..<1500 {
                try writer.run("INSERT INTO t VALUES (?, randomblob(3000))", Int64(id), purpose: "insert a row")
            }
        }
        let copier = try SQLiteDatabase(path: path, buffersWAL: true)
        try copier.execute("PRAGMA synchronous = FULL; SELECT count(*) FROM sqlite_schema", purpose: "open the copier")
        let partial = try copier.checkpointWAL()
        // Only the frames the reader does not need are copied; those went out in few calls.
        #expect(partial.checkpointedFrames > 900 && !partial.isComplete, "\(partial)")
        let firstCopy = try #require(copier.bufferedWrites).database
        #expect(firstCopy > 0 && firstCopy < 100, "\(firstCopy) writes for about 1,000 pages")
        let copyHints = try #require(copier.writebackHints).database
        #expect(copyHints >= 2 && copyHints <= 4, "\(copyHints) writeback hints for about 4 MB copied")
        #expect(try reader.query("SELECT count(*) FROM t", purpose: "count") { $0.int64(at: 0) } == [1000])
        try reader.execute("COMMIT", purpose: "end the read")
        let rest = try copier.checkpointWAL()
        #expect(rest.isComplete, "\(rest)")
        #expect(try rows(path) == [1500, 4_500_000])
        #expect(try integrity(path) == "ok")
        // Every frame copied: the file alone, without the WAL, holds every row.
        writer.close()
        reader.close()
        copier.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(try rows(path) == [1500, 4_500_000])
    }
}
