import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

/// The postgrest source: GET pages with filters, keyset or offset paging and a server row cap.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct PostgRESTSourceTests {
    /// 2,500 events, ten per minute (cursor ties), every seventh one 'archived'.
    private func events() throws -> PostgRESTScratch {
        let scratch = try PostgRESTScratch()
        try scratch.db.query(
            """
            CREATE TABLE events (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, status text);
            INSERT INTO events SELECT i, timestamptz '2026-01-01 00:00:00+00' + (i / 10) * interval '1 minute',
                                      CASE WHEN i % 7 = 0 THEN 'archived' ELSE 'active' END
            FROM generate_series(1, 2500) i
            """)
        scratch.simulator.maxRows = 300
        return scratch
    }

    private let streams: JSONValue = [
        ["name": "events", "primary_key": "id", "cursor_field": "updated_at"],
        ["name": "active", "table": "events", "primary_key": ["id"], "filters": ["status": "eq.active"]],
    ]

    @Test func readsEverythingPastTheServersRowCap() throws {
        let scratch = try events()
        let source = try scratch.open(["streams": streams])
        #expect(try source.discover().streams.map(\.name) == ["events", "active"])
        let batches = try source.read(ReadRequest(stream: "events", batchSize: 1_000))
        let ids = batches.flatMap(\.records).compactMap { $0["id"]?.intValue }
        #expect(ids == Array(1...2500))
        #expect(batches.allSatisfy { $0.lines.count <= 300 })

        let active = try source.read(ReadRequest(stream: "active", batchSize: 1_000)).flatMap(\.records)
        #expect(active.count == 2500 - 357)
        #expect(active.allSatisfy { $0["status"] == "active" })
    }

    @Test func resumesExactlyAfterACheckpointDespiteCursorTies() throws {
        let scratch = try events()
        let source = try scratch.open(["streams": streams])
        let first = try source.read(ReadRequest(stream: "events", batchSize: 95), limit: 2)
        #expect(first.flatMap(\.records).compactMap { $0["id"]?.intValue } == Array(1...190))
        let checkpoint = try #require(first.last?.checkpoint)
        #expect(checkpoint["key"] == 190)

        try scratch.db.query("INSERT INTO events VALUES (9999, '2030-01-01Z', 'active')")
        let rest = try source.read(ReadRequest(stream: "events", checkpoint: checkpoint, batchSize: 1_000))
        #expect(rest.flatMap(\.records).compactMap { $0["id"]?.intValue } == Array(191...2500) + [9999])
        #expect(try source.read(ReadRequest(stream: "events", checkpoint: rest.last?.checkpoint)).isEmpty)
    }

    @Test func sinceAndUntilBoundTheCursor() throws {
        let scratch = try events()
        let source = try scratch.open(["streams": streams])
        let rows = try source.read(
            ReadRequest(stream: "events", since: "2026-01-01T01:00:00Z", until: "2026-01-01T01:02:00Z")
        ).flatMap(\.records)
        #expect(rows.compactMap { $0["id"]?.intValue } == Array(600...619))
        #expect(scratch.simulator.requests.allSatisfy { $0 == "GET /events" })
    }
}
