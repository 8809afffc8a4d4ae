import FerryJSON
import FerryPluginSDK
import Testing

/// The sqlite destination keeps the host's checkpoint in the batch's transaction.
@Suite struct SQLiteCheckpointTests {
    static func request(
        _ sequence: Int64, batch: String = "b", operation: WriteOperation = .upsert, scope: String = "site/p/s"
    ) -> WriteRequest {
        WriteRequest(
            stream: "items", operation: operation, primaryKey: operation == .append ? [] : ["id"],
            batchID: "\(batch)\(sequence)",
            checkpoint: DurableCheckpoint(scope: scope, sequence: sequence, value: ["cursor": .string("c\(sequence)")]))
    }

    @Test func aWriteStoresItsCheckpointAndTheNextReplacesIt() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        #expect(try destination.storedCheckpoint(scope: "site/p/s") == nil)
        _ = try destination.write(Self.request(1), records: [["id": 1]])
        #expect(try destination.storedCheckpoint(scope: "site/p/s") == Self.request(1).checkpoint)
        _ = try destination.write(Self.request(2), records: [["id": 2]])
        #expect(try destination.storedCheckpoint(scope: "site/p/s") == Self.request(2).checkpoint)
        #expect(try destination.storedCheckpoint(scope: "other") == nil)
        // A new instance (a restarted host) reads the same, and discover does not offer the bookkeeping table.
        let restarted = try SQLiteTest.open(path)
        #expect(try restarted.storedCheckpoint(scope: "site/p/s")?.sequence == 2)
        #expect(try restarted.discover().streams.map(\.name) == ["items"])
    }

    @Test func aWriteThatRollsBackLeavesTheEarlierCheckpoint() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        _ = try destination.write(Self.request(1), records: [["id": 1]])
        // A trigger calling a missing function fails every later insert as a whole-batch error.
        try SQLiteTest.query(path, "CREATE TRIGGER broken AFTER INSERT ON items BEGIN SELECT no_such_function(); END")
        #expect(throws: PluginError.self) {
            _ = try destination.write(Self.request(2), records: [["id": 2], ["id": 3]])
        }
        #expect(try destination.storedCheckpoint(scope: "site/p/s") == Self.request(1).checkpoint)
        #expect(try SQLiteTest.query(path, "SELECT id FROM items") == [["1"]])
    }

    @Test func aBatchWithRejectedRecordsStoresItsCheckpointOnce() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        let destination = try SQLiteTest.open(path)
        let result = try destination.write(
            Self.request(7, operation: .append), records: [["id": 1, "name": "a"], ["id": 2], ["id": 3, "name": "c"]])
        #expect(result.rejectedIndexes == [1])
        #expect(try destination.storedCheckpoint(scope: "site/p/s")?.sequence == 7)
        #expect(try SQLiteTest.query(path, "SELECT count(*) FROM _ferry_checkpoints") == [["1"]])
        // The same append replayed (the host crashed before its own commit) is accepted once, checkpoint unchanged.
        let replay = try destination.write(
            Self.request(7, operation: .append), records: [["id": 1, "name": "a"], ["id": 2], ["id": 3, "name": "c"]])
        #expect(replay.accepted == 3)
        #expect(try SQLiteTest.query(path, "SELECT count(*) FROM items") == [["2"]])
        #expect(try destination.storedCheckpoint(scope: "site/p/s")?.sequence == 7)
    }
}
