import FerryJSON
import FerryPluginSDK
import Testing

/// The JSON messages that cross the ABI read back as they were written, and a
/// malformed one is refused with the key it lacks.
@Suite struct MessagesTests {
    @Test func aCatalogRoundTrips() throws {
        let catalog = Catalog(streams: [
            StreamDescriptor(
                name: "orders", schema: ["type": "object", "properties": ["id": ["type": "integer"]]],
                primaryKey: ["id"], cursorField: "updated_at"),
            StreamDescriptor(name: "lines"),
        ])
        let read = try Catalog(json: catalog.json)
        #expect(read == catalog)
        #expect(read.stream(named: "orders")?.cursorField == "updated_at")
    }

    @Test func aReadRequestRoundTripsWithEveryOption() throws {
        let request = ReadRequest(
            stream: "orders", checkpoint: ["last_id": 41], fullRefresh: true, since: "2025-01-01",
            until: "2025-02-01T00:00:00Z", lookback: 3600, cursorField: "updated_at", batchSize: 250)
        #expect(try ReadRequest(json: request.json) == request)
        #expect(try ReadRequest(json: ReadRequest(stream: "orders").json) == ReadRequest(stream: "orders"))
    }

    @Test func aWriteRequestRoundTripsWithItsCheckpoint() throws {
        let request = WriteRequest(
            stream: "orders", operation: .upsert, primaryKey: ["shop", "id"], schema: ["type": "object"],
            batchID: "b-7",
            checkpoint: DurableCheckpoint(
                scope: "site/orders/orders", sequence: 7,
                value: ["cursor": "2025-01-01"]))
        #expect(try WriteRequest(json: request.json) == request)
    }

    @Test func aDryRunsPreviewFlagCrossesOnlyWhenSet() throws {
        let read = ReadRequest(stream: "ticket_updates", preview: true)
        #expect(read.json["preview"] == true)
        #expect(try ReadRequest(json: read.json).preview)
        #expect(ReadRequest(stream: "ticket_updates").json["preview"] == nil, "absent outside a dry run")
        let write = WriteRequest(stream: "tickets", operation: .upsert, batchID: "b-1", preview: true)
        #expect(write.json["preview"] == true)
        #expect(try WriteRequest(json: write.json) == write)
        #expect(try !WriteRequest(json: ["stream": "tickets", "mode": "upsert"]).preview)
    }

    @Test func aSinglePrimaryKeyStringReadsAsAList() throws {
        let stream = try StreamDescriptor(json: ["name": "orders", "primary_key": "id"])
        #expect(stream.primaryKey == ["id"])
    }

    @Test func malformedMessagesNameWhatIsWrong() {
        let noStream = #expect(throws: MessageError.self) { try ReadRequest(json: ["batch_size": 5]) }
        #expect(noStream?.description.contains("'stream'") == true)
        let badMode = #expect(throws: MessageError.self) { try WriteRequest(json: ["stream": "s", "mode": "merge"]) }
        #expect(badMode?.description.contains("merge") == true)
        let badCheckpoint = #expect(throws: MessageError.self) {
            try WriteRequest(json: ["stream": "s", "checkpoint": ["scope": "x"]])
        }
        #expect(badCheckpoint?.description.contains("'sequence'") == true)
        #expect(throws: MessageError.self) { try StreamDescriptor(json: ["name": "s", "primary_key": [1]]) }
    }
}
