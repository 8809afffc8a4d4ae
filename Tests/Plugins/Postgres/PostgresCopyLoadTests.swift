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

    /// Rows that meet no existing key are COPied straight into the table; the first run that
    /// meets one is undone alone and merged, and the table is merged for the rest of the
    /// session. A row trigger records which statement inserted or updated each row.
    @Test func newRowsAreCopiedStraightInUntilOneMeetsAKey() throws {
        let db = try PostgresScratch()
        try db.query(
            """
            CREATE TABLE items (id integer PRIMARY KEY, name text, n integer);
            CREATE TABLE seen (id integer, statement text);
            CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO \(db.schema).seen VALUES (NEW.id, split_part(current_query(), ' ', 1)); RETURN NEW; END $$;
            CREATE TRIGGER note AFTER INSERT OR UPDATE ON items FOR EACH ROW EXECUTE FUNCTION note();
            """)
        let destination = try db.open()
        func upsert(_ batch: String, _ ids: ClosedRange<Int64>, name: String) throws -> Int {
            try destination.write(
                WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: batch),
                records: ids.map { ["id": .int($0), "name": .string(name)] }
            ).accepted
        }
        // A refused value is not a key met: it is rejected alone, and COPY goes on straight in.
        let refused = try destination.write(
            WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "0"),
            lines: [#"{"id":31,"name":"ok"}"#, #"{"id":32,"name":"bad","n":"x"}"#])
        #expect(refused.accepted == 1 && refused.rejectedIndexes == [1], "\(refused)")
        try db.query("DELETE FROM items; DELETE FROM seen")
        #expect(try upsert("1", 1...10, name: "first") == 10)
        #expect(try db.query("SELECT DISTINCT statement FROM seen") == [["COPY"]])
        #expect(try upsert("2", 6...15, name: "second") == 10)
        #expect(try upsert("3", 16...20, name: "third") == 5)
        // The undone COPY fired the trigger too, in the rolled-back savepoint: nothing of it stays.
        #expect(
            try db.query("SELECT statement, count(*), min(id), max(id) FROM seen GROUP BY 1 ORDER BY 1") == [
                ["COPY", "10", "1", "10"], ["INSERT", "15", "6", "20"],
            ])
        #expect(
            try db.query("SELECT name, count(*) FROM items GROUP BY 1 ORDER BY 1") == [
                ["first", "5"], ["second", "10"], ["third", "5"],
            ])
    }

    /// COPY ignores rewrite rules, which `INSERT` obeys: a table with a rule is always merged.
    @Test func aTableWithARuleIsMergedSoTheRuleStillApplies() throws {
        let db = try PostgresScratch()
        try db.query(
            """
            CREATE TABLE items (id integer PRIMARY KEY, name text);
            CREATE TABLE audit (id integer);
            CREATE RULE audited AS ON INSERT TO items DO ALSO INSERT INTO audit VALUES (NEW.id);
            """)
        let destination = try db.open()
        let result = try destination.write(
            WriteRequest(stream: "items", operation: .append, batchID: "1"),
            records: (1...8).map { ["id": .int(Int64($0)), "name": "x"] })
        #expect(result.accepted == 8, "\(result)")
        #expect(try db.query("SELECT count(*) FROM audit") == [["8"]])
    }

    /// Batches large enough that their rows are streamed while later ones are encoded: a key
    /// met near the end of a streamed direct COPY, and a bad value near the end of a streamed
    /// staging COPY, each after most rows were sent.
    @Test func streamedRunsThatFailLateAreMergedOrRetriedWhole() throws {
        let db = try PostgresScratch()
        try db.query("CREATE TABLE items (id integer PRIMARY KEY, name text, n integer)")
        let destination = try db.open()
        let padding = String(repeating: "x", count: 200)
        func upsert(_ batch: String, _ lines: [String]) throws -> (accepted: Int, rejectedIndexes: [Int64]) {
            let result = try destination.write(
                WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: batch), lines: lines)
            return (result.accepted, result.rejectedIndexes)
        }
        let first = (1...3_000).map { #"{"id":\#($0),"name":"first \#(padding)","n":1}"# }
        #expect(try upsert("1", first) == (3_000, []))
        // New keys, then one that exists, last.
        let second =
            (3_001...6_000).map { #"{"id":\#($0),"name":"second","n":2}"# } + [#"{"id":1,"name":"second","n":2}"#]
        let merged = try upsert("2", second.map { $0.replacingOccurrences(of: "second", with: "second \(padding)") })
        #expect(merged == (3_001, []))
        // A value the column refuses, near the end of a streamed run into the staging table.
        var third = (6_001...9_000).map { #"{"id":\#($0),"name":"third \#(padding)","n":3}"# }
        third[2_990] = #"{"id":8991,"name":"third","n":"not a number"}"#
        let retried = try upsert("3", third)
        #expect(retried == (2_999, [2_990]))
        #expect(
            try db.query("SELECT n, count(*) FROM items GROUP BY n ORDER BY n") == [
                ["1", "2999"], ["2", "3001"], ["3", "2999"],
            ])
        #expect(try db.query("SELECT n FROM items WHERE id = 1") == [["2"]])
    }
}
