import FerryJSON
import FerryPluginSDK
import Testing

/// Keys keep their exact identity in the postgres destination, and records whose
/// field names cannot become columns are rejected alone (issue 9, items 9 and 10).
@Suite(.enabled(if: !PostgresTest.skipped)) struct PostgresKeyIdentityTests {
    static let upsert = WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "1")

    @Test(arguments: [0, 500, 1])
    func floatsBooleansHugeIntegersAndMistypedKeysRejectOnlyTheirRecord(rowsPerStatement: Int) throws {
        let scratch = try PostgresScratch()
        let destination = try scratch.open(["rows_per_statement": .int(Int64(rowsPerStatement))])
        let first = try destination.write(
            Self.upsert, lines: [#"{"id":1.0,"n":"a"}"#, #"{"id":1,"n":"one"}"#, #"{"id":1001,"n":"big"}"#])
        #expect(first.rejectedIndexes == [0])
        #expect(try scratch.columnTypes("items").first == "id: bigint")
        let second = try destination.write(
            Self.upsert,
            lines: [
                #"{"id":true,"n":"flag"}"#, #"{"id":"1001","n":"text"}"#,
                #"{"id":18446744073709551616,"n":"huge"}"#, #"{"id":2,"n":"two"}"#,
            ])
        #expect(second.rejectedIndexes == [0, 1, 2])
        #expect(second.rejects[1]["error"]?.stringValue?.contains("holds integers") == true)
        #expect(
            try scratch.query("SELECT id, n FROM items ORDER BY id") == [
                ["1", "one"], ["2", "two"], ["1001", "big"],
            ])
    }

    @Test func textKeysStayTextAndDeletesCheckThemToo() throws {
        let scratch = try PostgresScratch()
        let destination = try scratch.open()
        let result = try destination.write(
            Self.upsert, records: [["id": "0042", "n": "a"], ["id": 42, "n": "b"], ["id": "VC1", "n": "c"]])
        #expect(result.rejectedIndexes == [1])
        #expect(try scratch.columnTypes("items").first == "id: text")
        let delete = try destination.write(
            WriteRequest(stream: "items", operation: .delete, primaryKey: ["id"], batchID: "d"),
            records: [["id": 42], ["id": "VC1"]])
        #expect(delete.rejectedIndexes == [0])
        #expect(try scratch.query("SELECT id FROM items") == [["0042"]])
    }

    @Test(arguments: [0, 500, 1])
    func fieldNamesThatCannotBeColumnsRejectTheirRecordOnEveryRun(rowsPerStatement: Int) throws {
        let scratch = try PostgresScratch()
        let destination = try scratch.open(["rows_per_statement": .int(Int64(rowsPerStatement))])
        let wide = "{" + (0...1600).map { #""f\#($0)":\#($0)"# }.joined(separator: ",") + #","id":9}"#
        let long = String(repeating: "x", count: 64)
        let lines = [
            #"{"id":1,"a\u0000b":1}"#, wide, #"{"id":2,"\#(long)":1}"#, #"{"id":3,"name":"ok"}"#,
            #"{"id":4,"other":"x\u0000y"}"#,
        ]
        for _ in 0..<2 {
            let result = try destination.write(Self.upsert, lines: lines)
            #expect(result.accepted == 1)
            #expect(result.rejectedIndexes == [0, 1, 2, 4])
            #expect(result.rejects[1]["error"]?.stringValue?.contains("1602 fields") == true)
        }
        #expect(try scratch.query("SELECT id, name FROM items") == [["3", "ok"]])
    }

    @Test func aSchemaNamingAFieldNoColumnCanHaveStillCreatesTheTable() throws {
        let scratch = try PostgresScratch()
        let destination = try scratch.open()
        let request = WriteRequest(
            stream: "items", operation: .upsert, primaryKey: ["id"],
            schema: ["type": "object", "properties": ["id": ["type": "integer"], "a\u{0}b": ["type": "integer"]]],
            batchID: "1")
        let result = try destination.write(request, lines: [#"{"id":1,"a\u0000b":1}"#, #"{"id":2}"#])
        #expect(result.rejectedIndexes == [0])
        #expect(try scratch.query("SELECT id FROM items") == [["2"]])
    }

    @Test func aRecordWithNULAfterAShapeChangeDoesNotTakeThePreviousRowsAlong() throws {
        let scratch = try PostgresScratch()
        let destination = try scratch.open()
        let result = try destination.write(
            WriteRequest(stream: "log", operation: .append, batchID: "1"),
            lines: [#"{"a":1}"#, #"{"b":"x\u0000y"}"#, #"{"a":3}"#])
        #expect(result.rejectedIndexes == [1])
        #expect(try scratch.query("SELECT a FROM log ORDER BY a") == [["1"], ["3"]])
    }

    @Test func aRecordThatWouldPassTheColumnLimitIsRejectedAlone() throws {
        let scratch = try PostgresScratch()
        try scratch.query(
            "CREATE TABLE items (id bigint PRIMARY KEY, " + (1...1595).map { "c\($0) int" }.joined(separator: ", ")
                + ")")
        let destination = try scratch.open()
        let many = JSONObject([("id", 1)] + (1...10).map { (key: "new\($0)", value: JSONValue.int(Int64($0))) })
        let result = try destination.write(Self.upsert, records: [.object(many), ["id": 2, "c1": 5]])
        #expect(result.rejectedIndexes == [0])
        #expect(try scratch.query("SELECT id, c1 FROM items") == [["2", "5"]])
    }
}
