import FerryJSON
import FerryPluginSDK
import Testing

/// The merge stage of the sqlite connector: inside a commit group (one transaction id across
/// writes), upserts gather in a temporary table and are merged into their table in key order
/// at the commit. What a reader of the table sees must be exactly what writing each record
/// straight gives: the last of equal keys wins, records come in the order they were sent
/// across staged and direct writes, refusals are reported with their own batch, nothing is
/// visible before the commit, and a roll-back takes the staged rows with it.
@Suite struct SQLiteMergeStageTests {
    static func upsert(_ transaction: String, commit: Bool = false, stream: String = "items") -> WriteRequest {
        WriteRequest(
            stream: stream, operation: .upsert, primaryKey: ["id"], batchID: "b",
            transaction: WriteTransaction(id: transaction, commit: commit))
    }

    /// A new database in a folder of its own, and the connector on it (keep the folder alive).
    static func fresh(_ config: JSONObject = [:]) throws -> (TemporaryDirectory, String, PluginInstance) {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        return (directory, path, try SQLiteTest.open(path, config))
    }

    static func rows(_ path: String, _ table: String = "items") throws -> [[String?]] {
        try SQLiteTest.query(path, "SELECT * FROM \(table) ORDER BY id")
    }

    /// Makes storing the checkpoint of scope `boom` fail (a trigger), so that a write carrying
    /// it (`failing(_:)`) fails after its records were checked and staged. Call before the
    /// group's first write: the connector then holds the write lock.
    static func failCheckpoints(_ path: String) throws {
        try SQLiteTest.query(
            path,
            """
            CREATE TABLE IF NOT EXISTS _ferry_checkpoints (scope TEXT PRIMARY KEY, sequence INTEGER NOT NULL,
                value TEXT NOT NULL, updated_at INTEGER NOT NULL);
            CREATE TRIGGER boom BEFORE INSERT ON _ferry_checkpoints WHEN NEW.scope = 'boom'
                BEGIN SELECT RAISE(ABORT, 'no checkpoint here'); END;
            """)
    }

    /// An upsert in `transaction` whose checkpoint cannot be stored (see `failCheckpoints(_:)`).
    static func failing(_ transaction: String) -> WriteRequest {
        var request = upsert(transaction)
        request.checkpoint = DurableCheckpoint(scope: "boom", sequence: 1, value: .int(1))
        return request
    }

    static func merges(_ destination: PluginInstance) -> [String] {
        destination.host.logs.filter { $0.contains("Merged the staged upserts") }
    }

    @Test func aGroupsUpsertsAreMergedInKeyOrderAtTheCommitTheLastOfEqualKeysWinning() throws {
        let (directory, path, destination) = try Self.fresh()
        defer { _ = directory }
        // The first write creates the table (straight); the next ones, with the same columns, are staged.
        _ = try destination.write(
            Self.upsert("t1"), records: [["id": 5, "v": "a1"], ["id": 2, "v": "a1"], ["id": 9, "v": "a1"]])
        let second = try destination.write(
            Self.upsert("t1"), records: [["id": 2, "v": "b2"], ["id": 7, "v": "b1"], ["id": 2, "v": "b3"]])
        #expect(second.accepted == 3)
        _ = try destination.write(Self.upsert("t1"), records: [["id": 7, "v": "c2"], ["id": 5, "v": "c2"]])
        #expect(try SQLiteTest.query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'items'") == [["0"]])
        #expect(Self.merges(destination).isEmpty, "nothing is merged before the commit")
        _ = try destination.write(Self.upsert("t1", commit: true), records: [])
        #expect(
            try Self.rows(path) == [["2", "b3"], ["5", "c2"], ["7", "c2"], ["9", "a1"]],
            "the last version of each key, as if written one by one")
        #expect(Self.merges(destination).count == 1 && Self.merges(destination)[0].contains("5"))
    }

    @Test func recordsWrittenStraightBetweenStagedOnesKeepTheirOrder() throws {
        let (directory, path, destination) = try Self.fresh()
        defer { _ = directory }
        _ = try destination.write(Self.upsert("t1", commit: true), records: [["id": 1, "v": "x"]])
        _ = try destination.write(Self.upsert("t2"), records: [["id": 1, "v": "staged"], ["id": 3, "v": "staged"]])
        // Other columns: parsed and written straight, after what was staged is merged.
        _ = try destination.write(Self.upsert("t2"), records: [["id": 1, "w": "straight"]])
        _ = try destination.write(Self.upsert("t2"), records: [["id": 3, "w": "straight"]])
        // A delete in the same transaction: the staged rows are in the table before it runs.
        _ = try destination.write(Self.upsert("t2"), records: [["id": 3, "w": "again"], ["id": 4, "w": "new"]])
        let delete = WriteRequest(
            stream: "items", operation: .delete, primaryKey: ["id"], batchID: "d",
            transaction: WriteTransaction(id: "t2", commit: true))
        _ = try destination.write(delete, records: [["id": 4]])
        #expect(try Self.rows(path) == [["1", "staged", "straight"], ["3", "staged", "again"]])
        #expect(Self.merges(destination).count == 2, "\(destination.host.logs)")
    }

    /// A new process (a new connector on an existing table) stages its first batch with the
    /// rest of the group: written straight, its pages would reach the WAL before the merge
    /// changed some of them again, and SQLite would read every frame back at the commit.
    @Test func aNewConnectorsFirstBatchIntoAnExistingTableIsStagedWithTheRest() throws {
        let (directory, path, first) = try Self.fresh()
        defer { _ = directory }
        _ = try first.write(Self.upsert("t1", commit: true), records: [["id": 1, "v": "x"], ["id": 4, "v": "x"]])
        let next = try SQLiteTest.open(path)
        _ = try next.write(Self.upsert("t2"), records: [["id": 9, "v": "a"], ["id": 4, "v": "a"]])
        _ = try next.write(Self.upsert("t2"), records: [["id": 6, "v": "b"], ["id": 4, "v": "b"]])
        #expect(Self.merges(next).isEmpty, "nothing is merged before the commit: \(next.host.logs)")
        _ = try next.write(Self.upsert("t2", commit: true), records: [])
        #expect(try Self.rows(path) == [["1", "x"], ["4", "b"], ["6", "b"], ["9", "a"]])
        let merges = Self.merges(next)
        #expect(merges.count == 1 && merges[0].contains(#""records":4"#), "all four staged: \(next.host.logs)")

        // A first record with a column the table lacks is written straight, and the table gains it.
        let widening = try SQLiteTest.open(path)
        _ = try widening.write(Self.upsert("t3"), records: [["id": 6, "v": "c", "w": "new"], ["id": 2, "v": "c"]])
        _ = try widening.write(Self.upsert("t3", commit: true), records: [])
        #expect(
            try SQLiteTest.query(path, "SELECT id, v, w FROM items ORDER BY id")
                == [["1", "x", nil], ["2", "c", nil], ["4", "b", nil], ["6", "c", "new"], ["9", "a", nil]])
    }

    @Test func aStagedRecordTheConnectorRefusesIsReportedWithItsOwnBatch() throws {
        let (directory, path, destination) = try Self.fresh()
        defer { _ = directory }
        _ = try destination.write(Self.upsert("t1", commit: true), records: [["id": 1, "doc": ["a": 1]]])
        let outcome = try destination.write(
            Self.upsert("t2"),
            lines: [
                #"{"id":2,"doc":{"a":2}}"#, #"{"id":null,"doc":{"a":3}}"#, #"{"id":4.5,"doc":{"a":4}}"#,
                #"{"id":5,"doc":[5]}"#,
            ])
        #expect(outcome.accepted == 2 && outcome.rejectedIndexes == [1, 2], "\(outcome)")
        _ = try destination.write(Self.upsert("t2", commit: true), records: [])
        #expect(try Self.rows(path) == [["1", #"{"a":1}"#], ["2", #"{"a":2}"#], ["5", "[5]"]])
        #expect(Self.merges(destination).count == 1)
    }

    @Test func aTableWithAConstraintIsWrittenStraightSoItsRefusalsStayWithTheirRecords() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0))")
        let destination = try SQLiteTest.open(path)
        _ = try destination.write(Self.upsert("t1"), records: [["id": 1, "qty": 1]])
        let second = try destination.write(Self.upsert("t1"), records: [["id": 2, "qty": -1], ["id": 3, "qty": 3]])
        #expect(second.accepted == 1 && second.rejectedIndexes == [0], "\(second)")
        _ = try destination.write(Self.upsert("t1", commit: true), records: [])
        #expect(try Self.rows(path) == [["1", "1"], ["3", "3"]])
        #expect(Self.merges(destination).isEmpty)
    }

    @Test func aFullStageIsMergedInsideTheTransactionAndNothingShowsBeforeTheCommit() throws {
        let (directory, path, destination) = try Self.fresh(["merge_stage_mib": 1])
        defer { _ = directory }
        _ = try destination.write(Self.upsert("t1", commit: true), records: [["id": 0, "pad": "", "n": 0]])
        let pad = String(repeating: "p", count: 2_000)
        for round in 0..<4 {
            // 300 records of 2 kB a write, ids in a scattered order; each round rewrites them all.
            let records: [JSONValue] = (0..<300).map { index in
                ["id": .int(Int64((index * 7_919) % 300 + 1)), "pad": .string(pad), "n": .int(Int64(round))]
            }
            #expect(try destination.write(Self.upsert("t2"), records: records).accepted == 300)
        }
        #expect(Self.merges(destination).count == 2, "the stage outgrew 1 MiB after every second write")
        #expect(try SQLiteTest.query(path, "SELECT count(*) FROM items") == [["1"]], "not committed yet")
        _ = try destination.write(Self.upsert("t2", commit: true), records: [])
        #expect(
            try SQLiteTest.query(path, "SELECT count(*), min(n), max(n), sum(id) FROM items") == [
                ["301", "0", "3", "45150"]
            ])
        #expect(try SQLiteTest.query(path, "SELECT count(*) FROM items WHERE id > 0 AND n <> 3") == [["0"]])
    }

    @Test func anAbandonedTransactionTakesItsStagedRowsWithIt() throws {
        let (directory, path, destination) = try Self.fresh()
        defer { _ = directory }
        _ = try destination.write(Self.upsert("t1", commit: true), records: [["id": 1, "v": "kept"]])
        _ = try destination.write(Self.upsert("t2"), records: [["id": 1, "v": "lost"], ["id": 2, "v": "lost"]])
        // The host died here: t3's first write rolls t2 back, stage and all, and stages anew.
        _ = try destination.write(Self.upsert("t3"), records: [["id": 3, "v": "t3"]])
        _ = try destination.write(Self.upsert("t3"), records: [["id": 4, "v": "t3"]])
        _ = try destination.write(Self.upsert("t3", commit: true), records: [])
        #expect(try Self.rows(path) == [["1", "kept"], ["3", "t3"], ["4", "t3"]])
        #expect(Self.merges(destination).count == 1, "\(Self.merges(destination))")
    }

    @Test func mergeStageZeroWritesEveryRecordStraight() throws {
        let (directory, path, destination) = try Self.fresh(["merge_stage_mib": 0])
        defer { _ = directory }
        _ = try destination.write(Self.upsert("t1"), records: [["id": 2, "v": "a"]])
        _ = try destination.write(Self.upsert("t1"), records: [["id": 1, "v": "b"], ["id": 2, "v": "c"]])
        _ = try destination.write(Self.upsert("t1", commit: true), records: [])
        #expect(try Self.rows(path) == [["1", "b"], ["2", "c"]])
        #expect(Self.merges(destination).isEmpty)
    }

    @Test func aColumnNamedLikeAConstraintKeepsAUsersTablePlainAndAForeignKeyDoesNot() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(
            path,
            """
            CREATE TABLE items (id INTEGER PRIMARY KEY, district TEXT, "not null" TEXT);
            CREATE TABLE parents (id INTEGER PRIMARY KEY);
            CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents (id));
            """)
        let destination = try SQLiteTest.open(path)
        for stream in ["items", "children"] {
            _ = try destination.write(Self.upsert("t1", stream: stream), records: [["id": 1, "district": "a"]])
            _ = try destination.write(Self.upsert("t1", stream: stream), records: [["id": 2, "district": "b"]])
        }
        _ = try destination.write(Self.upsert("t1", commit: true), records: [])
        let merges = Self.merges(destination)
        #expect(merges.count == 1 && merges[0].contains("items"), "\(merges)")
        #expect(try Self.rows(path, "children") == [["1", nil, "a"], ["2", nil, "b"]])
    }

    @Test func aWriteThatFailsTakesBackWhatItStagedAndTheTransactionGoesOn() throws {
        let (directory, path, destination) = try Self.fresh()
        defer { _ = directory }
        _ = try destination.write(Self.upsert("t1", commit: true), records: [["id": 1, "v": "x"]])
        try Self.failCheckpoints(path)
        _ = try destination.write(Self.upsert("t2"), records: [["id": 2, "v": "staged"]])
        // Values the scan for members lets through but that do not parse (a number beyond a
        // double's range, an escape JSON does not have) are refused alone, with their batch.
        let refused = try destination.write(
            Self.upsert("t2"), lines: [#"{"id":8,"v":"staged"}"#, #"{"id":9,"v":1e400}"#, #"{"id":10,"v":"\q"}"#])
        #expect(refused.accepted == 1 && refused.rejectedIndexes == [1, 2], "\(refused)")
        #expect(refused.rejects.description.contains("record is not valid JSON"), "\(refused)")
        // Its checkpoint cannot be stored: the write fails after its records were staged.
        #expect(throws: (any Error).self) {
            try destination.write(Self.failing("t2"), lines: [#"{"id":5,"v":"undone"}"#, #"{"id":2,"v":"undone"}"#])
        }
        // Seventy digits: no conversion when staged, a double when merged.
        let long = "1" + String(repeating: "0", count: 69)
        _ = try destination.write(Self.upsert("t2"), lines: [#"{"id":7,"v":"staged"}"#, #"{"id":3,"v":\#(long)}"#])
        _ = try destination.write(Self.upsert("t2", commit: true), records: [])
        #expect(
            try Self.rows(path) == [
                ["1", "x"], ["2", "staged"], ["3", "1.0e+69"], ["7", "staged"], ["8", "staged"],
            ])
    }

    @Test func keysOfAColumnThatCouldMakeThemEqualKeepTheirArrivalOrder() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "CREATE TABLE items (id REAL PRIMARY KEY, v TEXT)")
        let destination = try SQLiteTest.open(path)
        _ = try destination.write(Self.upsert("t1"), records: [["id": 1, "v": "a"]])
        // 2^53 + 1 and 2^53 are one REAL: written one by one, the later record wins.
        _ = try destination.write(
            Self.upsert("t1"),
            records: [["id": 9_007_199_254_740_993, "v": "first"], ["id": 9_007_199_254_740_992, "v": "last"]])
        _ = try destination.write(Self.upsert("t1", commit: true), records: [])
        #expect(try SQLiteTest.query(path, "SELECT v FROM items ORDER BY id") == [["a"], ["last"]])
        let merges = Self.merges(destination)
        #expect(merges.count == 1 && merges[0].contains("arrival order"), "\(merges)")
    }

    @Test func compositeAndTextKeysMergeInKeyOrderTheLastOfEqualKeysWinning() throws {
        let (directory, path, destination) = try Self.fresh()
        defer { _ = directory }
        func upsert(_ commit: Bool = false) -> WriteRequest {
            WriteRequest(
                stream: "items", operation: .upsert, primaryKey: ["shop", "n"], batchID: "b",
                transaction: WriteTransaction(id: "t1", commit: commit))
        }
        _ = try destination.write(upsert(), records: [["shop": "b", "n": 2, "v": "1"]])
        _ = try destination.write(
            upsert(),
            records: [
                ["shop": "é", "n": 1, "v": "2"], ["shop": "a", "n": 10, "v": "3"], ["shop": "b", "n": 2, "v": "4"],
                ["shop": "a\"q", "n": 1, "v": "5"], ["shop": "a", "n": 9, "v": "6"],
            ])
        _ = try destination.write(
            upsert(), records: [["shop": "a", "n": 10, "v": "7"], ["shop": "é", "n": 1, "v": "8"]])
        _ = try destination.write(upsert(true), records: [])
        #expect(
            try SQLiteTest.query(path, "SELECT shop, n, v FROM items ORDER BY shop, n") == [
                ["a", "9", "6"], ["a", "10", "7"], ["a\"q", "1", "5"], ["b", "2", "4"], ["é", "1", "8"],
            ])
        let merges = Self.merges(destination)
        #expect(merges.count == 1 && merges[0].contains("key order"), "\(merges)")
    }
}
