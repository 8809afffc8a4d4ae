import FerryJSON
import FerryPluginSDK
import Testing

/// The COPY load path (the default): records COPied into a staging table in COPY's text
/// format and merged into the table, on the real server. What could go wrong between the
/// two: escaping, NULLs, JSON, a field a record lacks, a key twice in a batch, several runs
/// in one transaction, a rollback that takes the staging table with it.
@Suite(.enabled(if: !PostgresTest.skipped)) struct PostgresCopyLoadTests {
    /// Text COPY would misread unescaped: backslashes, tabs, newlines, carriage returns, the
    /// `\N` that means NULL, quotes, and characters past ASCII; JSON holding the same.
    static let awkward = [
        #"back\slash"#, "tab\there", "new\nline", "carriage\rreturn", #"\N"#, #"quote " and ' both"#,
        "ümlaut ☃ 𝄞", "", " leading and trailing ",
    ]

    @Test func awkwardTextJSONAndNullsLandAsTheyWere() throws {
        let db = try PostgresScratch()
        try db.query("CREATE TABLE notes (id integer PRIMARY KEY, body text, doc jsonb, n numeric, flag boolean)")
        let destination = try db.open()
        let records: [JSONValue] = Self.awkward.enumerated().map { index, text in
            [
                "id": .int(Int64(index)), "body": .string(text), "doc": ["text": .string(text), "list": [1, 2]],
                "n": index % 2 == 0 ? .double(Double(index) + 0.25) : .null, "flag": .bool(index % 3 == 0),
            ]
        }
        let result = try destination.write(
            WriteRequest(stream: "notes", operation: .upsert, primaryKey: ["id"], batchID: "1"), records: records)
        #expect(result.accepted == records.count && result.rejectedIndexes.isEmpty, "\(result)")
        let rows = try db.query("SELECT id, body, doc->>'text', n, flag FROM notes ORDER BY id")
        #expect(rows.map { $0[1] } == Self.awkward.map { Optional($0) })
        #expect(rows.map { $0[2] } == Self.awkward.map { Optional($0) })
        #expect(rows[1][3] == nil && rows[2][3] == "2.25")
        #expect(rows[3][4] == "t" && rows[4][4] == "f")
        #expect(try db.query("SELECT doc->'list' FROM notes WHERE id = 0") == [["[1, 2]"]])
    }

    /// A record without a field leaves that column as it was: runs never pad a missing field
    /// with NULL. A key twice in one batch: the last record wins.
    @Test func aMissingFieldKeepsItsColumnAndTheLastOfARepeatedKeyWins() throws {
        let db = try PostgresScratch()
        let destination = try db.open()
        let request = WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "1")
        _ = try destination.write(
            request,
            records: (1...50).map { ["id": .int(Int64($0)), "name": .string("n\($0)"), "price": .int(Int64($0))] })
        let second = try destination.write(
            WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "2"),
            lines: [
                #"{"id":1,"price":100}"#, #"{"id":2,"price":200}"#, #"{"id":1,"price":101}"#,
                #"{"id":3,"name":"three","price":300}"#, #"{"id":2,"price":201}"#, #"{"id":51,"name":"new","price":5}"#,
            ])
        #expect(second.accepted == 6, "\(second)")
        #expect(
            try db.query("SELECT id, name, price FROM items WHERE id IN (1, 2, 3, 51) ORDER BY id") == [
                ["1", "n1", "101"], ["2", "n2", "201"], ["3", "three", "300"], ["51", "new", "5"],
            ])
        #expect(try db.query("SELECT count(*), sum(price) FROM items") == [["51", "\((4...50).reduce(0, +) + 607)"]])
    }

    /// Two tables and two batches in one write transaction, a refused record in the middle
    /// (retried record by record, as a COPY takes a batch whole), then a transaction the
    /// host abandons: the staging tables it made are gone, and the next write makes them again.
    @Test func runsOfOneTransactionAndARollbackThatTakesTheStagingTableWithIt() throws {
        let db = try PostgresScratch()
        try db.query("CREATE TABLE orders (id integer PRIMARY KEY, total integer)")
        let destination = try db.open()
        func upsert(_ stream: String, _ transaction: String, commit: Bool = false) -> WriteRequest {
            WriteRequest(
                stream: stream, operation: .upsert, primaryKey: ["id"], batchID: "b/\(stream)/\(transaction)",
                transaction: WriteTransaction(id: transaction, commit: commit))
        }
        _ = try destination.write(upsert("orders", "t1"), records: (1...20).map { ["id": .int($0), "total": 1] })
        let mixed = try destination.write(
            upsert("orders", "t1"),
            lines: [#"{"id":21,"total":2}"#, #"{"id":22,"total":"x"}"#, #"{"id":23,"total":2}"#])
        #expect(mixed.accepted == 2 && mixed.rejectedIndexes == [1], "\(mixed)")
        _ = try destination.write(upsert("lines", "t1"), records: (1...5).map { ["id": .int($0), "order": 1] })
        _ = try destination.write(upsert("orders", "t1", commit: true), records: [])
        #expect(try db.query("SELECT count(*), sum(total) FROM orders") == [["22", "24"]])
        #expect(try db.query("SELECT count(*) FROM lines") == [["5"]])

        // t2 makes a staging table for a new shape and is abandoned: t3's first write rolls it back.
        _ = try destination.write(
            upsert("orders", "t2"), records: [["id": 1, "note": "t2"], ["id": 2, "note": "t2"]])
        _ = try destination.write(
            upsert("orders", "t3"), records: [["id": 1, "note": "t3"], ["id": 99, "note": "t3"]])
        _ = try destination.write(upsert("orders", "t3", commit: true), records: [])
        #expect(
            try db.query("SELECT id, note FROM orders WHERE note IS NOT NULL ORDER BY id") == [
                ["1", "t3"], ["99", "t3"],
            ])
    }

    @Test func copyFalseAndABadValueOfItAreHonoured() throws {
        let db = try PostgresScratch()
        let inserts = try db.open(["copy": false])
        let result = try inserts.write(
            WriteRequest(stream: "plain", operation: .append, batchID: "1"),
            records: Self.awkward.map { ["body": .string($0)] })
        #expect(result.accepted == Self.awkward.count)
        #expect(try db.query("SELECT body FROM plain ORDER BY body").count == Self.awkward.count)
        let refused = #expect(throws: PluginError.self) { try db.open(["copy": "yes"]) }
        #expect(refused?.message.contains("config.copy must be") == true, "\(String(describing: refused))")
    }
}
