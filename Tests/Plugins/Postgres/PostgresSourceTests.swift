import FerryJSON
import FerryPluginSDK
import Testing

@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct PostgresSourceTests {
    func makeTables(_ db: PostgresScratch) throws {
        try db.query(
            """
            CREATE TABLE events (id integer PRIMARY KEY, kind text, amount double precision, price numeric(8,2),
                                 payload jsonb, flag boolean, at timestamptz, day date, updated bigint);
            INSERT INTO events VALUES (1, 'a', 1.5, 2.25, '{"x": [1, 2]}', true, '2025-01-02 03:04:05.5+00', '2025-01-02', 10);
            INSERT INTO events VALUES (2, 'b', NULL, NULL, NULL, NULL, NULL, NULL, 20);
            INSERT INTO events VALUES (3, 'c', 3.0, 1, '"s"', false, '2025-01-02 05:04:05+02', NULL, 20);
            INSERT INTO events VALUES (4, 'd', 4.0, 1, '[]', false, NULL, NULL, 30);
            CREATE TABLE other (code text, n integer, PRIMARY KEY (code));
            """)
    }

    @Test func discoverListsTablesWithTypesAndKeys() throws {
        let db = try PostgresScratch()
        try makeTables(db)
        let streams = try db.open(["cursor_column": "updated"]).discover().streams
        #expect(streams.map(\.name) == ["events", "other"])
        let events = streams[0]
        #expect(events.primaryKey == ["id"])
        #expect(events.cursorField == "updated")
        let properties = try #require(events.schema["properties"])
        #expect(properties["id"]?["type"] == "integer")
        #expect(properties["kind"]?["type"] == "string")
        #expect(properties["amount"]?["type"] == "number")
        #expect(properties["price"]?["type"] == "number")
        #expect(properties["flag"]?["type"] == "boolean")
        #expect(properties["at"] == ["type": "string", "format": "date-time"])
        #expect(properties["day"] == ["type": "string", "format": "date"])
        #expect(properties["payload"]?["type"] == ["object", "array"])
        #expect(streams[1].primaryKey == ["code"])
        #expect(streams[1].cursorField == nil)
    }

    @Test func fullReadMapsColumnTypes() throws {
        let db = try PostgresScratch()
        try makeTables(db)
        let records = try db.open().read(ReadRequest(stream: "events", batchSize: 3)).flatMap(\.records)
        #expect(records.count == 4)
        #expect(
            records[0] == [
                "id": 1, "kind": "a", "amount": 1.5, "price": 2.25, "payload": ["x": [1, 2]], "flag": true,
                "at": "2025-01-02T03:04:05.5Z", "day": "2025-01-02", "updated": 10,
            ])
        #expect(
            records[1] == [
                "id": 2, "kind": "b", "amount": nil, "price": nil, "payload": nil, "flag": nil,
                "at": nil, "day": nil, "updated": 20,
            ])
        #expect(records[2]["at"] == "2025-01-02T03:04:05Z")
        #expect(records[2]["payload"] == "s")
    }

    @Test func incrementalReadsResumeAfterTheCheckpointEvenInsideTies() throws {
        let db = try PostgresScratch()
        try makeTables(db)
        let instance = try db.open(["table": "events", "cursor_column": "updated"])
        let first = try instance.read(ReadRequest(stream: "events", batchSize: 2), limit: 1)
        #expect(first[0].records.map { $0["id"] } == [1, 2])
        #expect(first[0].checkpoint == ["cursor": 20, "key": [2]])
        try db.query("INSERT INTO events (id, kind, updated) VALUES (5, 'e', 40)")
        let rest = try instance.read(ReadRequest(stream: "events", checkpoint: first[0].checkpoint, batchSize: 2))
        #expect(rest.flatMap(\.records).map { $0["id"] } == [3, 4, 5])
        #expect(rest.last?.checkpoint?["cursor"] == 40)
        let none = try instance.read(ReadRequest(stream: "events", checkpoint: rest.last?.checkpoint))
        #expect(none.isEmpty)
        let ranged = try instance.read(ReadRequest(stream: "events", fullRefresh: true, since: "20", until: "40"))
        #expect(ranged.flatMap(\.records).map { $0["id"] } == [2, 3, 4])
        // A lookback on a number cursor subtracts from it: after 40 - 15 = 25, only 30 and 40.
        let late = try instance.read(ReadRequest(stream: "events", checkpoint: rest.last?.checkpoint, lookback: 15))
        #expect(late.flatMap(\.records).map { $0["id"] } == [4, 5])
        // A full refresh ignores the checkpoint.
        #expect(
            try instance.read(ReadRequest(stream: "events", checkpoint: rest.last?.checkpoint, fullRefresh: true))
                .flatMap(\.records).count == 5)
    }

    @Test func timestampCursorsRoundTripThroughTheCheckpoint() throws {
        let db = try PostgresScratch()
        try db.query(
            """
            CREATE TABLE ticks (id serial PRIMARY KEY, at timestamptz NOT NULL);
            INSERT INTO ticks (at) SELECT timestamptz '2025-01-01 00:00:00+00' + n * interval '90 seconds' FROM generate_series(1, 10) n;
            """)
        let instance = try db.open(["cursor_column": "at"])
        let first = try instance.read(ReadRequest(stream: "ticks", batchSize: 4), limit: 1)
        #expect(first[0].checkpoint?["cursor"] == "2025-01-01T00:06:00Z")
        let rest = try instance.read(ReadRequest(stream: "ticks", checkpoint: first[0].checkpoint, batchSize: 4))
        #expect(rest.flatMap(\.records).map { $0["id"] } == (5...10).map { .int(Int64($0)) })
        // A lookback of 200 s re-reads from 00:02:40: ids 2 (00:03:00) onwards.
        let late = try instance.read(ReadRequest(stream: "ticks", checkpoint: first[0].checkpoint, lookback: 200))
        #expect(late.flatMap(\.records).map { $0["id"] } == (2...10).map { .int(Int64($0)) })
    }

    @Test func aConfiguredQueryIsOneStream() throws {
        let db = try PostgresScratch()
        try makeTables(db)
        let query = "SELECT id, kind, updated FROM \(db.schema).events WHERE kind <> 'b'"
        let instance = try db.open(["query": .string(query), "stream": "picked", "cursor_column": "updated"])
        let streams = try instance.discover().streams
        #expect(streams.map(\.name) == ["picked"])
        #expect(streams[0].schema["properties"]?["updated"]?["type"] == "integer")
        let batches = try instance.read(ReadRequest(stream: "picked", checkpoint: ["cursor": 10]))
        #expect(batches.flatMap(\.records).map { $0["id"] } == [3, 4])
        #expect(throws: PluginError.self) { _ = try instance.read(ReadRequest(stream: "other")) }
    }

    @Test func writesReadBackThroughTheSource() throws {
        let db = try PostgresScratch()
        let instance = try db.open()
        let records: [JSONValue] = (1...1_050).map { (n: Int) -> JSONValue in
            let doc: JSONValue = ["n": .int(Int64(n)), "list": ["a", nil]]
            let record: JSONObject = [
                "id": .int(Int64(n)), "name": .string("n\(n) ✓"), "score": .double(Double(n) / 4),
                "on": .bool(n % 2 == 0), "doc": doc,
            ]
            return .object(record)
        }
        let written = try instance.write(
            WriteRequest(stream: "trip", operation: .upsert, primaryKey: ["id"], batchID: "1"), records: records)
        #expect(written.accepted == 1_050)
        let read = try instance.read(ReadRequest(stream: "trip", batchSize: 400))
        #expect(read.count == 3)
        #expect(read.flatMap(\.records).map { JSONValue.object($0) } == records)
    }
}
