import FerryJSON
import FerryPluginSDK
import Testing

@Suite struct SQLiteSourceTests {
    func makeDatabase(_ path: String) throws {
        try SQLiteTest.query(
            path,
            """
            CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, amount REAL, payload TEXT, raw BLOB, updated INTEGER);
            INSERT INTO events VALUES (1, 'a', 1.5, '{"x":1}', x'00ff10', 10);
            INSERT INTO events VALUES (2, 'b', NULL, NULL, NULL, 20);
            INSERT INTO events VALUES (3, 'c', 3.0, 'text', x'616263', 20);
            INSERT INTO events VALUES (4, 'd', 4.0, 'more', NULL, 30);
            CREATE TABLE other (code TEXT, n NUMERIC, PRIMARY KEY (code));
            """)
    }

    @Test func discoverListsTablesWithTypesAndKeys() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("src.sqlite")
        try makeDatabase(path)
        let instance = try SQLiteTest.open(path, ["cursor_column": "updated"])
        let streams = try instance.discover().streams
        #expect(streams.map(\.name) == ["events", "other"])
        let events = streams[0]
        #expect(events.primaryKey == ["id"])
        #expect(events.cursorField == "updated")
        #expect(events.schema["properties"]?["kind"]?["type"] == "string")
        #expect(events.schema["properties"]?["amount"]?["type"] == "number")
        #expect(events.schema["properties"]?["id"]?["type"] == "integer")
        #expect(streams[1].primaryKey == ["code"])
        #expect(streams[1].cursorField == nil)
    }

    @Test func fullReadMapsColumnTypes() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("src.sqlite")
        try makeDatabase(path)
        let instance = try SQLiteTest.open(path)
        let records = try instance.read(ReadRequest(stream: "events", batchSize: 3)).flatMap(\.records)
        #expect(records.count == 4)
        #expect(
            records[0] == ["id": 1, "kind": "a", "amount": 1.5, "payload": #"{"x":1}"#, "raw": "AP8Q", "updated": 10])
        #expect(records[1] == ["id": 2, "kind": "b", "amount": nil, "payload": nil, "raw": nil, "updated": 20])
        #expect(records[2]["raw"] == "YWJj")
    }

    @Test func incrementalReadsResumeAfterTheCheckpointEvenInsideTies() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("src.sqlite")
        try makeDatabase(path)
        let instance = try SQLiteTest.open(path, ["table": "events", "cursor_column": "updated"])
        let first = try instance.read(ReadRequest(stream: "events", batchSize: 2), limit: 1)
        #expect(first[0].records.map { $0["id"] } == [1, 2])
        #expect(first[0].checkpoint?["cursor"] == 20)
        try SQLiteTest.query(path, "INSERT INTO events (id, kind, updated) VALUES (5, 'e', 40)")
        let rest = try instance.read(ReadRequest(stream: "events", checkpoint: first[0].checkpoint, batchSize: 2))
        #expect(rest.flatMap(\.records).map { $0["id"] } == [3, 4, 5])
        #expect(rest.last?.checkpoint?["cursor"] == 40)
        let none = try instance.read(ReadRequest(stream: "events", checkpoint: rest.last?.checkpoint))
        #expect(none.isEmpty)
        let ranged = try instance.read(ReadRequest(stream: "events", fullRefresh: true, since: "20", until: "40"))
        #expect(ranged.flatMap(\.records).map { $0["id"] } == [2, 3, 4])
    }

    @Test func aConfiguredQueryIsOneStream() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("src.sqlite")
        try makeDatabase(path)
        let instance = try SQLiteTest.open(
            path,
            [
                "query": "SELECT id, kind, updated FROM events WHERE kind <> 'b'",
                "stream": "picked", "cursor_column": "updated",
            ])
        let streams = try instance.discover().streams
        #expect(streams.map(\.name) == ["picked"])
        let batches = try instance.read(ReadRequest(stream: "picked", checkpoint: ["cursor": 10]))
        #expect(batches.flatMap(\.records).map { $0["id"] } == [3, 4])
    }

    @Test func writesReadBackThroughTheSource() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("trip.sqlite")
        let instance = try SQLiteTest.open(path)
        let records: [JSONValue] = (1...50).map {
            ["id": .int($0), "name": .string("n\($0) ✓"), "score": .double(Double($0) / 4)]
        }
        _ = try instance.write(
            WriteRequest(stream: "trip", operation: .upsert, primaryKey: ["id"], batchID: "1"), records: records)
        let read = try instance.read(ReadRequest(stream: "trip", batchSize: 16)).flatMap(\.records)
        #expect(read.map { JSONValue.object($0) } == records)
    }
}
