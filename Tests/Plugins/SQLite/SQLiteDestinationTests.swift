import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

@Suite struct SQLiteDestinationTests {
    let schema: JSONValue = [
        "type": "object",
        "properties": [
            "id": ["type": "integer"], "price": ["type": "number"], "name": ["type": "string"],
            "active": ["type": "boolean"], "tags": ["type": "array"], "meta": ["type": ["object", "null"]],
        ],
    ]

    @Test func createsTheTableFromTheSchemaWithMappedTypes() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path, ["table_prefix": "raw_"])
        let result = try destination.write(
            WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], schema: schema, batchID: "1"),
            records: [
                ["id": 1, "price": 2.5, "name": "Ünïcode \"q\"", "active": true, "tags": ["a", "b"], "meta": ["k": 1]]
            ])
        #expect(result.accepted == 1)
        let columns = try SQLiteTest.query(
            path, "SELECT name, type, pk FROM pragma_table_info('raw_items') ORDER BY cid")
        #expect(
            columns == [
                ["id", "INTEGER", "1"], ["price", "REAL", "0"], ["name", "TEXT", "0"],
                ["active", "INTEGER", "0"], ["tags", "TEXT", "0"], ["meta", "TEXT", "0"],
            ])
        let rows = try SQLiteTest.query(
            path, "SELECT id, typeof(price), price, name, active, tags, meta FROM raw_items")
        #expect(rows == [["1", "real", "2.5", "Ünïcode \"q\"", "1", #"["a","b"]"#, #"{"k":1}"#]])
    }

    @Test func addsColumnsForNewFieldsAndUpsertReplacesRows() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        let upsert = { (batch: String) in
            WriteRequest(stream: "t", operation: .upsert, primaryKey: ["id"], batchID: batch)
        }
        _ = try destination.write(upsert("1"), records: [["id": 1, "a": "x"], ["id": 2, "a": "y"]])
        let result = try destination.write(upsert("2"), records: [["id": 2, "a": "z", "b": 7.5], ["id": 3, "b": 1]])
        #expect(result.accepted == 2)
        let rows = try SQLiteTest.query(path, "SELECT id, a, b FROM t ORDER BY id")
        #expect(rows == [["1", "x", nil], ["2", "z", "7.5"], ["3", nil, "1.0"]])
        let types = try SQLiteTest.query(path, "SELECT type FROM pragma_table_info('t') WHERE name = 'b'")
        #expect(types == [["REAL"]])
    }

    @Test func deleteRemovesRowsByKey() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        _ = try destination.write(
            WriteRequest(stream: "t", operation: .upsert, primaryKey: ["k1", "k2"], batchID: "1"),
            records: [["k1": 1, "k2": "a", "v": 1], ["k1": 1, "k2": "b", "v": 2], ["k1": 2, "k2": "a", "v": 3]])
        let result = try destination.write(
            WriteRequest(stream: "t", operation: .delete, primaryKey: ["k1", "k2"], batchID: "2"),
            records: [["k1": 1, "k2": "b"], ["k1": 9, "k2": "z"], ["k1": 2]])
        #expect(result.accepted == 2)
        #expect(result.rejectedIndexes == [2])
        #expect(try SQLiteTest.query(path, "SELECT k1, k2 FROM t ORDER BY k1") == [["1", "a"], ["2", "a"]])
    }

    @Test func appendIsIdempotentByBatchId() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let request = WriteRequest(stream: "log", operation: .append, batchID: "batch-7")
        let first = try SQLiteTest.open(path)
        _ = try first.write(request, records: [["n": 1], ["n": 2]])
        let replay = try first.write(request, records: [["n": 1], ["n": 2]])
        #expect(replay.accepted == 2)
        let restarted = try SQLiteTest.open(path)
        _ = try restarted.write(request, records: [["n": 1], ["n": 2]])
        _ = try restarted.write(
            WriteRequest(stream: "log", operation: .append, batchID: "batch-8"), records: [["n": 3]])
        #expect(try SQLiteTest.query(path, "SELECT count(*), sum(n) FROM log") == [["3", "6"]])
        #expect(
            try SQLiteTest.query(path, "SELECT batch_id FROM _ferry_batches ORDER BY batch_id") == [
                ["batch-7"], ["batch-8"],
            ])
    }

    @Test func constraintViolationsRejectOnlyTheBadRecords() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(
            path, "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER CHECK (age >= 0))")
        let destination = try SQLiteTest.open(path)
        let result = try destination.write(
            WriteRequest(stream: "people", operation: .append, batchID: "1"),
            lines: [
                #"{"id":1,"name":"Ann","age":30}"#, #"{"id":2,"age":4}"#, #"{"id":3,"name":"Bo","age":-1}"#,
                "not json", #"{"id":4,"name":"Cy","age":5}"#,
            ])
        #expect(result.accepted == 2)
        #expect(result.rejectedIndexes == [1, 2, 3])
        #expect(result.rejects[0]["error"]?.stringValue?.contains("NOT NULL") == true)
        #expect(result.rejects[1]["error"]?.stringValue?.contains("CHECK") == true)
        #expect(try SQLiteTest.query(path, "SELECT id FROM people ORDER BY id") == [["1"], ["4"]])
    }

    @Test func upsertIntoAnExistingTableWithoutAKeyAddsAUniqueIndex() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "CREATE TABLE plain (code TEXT, qty INTEGER)")
        let destination = try SQLiteTest.open(path)
        let request = WriteRequest(stream: "plain", operation: .upsert, primaryKey: ["code"], batchID: "1")
        _ = try destination.write(request, records: [["code": "a", "qty": 1]])
        _ = try destination.write(request, records: [["code": "a", "qty": 2], ["qty": 9]])
        #expect(try SQLiteTest.query(path, "SELECT code, qty FROM plain") == [["a", "2"]])
    }

    @Test func badNamesAndModesAreRefused() throws {
        let directory = TemporaryDirectory()
        let destination = try SQLiteTest.open(directory.file("db.sqlite"))
        #expect(throws: PluginError.self) {
            _ = try destination.write(
                WriteRequest(stream: "a\u{0}b", operation: .append, batchID: "1"), records: [["x": 1]])
        }
        #expect(throws: PluginError.self) {
            _ = try destination.write(WriteRequest(stream: "t", operation: .upsert, batchID: "1"), records: [["x": 1]])
        }
        #expect {
            _ = try SQLiteTest.open(directory.file("db.sqlite"), ["tabel": "x"])
        } throws: { error in
            (error as? PluginError)?.status == FERRY_ERR_INVALID && "\(error)".contains("tabel")
        }
        // Identifiers with quotes are quoted, not injected.
        let odd = try destination.write(
            WriteRequest(stream: "we\"ird table", operation: .append, batchID: "2"),
            records: [["col\"x": 1]])
        #expect(odd.accepted == 1)
    }
}

/// Records whose columns match the previous record's are bound straight from their bytes;
/// they must land exactly as parsed records do.
@Suite struct SQLiteRawBindingTests {
    @Test func rawBoundRecordsStoreTheSameValuesAsParsedOnes() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        let request = { (batch: String) in
            WriteRequest(stream: "t", operation: .upsert, primaryKey: ["id"], batchID: batch)
        }
        // The first record is parsed and makes the statement; the rest take the raw path.
        let lines = [
            #"{"id":1,"s":"plain","n":1,"f":1.5,"b":true,"z":null,"o":{"k":[1,2]}}"#,
            #"{"id":2,"s":"esc \"q\" \\ \u00e9 \n","n":-42,"f":-0.25e2,"b":false,"z":null,"o":[ 1, {"a" : "b"} ]}"#,
            #"{"id":3,"s":"","n":123456789012345678901,"f":0,"b":true,"z":"now text","o":{}}"#,
            #"{ "id" : 4 , "s" : "spaces" , "n" : 0 , "f" : 1E3 , "b" : false , "z" : null , "o" : null }"#,
        ]
        let result = try destination.write(request("1"), lines: lines)
        #expect(result.accepted == 4)
        let rows = try SQLiteTest.query(path, "SELECT id, s, n, typeof(n), f, typeof(f), b, z, o FROM t ORDER BY id")
        #expect(
            rows == [
                ["1", "plain", "1", "integer", "1.5", "real", "1", nil, #"{"k":[1,2]}"#],
                ["2", "esc \"q\" \\ é \n", "-42", "integer", "-25.0", "real", "0", nil, #"[1,{"a":"b"}]"#],
                ["3", "", "1.23456789012346e+20", "real", "0.0", "real", "1", "now text", "{}"], // f is a REAL column
                ["4", "spaces", "0", "integer", "1000.0", "real", "0", nil, nil],
            ])
        // A null key on the raw path is refused like on the parsed one, and the batch goes on.
        let second = try destination.write(
            request("2"),
            lines: [
                #"{"id":5,"s":"a","n":1,"f":1.5,"b":true,"z":null,"o":null}"#,
                #"{"id":null,"s":"b","n":1,"f":1.5,"b":true,"z":null,"o":null}"#,
            ])
        #expect(second.accepted == 1)
        #expect(second.rejectedIndexes == [1])
        // So is a value the scan for members lets through but that does not parse: the record
        // alone, not the whole write (which would fail the same way on every rerun).
        let third = try destination.write(
            request("3"),
            lines: [
                #"{"id":6,"s":"a","n":1,"f":1e400,"b":true,"z":null,"o":null}"#,
                #"{"id":7,"s":"\q","n":1,"f":1.5,"b":true,"z":null,"o":null}"#,
                #"{"id":8,"s":"c","n":1,"f":1.5,"b":true,"z":null,"o":null}"#,
            ])
        #expect(third.accepted == 1 && third.rejectedIndexes == [0, 1], "\(third)")
        #expect(try SQLiteTest.query(path, "SELECT id FROM t WHERE id > 5 ORDER BY id") == [["8"]])
    }

    /// A key written with an escape is not the column its bytes spell: after a record made the
    /// column `a\b` (written `"a\\b"`), a record's `"a\b"` is `a` and a backspace, another field.
    @Test func aKeyWithAnEscapeIsNotTakenForTheColumnItsBytesSpell() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        let request = { (batch: String) in
            WriteRequest(stream: "t", operation: .upsert, primaryKey: ["id"], batchID: batch)
        }
        // The first write makes the statement; the second's records are matched against its columns.
        #expect(try destination.write(request("1"), lines: [#"{"id":1,"a\\b":"x"}"#]).accepted == 1)
        #expect(try destination.write(request("2"), lines: [#"{"id":2,"a\b":"y"}"#]).accepted == 1)
        #expect(try SQLiteTest.query(path, #"SELECT id, "a\b" FROM t ORDER BY id"#) == [["1", "x"], ["2", nil]])
    }
}
