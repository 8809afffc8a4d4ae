import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

/// Upserts are written in primary-key order (B-tree locality for ids that come in random
/// order), yet must behave exactly as if written in the batch's order.
@Suite struct SQLiteWriteOrderTests {
    let upsert = WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "1")

    @Test func upsertsReachTheTableInKeyOrder() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(
            path,
            """
            CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE arrivals (seq INTEGER PRIMARY KEY, id INTEGER);
            CREATE TRIGGER noted AFTER INSERT ON items BEGIN INSERT INTO arrivals (id) VALUES (new.id); END;
            """)
        let destination = try SQLiteTest.open(path)
        let result = try destination.write(
            upsert,
            lines: [
                #"{"id":907,"name":"a"}"#, #"{"id":3,"name":"b"}"#, #"{"id":450,"name":"c"}"#,
                #"{"name":"d","id":12}"#, #"{"id":1,"name":"e"}"#,
            ])
        #expect(result.accepted == 5)
        #expect(
            try SQLiteTest.query(path, "SELECT id FROM arrivals ORDER BY seq") == [
                ["1"], ["3"], ["12"], ["450"], ["907"],
            ])
    }

    @Test func theLastRecordOfAKeyStillWins() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        let destination = try SQLiteTest.open(path)
        // Raw-bound and parsed records (other field order) of the same keys, interleaved.
        let result = try destination.write(
            upsert,
            lines: [
                #"{"id":5,"name":"first"}"#, #"{"id":2,"name":"x"}"#, #"{"name":"second","id":5}"#,
                #"{"id":9,"name":"y"}"#, #"{"id":5,"name":"third"}"#, #"{"id":2,"name":"z"}"#,
            ])
        #expect(result.accepted == 6)
        #expect(
            try SQLiteTest.query(path, "SELECT id, name FROM items ORDER BY id") == [
                ["2", "z"], ["5", "third"], ["9", "y"],
            ])
    }

    @Test func textAndMixedKeysKeepTheLastRecordOfEachKey() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "CREATE TABLE items (id PRIMARY KEY, name TEXT)")
        let destination = try SQLiteTest.open(path)
        let result = try destination.write(
            upsert,
            lines: [
                #"{"id":"b","name":"1"}"#, #"{"id":7,"name":"2"}"#, #"{"id":"a","name":"3"}"#,
                #"{"id":"b","name":"4"}"#, #"{"id":"\u0061","name":"5"}"#, #"{"id":7,"name":"6"}"#,
            ])
        #expect(result.accepted == 6)
        #expect(
            try SQLiteTest.query(path, "SELECT id, name FROM items ORDER BY id") == [
                ["7", "6"], ["a", "5"], ["b", "4"],
            ])
    }

    @Test func rejectionsKeepTheirPlaceInTheBatch() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        try SQLiteTest.query(path, "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0))")
        let destination = try SQLiteTest.open(path)
        let result = try destination.write(
            upsert,
            lines: [
                #"{"id":90,"qty":-1}"#, #"{"id":10,"qty":1}"#, "not json", #"{"id":50,"qty":-5}"#,
                #"{"id":20,"qty":2}"#, #"{"qty":3}"#,
            ])
        #expect(result.rejectedIndexes == [0, 2, 3, 5])
        #expect(result.accepted == 2)
        #expect(try SQLiteTest.query(path, "SELECT id, qty FROM items ORDER BY id") == [["10", "1"], ["20", "2"]])
    }

    @Test func thePageCacheSizeIsCheckedByName() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("db.sqlite")
        for bad: JSONValue in ["64", 0, 70_000, 1.5] {
            #expect {
                _ = try SQLiteTest.open(path, ["cache_size_mib": bad])
            } throws: { error in
                (error as? PluginError)?.status == FERRY_ERR_INVALID && "\(error)".contains("cache_size_mib")
            }
        }
        let destination = try SQLiteTest.open(path, ["cache_size_mib": 8])
        #expect(try destination.write(upsert, lines: [#"{"id":1}"#]).accepted == 1)
    }
}
