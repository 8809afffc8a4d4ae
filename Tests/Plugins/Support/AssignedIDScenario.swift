import FerryJSON
import FerryPluginSDK
import Testing

/// One test body for every destination with `assigned_id: id`: upserts keyed on the
/// source key `external_id` report the destination's ids per record index.
enum AssignedIDScenario {
    static let upsert = WriteRequest(stream: "sites", operation: .upsert, primaryKey: ["external_id"], batchID: "1")

    /// Runs the scenario.
    /// - Parameters:
    ///   - destination: An instance configured with `assigned_id: id`, writing into an empty database.
    ///   - rows: Reads `id, external_id, name` of table `sites` ordered by id, as text.
    static func run(_ destination: PluginInstance, rows: () throws -> [[String?]]) throws {
        let first = try destination.write(upsert, records: [["external_id": "VC1", "name": "a"], ["external_id": "VC2", "name": "b"],
                                                           ["external_id": 1.5, "name": "bad"], ["external_id": "VC3", "name": "c"]])
        #expect(first.rejectedIndexes == [2])
        #expect(first.assignedIDs == [0: "1", 1: "2", 3: "3"])
        // An update keeps its row's id; a record with nothing to update still reports it.
        let second = try destination.write(upsert, records: [["external_id": "VC4", "name": "d"], ["external_id": "VC2", "name": "b2"]])
        #expect(second.assignedIDs == [0: "4", 1: "2"])
        let keyOnly = try destination.write(upsert, records: [["external_id": "VC1"]])
        #expect(keyOnly.assignedIDs == [0: "1"])
        #expect(try rows() == [["1", "VC1", "a"], ["2", "VC2", "b2"], ["3", "VC3", "c"], ["4", "VC4", "d"]])
    }
}
