import FerryTesting
import Foundation
import Testing

/// "Sync this repair order now": `ferry run --id` (and serve's `record_id`) reads single
/// records through the stream's `detail:` request, on the real `ferry` and rest `.so`,
/// against the Tekmetric simulator. No job board is read, the checkpoint stays where it
/// was, a gone record is a dead letter, and a stream that cannot read by id says so.
@Suite struct RESTRecordIDTests {
    /// The Tekmetric flow's shape: the detail call returns the whole repair order.
    static func replacing(_ setup: RESTDetailEndToEndTests.Setup) throws {
        let config = try setup.sandbox.read("ferry.yaml")
        try setup.sandbox.write(
            "ferry.yaml",
            config.replacing("concurrency: 4 }", with: "concurrency: 4, mode: replace }")
                .replacing("customerId: customer_id, ", with: "").replacing(
                    "[repairOrderStatus, customer]", with: "[repairOrderStatus, customer, balanceDue, updatedDate]"))
    }

    var rows: String { "SELECT id, number, amount_paid FROM repair_orders ORDER BY id" }

    @Test func onlyTheNamedRepairOrdersAreFetchedAndTheCheckpointStays() throws {
        guard let setup = try RESTDetailEndToEndTests.Setup(.sqlite) else { return }
        try Self.replacing(setup)
        // Before any full read: the two repair orders asked for land, and nothing else is read.
        let one = try setup.ferry(["run", "repair_orders", "--id", "1002", "--id", "1007"])
        #expect(one.status == 0, "\(one.stdout)\(one.stderr)")
        #expect(setup.api.boardRequests.isEmpty, "no job board is read")
        #expect(setup.api.detailCalls.sorted() == [1002, 1007])
        #expect(try setup.warehouse.rows(rows) == ["1002|20002|10020", "1007|20007|10070"])
        let before = try setup.sandbox.sql("state.db", "SELECT count(*) FROM checkpoints")
        #expect(before == ["0"])

        // The scheduled full read goes on from where it was (nowhere yet), unaffected.
        let full = try setup.ferry()
        #expect(full.status == 3, "\(full.stdout)\(full.stderr)") // 1005 is gone: one dead letter
        #expect(try setup.warehouse.rows(rows) == setup.api.expectedIDs.map { "\($0)|\($0 - 1000 + 20000)|\($0 * 10)" })
        let checkpoint = try setup.sandbox.sql("state.db", "SELECT stream || checkpoint FROM checkpoints")
        let boardRequests = setup.api.boardRequests.count

        // Asked again: read, found unchanged, written nowhere; the checkpoint stays.
        let again = try setup.ferry(["run", "repair_orders", "--id", "1002"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(setup.api.boardRequests.count == boardRequests)
        #expect(try setup.sandbox.sql("state.db", "SELECT stream || checkpoint FROM checkpoints") == checkpoint)
        let runs = try setup.sandbox.sql("state.db", "SELECT read_count, written_count FROM runs ORDER BY id")
        #expect(runs.last == "1|0", "\(runs)")

        // A repair order deleted in Tekmetric: a dead letter naming it, as in a full read.
        _ = try setup.sandbox.sql("state.db", "DELETE FROM dead_letters")
        let gone = try setup.ferry(["run", "repair_orders", "--id", "1005"])
        #expect(gone.status == 3, "\(gone.stdout)\(gone.stderr)")
        #expect(try setup.deadLetters.contains { $0.contains("repair-order/1005 answered HTTP 404") })

        // --id cannot widen into a ranged or full read.
        let mixed = try setup.ferry(["run", "repair_orders", "--id", "1002", "--full"])
        #expect(mixed.status == 64 && mixed.stderr.contains("--id syncs only those records"), "\(mixed.stderr)")
    }

    @Test func aStreamWithoutDetailSaysItCannotReadSingleRecords() throws {
        // The default `mode: merge` cannot read by id: the list's own fields would be missing.
        guard let setup = try RESTDetailEndToEndTests.Setup(.sqlite) else { return }
        let refused = try setup.ferry(["run", "repair_orders", "--id", "1002"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("cannot read single records"), "\(refused.stderr)")
        #expect(setup.api.boardRequests.isEmpty && setup.api.detailCalls.isEmpty)
    }
}
