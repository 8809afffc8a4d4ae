import FerryJSON
import FerryPluginSDK
import Testing

/// `assigned_id`: the postgres destination reports the ids it assigns, per record index.
@Suite(.enabled(if: !PostgresTest.skipped)) struct PostgresAssignedIDTests {
    @Test(arguments: [500, 2])
    func upsertsKeyOnTheSourceKeyAndReportTheDestinationsIDs(rowsPerStatement: Int) throws {
        let scratch = try PostgresScratch()
        try AssignedIDScenario.run(
            try scratch.open(["assigned_id": "id", "rows_per_statement": .int(Int64(rowsPerStatement))])
        ) {
            try scratch.query("SELECT id, external_id, name FROM sites ORDER BY id")
        }
    }

    @Test func idsComeBackPerIndexWhenTheBatchIsAppliedRecordByRecord() throws {
        let scratch = try PostgresScratch()
        try scratch.query("CREATE TABLE sites (id serial PRIMARY KEY, external_id text UNIQUE, name text NOT NULL)")
        let destination = try scratch.open(["assigned_id": "id"])
        let result = try destination.write(
            AssignedIDScenario.upsert,
            records: [
                ["external_id": "a", "name": "A"], ["external_id": "b"],
                ["external_id": "c", "name": "C"],
            ])
        #expect(result.rejectedIndexes == [1])
        // The failed whole-batch attempt used sequence values: ids are the server's, whatever they are.
        let stored = Dictionary(
            uniqueKeysWithValues: try scratch.query("SELECT external_id, id FROM sites").map { ($0[0]!, $0[1]!) })
        #expect(result.assignedIDs == [0: stored["a"]!, 2: stored["c"]!])
        let append = try destination.write(
            WriteRequest(stream: "sites", operation: .append, batchID: "x"),
            records: [["external_id": "d", "name": "D"]])
        #expect(append.assignedIDs[0] == (try scratch.query("SELECT id FROM sites WHERE external_id = 'd'"))[0][0])
    }
}
