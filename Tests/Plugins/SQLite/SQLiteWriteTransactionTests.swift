import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

/// ABI 1.2 write transactions in the sqlite connector: the writes of one transaction id
/// (a fan-out batch's streams) commit together, a record refused inside one undoes only
/// itself, and a transaction the host abandoned is rolled back by the next write.
@Suite struct SQLiteWriteTransactionTests {
    static func upsert(_ stream: String, _ id: String, commit: Bool = false, checkpoint: DurableCheckpoint? = nil)
        -> WriteRequest
    {
        WriteRequest(
            stream: stream, operation: .upsert, primaryKey: ["id"], batchID: "b/\(stream)", checkpoint: checkpoint,
            transaction: WriteTransaction(id: id, commit: commit))
    }

    static func tables(_ path: String) throws -> [String] {
        try SQLiteTest.query(
            path,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_ferry%' ESCAPE '\\' ORDER BY name"
        ).map { $0[0] ?? "" }
    }

    @Test func theDescriptorDeclaresTransactionalWrites() throws {
        let descriptor = try PluginHarness.descriptor("sqlite")
        #expect(descriptor.pointee.capabilities & FERRY_CAP_WRITE_TRANSACTION != 0)
        #expect(descriptor.pointee.abi_minor >= 2)
    }

    @Test func writesOfOneTransactionCommitTogetherWithTheCheckpoint() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        #expect(try destination.write(Self.upsert("orders", "t1"), records: [["id": 1, "name": "a"]]).accepted == 1)
        #expect(try destination.write(Self.upsert("jobs", "t1"), records: [["id": 10], ["id": 11]]).accepted == 2)
        #expect(try Self.tables(path) == [], "nothing is visible before the commit")
        let checkpoint = DurableCheckpoint(scope: "p/orders", sequence: 3, value: ["offset": 9])
        let done = try destination.write(Self.upsert("orders", "t1", commit: true, checkpoint: checkpoint), records: [])
        #expect(done.accepted == 0)
        #expect(try Self.tables(path) == ["jobs", "orders"])
        #expect(try SQLiteTest.query(path, "SELECT COUNT(*) FROM jobs") == [["2"]])
        #expect(try destination.storedCheckpoint(scope: "p/orders") == checkpoint)
    }

    @Test func aRefusedRecordUndoesOnlyItselfAndAnAbandonedTransactionIsRolledBack() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        _ = try destination.write(Self.upsert("orders", "t1"), records: [["id": 1]])
        // The host died (or failed) here: t2's first write rolls t1 back.
        _ = try destination.write(Self.upsert("orders", "t2"), records: [["id": 2]])
        let mixed = try destination.write(
            Self.upsert("jobs", "t2"), records: [["id": 20], ["id": 21, "name": "x", "NAME": "y"], ["id": 22]])
        #expect(mixed.accepted == 2 && mixed.rejectedIndexes == [1])
        _ = try destination.write(Self.upsert("orders", "t2", commit: true), records: [])
        let orders = try SQLiteTest.query(path, "SELECT id FROM orders")
        #expect(orders == [["2"]], "\(orders)")
        #expect(try SQLiteTest.query(path, "SELECT id FROM jobs ORDER BY id") == [["20"], ["22"]])
        // A write without a transaction also ends one left open.
        _ = try destination.write(Self.upsert("orders", "t3"), records: [["id": 3]])
        _ = try destination.write(
            WriteRequest(stream: "orders", operation: .upsert, primaryKey: ["id"], batchID: "x"), records: [["id": 4]])
        let after = try SQLiteTest.query(path, "SELECT id FROM orders ORDER BY id")
        #expect(after == [["2"], ["4"]], "\(after)")
    }
}
