import FerryJSON
import FerryPluginSDK
import Testing

/// The postgres destination keeps the host's checkpoint in the batch's transaction.
@Suite(.enabled(if: !PostgresTest.skipped)) struct PostgresCheckpointTests {
    static func request(_ sequence: Int64, operation: WriteOperation = .upsert) -> WriteRequest {
        SQLiteCheckpointTests.request(sequence, operation: operation)
    }

    @Test func aWriteStoresItsCheckpointAndTheNextReplacesIt() throws {
        let scratch = try PostgresScratch()
        let destination = try scratch.open()
        #expect(try destination.storedCheckpoint(scope: "site/p/s") == nil)
        _ = try destination.write(Self.request(1), records: [["id": 1]])
        _ = try destination.write(Self.request(2), records: [["id": 2]])
        #expect(try destination.storedCheckpoint(scope: "site/p/s") == Self.request(2).checkpoint)
        #expect(try destination.storedCheckpoint(scope: "other") == nil)
        #expect(try scratch.open().discover().streams.map(\.name) == ["items"])
        #expect(try scratch.query("SELECT count(*) FROM _ferry_checkpoints") == [["1"]])
    }

    @Test func aWriteThatRollsBackLeavesTheEarlierCheckpoint() throws {
        let scratch = try PostgresScratch()
        let destination = try scratch.open()
        _ = try destination.write(Self.request(1), records: [["id": 1]])
        try scratch.query(
            """
            CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
            CREATE TRIGGER broken AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION broken();
            """)
        #expect(throws: PluginError.self) {
            _ = try destination.write(Self.request(2), records: [["id": 2], ["id": 3]])
        }
        #expect(try destination.storedCheckpoint(scope: "site/p/s") == Self.request(1).checkpoint)
        #expect(try scratch.query("SELECT id FROM items") == [["1"]])
    }

    @Test(arguments: [0, 500, 3])
    func aBatchWithRejectedRecordsStoresItsCheckpointOnce(rowsPerStatement: Int) throws {
        let scratch = try PostgresScratch()
        try scratch.query("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)")
        let destination = try scratch.open(["rows_per_statement": .int(Int64(rowsPerStatement))])
        let result = try destination.write(
            Self.request(7, operation: .append), records: [["id": 1, "name": "a"], ["id": 2], ["id": 3, "name": "c"]])
        #expect(result.rejectedIndexes == [1])
        #expect(try destination.storedCheckpoint(scope: "site/p/s")?.sequence == 7)
        #expect(try scratch.query("SELECT count(*) FROM items") == [["2"]])
    }
}
