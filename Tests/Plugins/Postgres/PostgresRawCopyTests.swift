import FerryJSON
import FerryPluginSDK
import Testing

/// COPY rows encoded straight from the records' bytes (`RawBatch`, `CopyText`) against the
/// same records parsed into values and sent as `INSERT` parameters (`copy: false`), on the
/// real server: every type the connector writes, every JSON escape, the bytes COPY's text
/// format must escape, and the records either path must refuse, land the same.
@Suite(.enabled(if: !PostgresTest.skipped)) struct PostgresRawCopyTests {
    /// One batch of awkward records, as the host sends them (raw JSON lines).
    static let lines = [
        #"{"id":1,"t":"plain","n":1,"d":2.5,"i":7,"b":true,"j":{"a":1},"jb":{ "b" : [1, 2.0, "x"] },"ts":"2025-01-02T03:04:05Z","o":{"k":"v"}}"#,
        #"{"id":2,"t":"tab\there new\nline cr\rback\\slash slash\/ quote\" bs\b ff\f","n":-0,"d":1e3,"i":-42,"b":false,"j":"a string in json","jb":"str\n","ts":null,"o":[1,"two"]}"#,
        #"{"id":3,"t":"\u00e9\u4E2D\ud834\udd1e raw é中𝄞 \u0009 \u005c \u000A","n":1.50,"d":1E-7,"i":123456789012345678,"b":null,"j":true,"jb":false,"ts":"2025-06-30T23:59:59.123+02:00","o":null}"#,
        #"{"id":4,"t":"\\N","n":12345678901234567890,"d":-0.0,"i":0,"b":true,"j":null,"jb":12,"ts":"2025-01-01T00:00:00Z","o":"text"}"#,
        #"{"id":5,"t":"","n":0,"d":0,"i":-9223372036854775808,"b":false,"j":[],"jb":{},"ts":"2025-01-01T00:00:00Z","o":"\t"}"#,
        #"{"id":6,"t":"\\t is not a tab","j":{"nested":"tab\tinside \u00e9"}}"#,
        #"{ "id" : 7 , "t" : "spaced"  , "i" : 9 }"#,
        #"{"id":8,"t":"nul\u0000byte"}"#,
        #"{"id":9,"t":"\ud800 lone"}"#,
        #"{"id":10,"n":tru}"#,
        #"{"id":"11","t":"a string key"}"#,
        #"{"t":"no key"}"#,
        #"{"id":1,"t":"the last of a repeated key wins"}"#,
        #"{"\u0069d":14,"t":"an escaped field name"}"#,
        #"{"id":15,"t":"\/\"","d":1.7976931348623157e308,"n":-5,"i":-0,"jb":{"p":1.50,"q":[1e2,-0,10000000000000000000]}}"#,
        #"{"id":16,"t":"x","nope":1}"#,
        #"{"id":17,"t":"floats","d":1.0,"n":1.0}"#,
        #"{"id":18,"t":"ok","b":"true"}"#,
    ]

    static let table = """
        (id bigint PRIMARY KEY, t text, n numeric, d double precision, i bigint, b boolean,
         j json, jb jsonb, ts timestamptz, o text)
        """

    @Test func rawAndParsedEncodingsLandTheSameRowsAndRejections() throws {
        let db = try PostgresScratch()
        try db.query(
            """
            CREATE TABLE raw \(Self.table); CREATE TABLE parsed \(Self.table);
            CREATE TABLE seen (id bigint, copied boolean);
            CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO \(db.schema).seen VALUES (NEW.id, current_query() ~ '^COPY|ferry_stage'); RETURN NEW; END $$;
            CREATE TRIGGER note AFTER INSERT OR UPDATE ON raw FOR EACH ROW EXECUTE FUNCTION note();
            """)
        // The field `nope` is no column: that record alone would make the raw batch take the
        // parsed path (which adds the column), so it is left out of the raw load.
        let lines = Self.lines.filter { !$0.contains("nope") }
        let raw = try db.open().write(
            WriteRequest(stream: "raw", operation: .upsert, primaryKey: ["id"], batchID: "1"), lines: lines)
        let parsed = try db.open(["copy": false]).write(
            WriteRequest(stream: "parsed", operation: .upsert, primaryKey: ["id"], batchID: "1"), lines: lines)

        #expect(raw.accepted == parsed.accepted && raw.accepted == 12, "\(raw) \(parsed)")
        // Every row came through COPY (straight in, or staged and merged), none record by
        // record: a COPY the encoder broke would have been retried so and hidden its fault.
        #expect(try db.query("SELECT bool_and(copied), count(DISTINCT id) FROM seen") == [["t", "11"]])
        #expect(raw.rejects == parsed.rejects, "\(raw.rejects) vs \(parsed.rejects)")
        let rawRows = try db.query("SELECT * FROM raw ORDER BY id")
        #expect(rawRows == (try db.query("SELECT * FROM parsed ORDER BY id")))

        // And what they hold, should both paths have gone wrong the same way.
        let text = Dictionary(uniqueKeysWithValues: rawRows.map { ($0[0]!, $0[1]) })
        #expect(text["1"] == "the last of a repeated key wins")
        #expect(text["2"] == "tab\there new\nline cr\rback\\slash slash/ quote\" bs\u{8} ff\u{C}")
        #expect(text["3"] == "é中𝄞 raw é中𝄞 \t \\ \n")
        #expect(text["4"] == #"\N"#)
        #expect(text["5"] == "")
        #expect(text["6"] == #"\t is not a tab"#)
        #expect(text["15"] == #"/""#)
        #expect(
            try db.query("SELECT j::text, o, i FROM raw WHERE id IN (2, 3, 5, 6) ORDER BY id") == [
                [#""a string in json""#, #"[1,"two"]"#, "-42"], ["true", nil, "123456789012345678"],
                ["[]", "\t", "-9223372036854775808"], [#"{"nested":"tab\tinside é"}"#, nil, nil],
            ])
        #expect(try db.query("SELECT jb::text FROM raw WHERE id = 4") == [["12"]])
        let refused = Set(raw.rejectedIndexes)
        #expect(refused == [7, 8, 9, 10, 11], "\(raw.rejects)")
    }

    /// A batch bringing a field that is not yet a column is parsed (it alters the table), and
    /// one into a table that does not exist yet creates it: the raw path never guesses types.
    @Test func aNewFieldOrANewTableTakesTheParsedPath() throws {
        let db = try PostgresScratch()
        let destination = try db.open()
        let first = try destination.write(
            WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "1"),
            lines: [#"{"id":1,"name":"a"}"#, #"{"id":2,"name":"b"}"#])
        #expect(first.accepted == 2)
        let second = try destination.write(
            WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], batchID: "2"),
            lines: [#"{"id":2,"name":"B"}"#, #"{"id":3,"name":"c","price":2.5}"#, #"{"id":4,"name":"d"}"#])
        #expect(second.accepted == 3)
        #expect(try db.columnTypes("items") == ["id: bigint", "name: text", "price: double precision"])
        #expect(
            try db.query("SELECT id, name, price FROM items ORDER BY id") == [
                ["1", "a", nil], ["2", "B", nil], ["3", "c", "2.5"], ["4", "d", nil],
            ])
    }
}
