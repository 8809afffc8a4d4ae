import FerryJSON
import FerryPluginSDK
import Testing

/// ABI 1.2 write transactions in the postgres connector, on the real server: the writes of
/// one transaction id commit together, a refused record undoes only itself, and a
/// transaction the host abandoned is rolled back by the next write.
@Suite(.enabled(if: !PostgresTest.skipped)) struct PostgresWriteTransactionTests {
    static func upsert(_ stream: String, _ id: String, commit: Bool = false, checkpoint: DurableCheckpoint? = nil)
        -> WriteRequest
    {
        WriteRequest(
            stream: stream, operation: .upsert, primaryKey: ["id"], batchID: "b/\(stream)", checkpoint: checkpoint,
            transaction: WriteTransaction(id: id, commit: commit))
    }

    @Test func writesOfOneTransactionCommitTogetherAndAbandonedOnesRollBack() throws {
        let scratch = try PostgresScratch()
        let destination = try scratch.open()
        let tables = {
            try scratch.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = '\(scratch.schema)' "
                    + "AND table_name NOT LIKE '\\_ferry%' ORDER BY table_name"
            ).map { $0[0] ?? "" }
        }
        _ = try destination.write(Self.upsert("orders", "t1"), records: [["id": 1]])
        _ = try destination.write(Self.upsert("jobs", "t1"), records: [["id": 10]])
        #expect(try tables() == [], "nothing is visible before the commit")
        let checkpoint = DurableCheckpoint(scope: "p/orders", sequence: 2, value: ["offset": 5])
        _ = try destination.write(Self.upsert("orders", "t1", commit: true, checkpoint: checkpoint), records: [])
        #expect(try tables() == ["jobs", "orders"])
        #expect(try destination.storedCheckpoint(scope: "p/orders") == checkpoint)

        _ = try destination.write(Self.upsert("orders", "t2"), records: [["id": 2]])
        // t2 is abandoned: t3's first write rolls it back.
        _ = try destination.write(Self.upsert("orders", "t3"), records: [["id": 3]])
        let mixed = try destination.write(
            Self.upsert("jobs", "t3"), records: [["id": 30], ["id": "not a number"], ["id": 31]])
        #expect(mixed.accepted == 2 && mixed.rejectedIndexes == [1], "\(mixed)")
        _ = try destination.write(Self.upsert("orders", "t3", commit: true), records: [])
        #expect(try scratch.query("SELECT id FROM \(scratch.schema).orders ORDER BY id") == [["1"], ["3"]])
        #expect(try scratch.query("SELECT id FROM \(scratch.schema).jobs ORDER BY id") == [["10"], ["30"], ["31"]])
    }
}
