import FerryJSON
import FerryPluginSDK
import Testing

/// Keys keep their exact identity in the sqlite destination, and records whose
/// field names cannot become columns are rejected alone (issue 9, items 9 and 10).
@Suite struct SQLiteKeyIdentityTests {
    static let upsert = WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "1")

    @Test func aFloatOrHugeIdFirstNoLongerMakesTheKeyColumnReal() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        let result = try destination.write(
            Self.upsert,
            lines: [
                #"{"id":1.0,"n":"a"}"#, #"{"id":18446744073709551616,"n":"b"}"#,
                #"{"id":1,"n":"c"}"#, #"{"id":2,"n":"d"}"#,
            ])
        #expect(result.rejectedIndexes == [0, 1])
        #expect(result.rejects[0]["error"]?.stringValue?.contains("never a float") == true)
        #expect(result.rejects[1]["error"]?.stringValue?.contains("beyond 64-bit integers") == true)
        #expect(
            try SQLiteTest.query(path, "SELECT id, typeof(id), n FROM items ORDER BY id") == [
                ["1", "integer", "c"], ["2", "integer", "d"],
            ])
        #expect(
            try SQLiteTest.query(path, "SELECT type FROM pragma_table_info('items') WHERE name = 'id'") == [["INTEGER"]]
        )
    }

    @Test func trueAndTheString1001DoNotMergeWithIntegerKeys() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        _ = try destination.write(Self.upsert, records: [["id": 1, "n": "one"], ["id": 1001, "n": "big"]])
        // The same shape again: these go through the raw binding path.
        let result = try destination.write(
            Self.upsert, records: [["id": true, "n": "flag"], ["id": "1001", "n": "text"], ["id": 3, "n": "three"]])
        #expect(result.rejectedIndexes == [0, 1])
        #expect(result.rejects[1]["error"]?.stringValue?.contains("holds integers") == true)
        #expect(
            try SQLiteTest.query(path, "SELECT id, n FROM items ORDER BY id") == [
                ["1", "one"], ["3", "three"], ["1001", "big"],
            ])
    }

    @Test func textKeysStayText() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        let result = try destination.write(
            Self.upsert, records: [["id": "0042", "n": "a"], ["id": 42, "n": "b"], ["id": "VC1", "n": "c"]])
        #expect(result.rejectedIndexes == [1])
        #expect(
            try SQLiteTest.query(path, "SELECT id, typeof(id) FROM items ORDER BY id") == [
                ["0042", "text"], ["VC1", "text"],
            ])
    }

    @Test func fieldNamesThatCannotBeColumnsRejectTheirRecordOnEveryRun() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        let wide = "{" + (0...2000).map { #""f\#($0)":\#($0)"# }.joined(separator: ",") + #","id":9}"#
        let lines = [#"{"id":1,"a\u0000b":1}"#, wide, #"{"id":2,"name":"x","NAME":"y"}"#, #"{"id":3,"name":"ok"}"#]
        for _ in 0..<2 {
            let result = try destination.write(Self.upsert, lines: lines)
            #expect(result.accepted == 1)
            #expect(result.rejectedIndexes == [0, 1, 2])
            #expect(result.rejects[0]["error"]?.stringValue?.contains("holds NUL") == true)
            #expect(result.rejects[1]["error"]?.stringValue?.contains("2002 fields") == true)
            #expect(result.rejects[2]["error"]?.stringValue?.contains("letter case") == true)
        }
        #expect(try SQLiteTest.query(path, "SELECT id, name FROM items") == [["3", "ok"]])
    }

    @Test func aSchemaNamingAFieldNoColumnCanHaveStillCreatesTheTable() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let request = WriteRequest(
            stream: "items", operation: .upsert, primaryKey: ["id"],
            schema: ["type": "object", "properties": ["id": ["type": "integer"], "a\u{0}b": ["type": "integer"]]],
            batchID: "1")
        let result = try SQLiteTest.open(path).write(request, lines: [#"{"id":1,"a\u0000b":1}"#, #"{"id":2}"#])
        #expect(result.rejectedIndexes == [0])
        #expect(try SQLiteTest.query(path, "SELECT id FROM items") == [["2"]])
    }

    @Test func aRecordThatWouldPassTheColumnLimitIsRejectedAlone() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(
            path,
            "CREATE TABLE items (id INTEGER PRIMARY KEY, " + (1...1995).map { "c\($0)" }.joined(separator: ", ") + ")")
        let destination = try SQLiteTest.open(path)
        let many = JSONObject([("id", 1)] + (1...10).map { (key: "new\($0)", value: JSONValue.int(Int64($0))) })
        let result = try destination.write(Self.upsert, records: [.object(many), ["id": 2, "c1": 5]])
        #expect(result.rejectedIndexes == [0])
        #expect(result.rejects[0]["error"]?.stringValue?.contains("10 new columns") == true)
        #expect(try SQLiteTest.query(path, "SELECT id, c1 FROM items") == [["2", "5"]])
    }
}
