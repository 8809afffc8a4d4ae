import FerryJSON
import FerryPluginSDK
import Testing

/// `assigned_id`: the sqlite destination reports the ids it assigns, per record index.
@Suite struct SQLiteAssignedIDTests {
    @Test func upsertsKeyOnTheSourceKeyAndReportTheDestinationsIDs() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try AssignedIDScenario.run(try SQLiteTest.open(path, ["assigned_id": "id"])) {
            try SQLiteTest.query(path, "SELECT id, external_id, name FROM sites ORDER BY id")
        }
    }

    @Test func idsComeBackPerIndexWhenTheBatchIsAppliedRecordByRecord() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(
            path, "CREATE TABLE sites (id INTEGER PRIMARY KEY, external_id TEXT UNIQUE, name TEXT NOT NULL)")
        let destination = try SQLiteTest.open(path, ["assigned_id": "id"])
        let result = try destination.write(
            AssignedIDScenario.upsert,
            records: [
                ["external_id": "a", "name": "A"], ["external_id": "b"],
                ["external_id": "c", "name": "C"],
            ])
        #expect(result.rejectedIndexes == [1])
        #expect(result.assignedIDs == [0: "1", 2: "2"])
        let append = try destination.write(
            WriteRequest(stream: "sites", operation: .append, batchID: "x"),
            records: [["external_id": "d", "name": "D"]])
        #expect(append.assignedIDs == [0: "3"])
    }
}
