import FerryJSON
import FerryPluginSDK
import Testing

/// `assigned_id`: the sqlite destination reports the ids it assigns, per record index.
@Suite struct SQLiteAssignedIDTests {
    static let upsert = WriteRequest(stream: "sites", operation: .upsert, primaryKey: ["external_id"], batchID: "1")

    @Test func upsertsKeyOnTheSourceKeyAndReportTheDestinationsIDs() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path, ["assigned_id": "id"])
        let first = try destination.write(Self.upsert, records: [["external_id": "VC1", "name": "a"], ["external_id": "VC2", "name": "b"],
                                                                ["external_id": 1.5, "name": "bad"], ["external_id": "VC3", "name": "c"]])
        #expect(first.rejectedIndexes == [2])
        #expect(first.assignedIDs == [0: "1", 1: "2", 3: "3"])
        // An update keeps its row's id; a record with nothing to update still reports it.
        let second = try destination.write(Self.upsert, records: [["external_id": "VC4", "name": "d"], ["external_id": "VC2", "name": "b2"]])
        #expect(second.assignedIDs == [0: "4", 1: "2"])
        let keyOnly = try destination.write(Self.upsert, records: [["external_id": "VC1"]])
        #expect(keyOnly.assignedIDs == [0: "1"])
        #expect(try SQLiteTest.query(path, "SELECT id, external_id, name FROM sites ORDER BY id")
                == [["1", "VC1", "a"], ["2", "VC2", "b2"], ["3", "VC3", "c"], ["4", "VC4", "d"]])
    }

    @Test func idsComeBackPerIndexWhenTheBatchIsAppliedRecordByRecord() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "CREATE TABLE sites (id INTEGER PRIMARY KEY, external_id TEXT UNIQUE, name TEXT NOT NULL)")
        let destination = try SQLiteTest.open(path, ["assigned_id": "id"])
        let result = try destination.write(Self.upsert, records: [["external_id": "a", "name": "A"], ["external_id": "b"],
                                                                 ["external_id": "c", "name": "C"]])
        #expect(result.rejectedIndexes == [1])
        #expect(result.assignedIDs == [0: "1", 2: "2"])
        let append = try destination.write(WriteRequest(stream: "sites", operation: .append, batchID: "x"),
                                           records: [["external_id": "d", "name": "D"]])
        #expect(append.assignedIDs == [0: "3"])
    }
}
