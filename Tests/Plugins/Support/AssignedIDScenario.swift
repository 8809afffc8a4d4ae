import FerryJSON
import FerryPluginSDK
import Testing

/// One test body for every destination with `assigned_id: id`: upserts keyed on the
/// source key `external_id` report the destination's ids per record index, around a
/// rejected record (the key `1.5`).
enum AssignedIDScenario {
    static let upsert = WriteRequest(stream: "sites", operation: .upsert, primaryKey: ["external_id"], batchID: "1")

    /// Runs the scenario.
    /// - Parameters:
    ///   - destination: An instance configured with `assigned_id: id`, writing into an empty table `sites` (or none).
    ///   - rows: Reads `id, external_id, name` of table `sites` ordered by id, as text.
    static func run(_ destination: PluginInstance, rows: () throws -> [[String?]]) throws {
        func ids() throws -> [String: String] {
            Dictionary(uniqueKeysWithValues: try rows().map { ($0[1]!, $0[0]!) })
        }
        let first = try destination.write(
            upsert,
            records: [
                ["external_id": "VC1", "name": "a"], ["external_id": "VC2", "name": "b"],
                ["external_id": 1.5, "name": "bad"], ["external_id": "VC3", "name": "c"],
            ])
        #expect(first.rejectedIndexes == [2])
        let stored = try ids()
        #expect(first.assignedIDs == [0: stored["VC1"]!, 1: stored["VC2"]!, 3: stored["VC3"]!])
        // An update keeps its row's id; a record with nothing to update still reports it.
        let second = try destination.write(
            upsert, records: [["external_id": "VC4", "name": "d"], ["external_id": "VC2", "name": "b2"]])
        let after = try ids()
        #expect(after["VC2"] == stored["VC2"])
        #expect(second.assignedIDs == [0: after["VC4"]!, 1: stored["VC2"]!])
        let keyOnly = try destination.write(upsert, records: [["external_id": "VC1"]])
        #expect(keyOnly.assignedIDs == [0: stored["VC1"]!])
        #expect(try rows().map { [$0[1], $0[2]] } == [["VC1", "a"], ["VC2", "b2"], ["VC3", "c"], ["VC4", "d"]])
    }
}
