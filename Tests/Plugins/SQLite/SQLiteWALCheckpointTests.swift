import FerryJSON
import FerryPluginSDK
import Foundation
import Testing

/// The destination's WAL checkpoints on a thread of their own (`wal_limit_mib`): committed
/// frames reach the database file while the writer waits for nothing, and the WAL starts over
/// once it passes the limit instead of growing for the whole run.
@Suite struct SQLiteWALCheckpointTests {
    typealias Stage = SQLiteMergeStageTests

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// 200 records of about 2 kB, ids from `first`: a commit of about 100 pages.
    static func records(from first: Int) -> [JSONValue] {
        let pad = String(repeating: "w", count: 2_000)
        return (0..<200).map { ["id": .int(Int64(first + $0)), "pad": .string(pad)] }
    }

    /// Commits `groups` groups of two writes each, then reports the WAL file's size.
    static func walSize(afterGroups groups: Int, config: JSONObject) throws -> Int {
        let (directory, path, destination) = try Stage.fresh(config)
        defer { _ = directory }
        for group in 0..<groups {
            let transaction = "g\(group)"
            _ = try destination.write(Stage.upsert(transaction), records: records(from: group * 400))
            _ = try destination.write(
                Stage.upsert(transaction, commit: true), records: records(from: group * 400 + 200))
        }
        #expect(try SQLiteTest.query(path, "SELECT count(*) FROM items") == [[String(groups * 400)]])
        return fileSize(path + "-wal")
    }

    @Test func withoutASyncAtEachCommitTheSameGroupsLandThroughSQLitesOwnVFS() throws {
        // `synchronous: normal` commits do not sync the WAL, so the connections skip the VFS that
        // writes it a buffer at a time (its buffer is written at each sync): rows and copies as above.
        let size = try Self.walSize(afterGroups: 10, config: ["wal_limit_mib": 1, "synchronous": "normal"])
        #expect(size > 0 && size < 4 << 20, "WAL of \(size) bytes")
    }

    @Test func theWALStaysSmallWhileItsFramesAreCopiedBesideTheWriter() throws {
        // 30 groups of about 200 pages (24 MiB of frames): with every copy left to the close, the
        // WAL would hold them all. Copied beside the writer, it starts over every few groups at
        // most (past 1 MiB a transaction waits for the copy in flight).
        let size = try Self.walSize(afterGroups: 30, config: ["wal_limit_mib": 1])
        #expect(size > 0 && size < 4 << 20, "WAL of \(size) bytes")
    }

    @Test func committedFramesReachTheDatabaseFileBesideTheWriter() throws {
        let (directory, path, destination) = try Stage.fresh()
        defer { _ = directory }
        let empty = Self.fileSize(path)
        _ = try destination.write(Stage.upsert("g", commit: true), records: Self.records(from: 0))
        // No later write, no close: only the background copy can move the table into the file.
        let deadline = Date().addingTimeInterval(20)
        while Self.fileSize(path) < 300_000 && Date() < deadline { usleep(10_000) }
        #expect(Self.fileSize(path) >= 300_000, "database file of \(Self.fileSize(path)) bytes (was \(empty))")
        #expect(try SQLiteTest.query(path, "SELECT count(*) FROM items") == [["200"]])
    }

    @Test func withTheLimitAtZeroSQLiteCopiesOnlyInItsCommits() throws {
        let (directory, path, destination) = try Stage.fresh(["wal_limit_mib": 0])
        defer { _ = directory }
        _ = try destination.write(Stage.upsert("g", commit: true), records: Self.records(from: 0))
        usleep(300_000)
        // Under SQLite's 1,000-page automatic checkpoint, these 100 pages stay in the WAL.
        #expect(Self.fileSize(path) < 100_000, "database file of \(Self.fileSize(path)) bytes")
        #expect(Self.fileSize(path + "-wal") > 300_000)
    }

    @Test func aNegativeLimitIsRefusedByName() throws {
        let directory = TemporaryDirectory()
        #expect {
            try SQLiteTest.open(directory.file("db.sqlite"), ["wal_limit_mib": -1])
        } throws: { error in
            "\(error)".contains("wal_limit_mib")
        }
    }
}
