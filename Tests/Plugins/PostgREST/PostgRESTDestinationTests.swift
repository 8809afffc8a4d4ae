import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

/// The postgrest destination against ``PostgRESTSimulator`` and a real PostgreSQL.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct PostgRESTDestinationTests {
    @Test func bulkUpsertSendsOneRequestPerBatch() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query("CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric)")
        let destination = try scratch.open()
        let records: [JSONValue] = (1...1_200).map {
            ["id": .int(Int64($0)), "name": .string("item \($0)"), "price": .double(Double($0) / 4)]
        }
        let result = try destination.write(.upsert("items"), records: records)
        #expect(result.accepted == 1_200)
        #expect(result.rejects.isEmpty)
        #expect(
            scratch.count("POST") == 3, "1,200 records in batches of 500: \(scratch.simulator.requests.count) requests")
        #expect(try scratch.db.query("SELECT count(*), sum(price)::float8 FROM items") == [["1200", "180150"]])

        let small = try scratch.open(["batch_size": 100])
        _ = try small.write(.upsert("items", batch: "2"), records: Array(records.prefix(250)))
        #expect(scratch.count("POST") == 6)
    }

    @Test func mergeDuplicatesUpdatesExistingRows() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query(
            "CREATE TABLE items (id bigint PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'old'), (2, 'old')")
        let result = try scratch.open().write(
            .upsert("items"), records: [["id": 2, "name": "new"], ["id": 3, "name": "new"]])
        #expect(result.accepted == 2)
        #expect(
            try scratch.db.query("SELECT id, name FROM items ORDER BY id") == [
                ["1", "old"], ["2", "new"], ["3", "new"],
            ])
    }

    @Test func ignoreDuplicatesKeepsExistingRows() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query(
            "CREATE TABLE items (id bigint PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'old')")
        let destination = try scratch.open(["resolution": "ignore-duplicates"])
        let result = try destination.write(
            .upsert("items"), records: [["id": 1, "name": "new"], ["id": 2, "name": "new"]])
        #expect(result.accepted == 2)
        #expect(try scratch.db.query("SELECT id, name FROM items ORDER BY id") == [["1", "old"], ["2", "new"]])
    }

    @Test func nonUniformKeysAreFilledWithNullInOneRequest() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query("CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric)")
        // The simulator refuses what PostgREST refuses: a raw array with differing keys.
        let raw = scratch.simulator.serve(
            HTTPRequest(
                method: "POST", url: "/items",
                headers: scratch.supabaseHeaders + [("Content-Profile", scratch.db.schema)],
                body: Array(#"[{"id":1,"name":"a"},{"id":2,"price":3}]"#.utf8)))
        #expect(raw.status == 400)
        #expect(raw.text.contains("PGRST102"))

        let result = try scratch.open().write(
            .upsert("items"), records: [["id": 1, "name": "a"], ["id": 2, "price": 3]])
        #expect(result.accepted == 2)
        #expect(scratch.count("POST") == 2) // the raw one above and the connector's one
        #expect(
            try scratch.db.query("SELECT id, name, price FROM items ORDER BY id") == [
                ["1", "a", nil], ["2", nil, "3"],
            ])
    }

    @Test func groupedKeySetsLeaveAbsentColumnsUntouched() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query(
            "CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric); INSERT INTO items VALUES (1, 'keep', 1)"
        )
        let destination = try scratch.open(["missing_keys": "group"])
        let result = try destination.write(
            .upsert("items"),
            records: [["id": 1, "price": 5], ["id": 2, "name": "b", "price": 2], ["id": 3, "price": 7]])
        #expect(result.accepted == 3)
        #expect(scratch.count("POST") == 2)
        #expect(
            try scratch.db.query("SELECT id, name, price FROM items ORDER BY id") == [
                ["1", "keep", "5"], ["2", "b", "2"], ["3", nil, "7"],
            ])
    }

    @Test func oneBadRecordInAHundredIsIsolated() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)")
        let records: [JSONValue] = (0..<100).map {
            ["id": .int(Int64($0)), "name": $0 == 37 ? .null : .string("n\($0)")]
        }
        let result = try scratch.open().write(.upsert("items"), records: records)
        #expect(result.accepted == 99)
        #expect(result.rejectedIndexes == [37])
        let message = result.rejects.first?["error"]?.stringValue ?? ""
        #expect(message.contains("23502"), "\(message)")
        #expect(message.contains("a required column is null"), "\(message)")
        #expect(message.contains("\"name\""), "\(message)")
        // 1 failed request, then two halves per level down to one record: at most 1 + 2·⌈log2 100⌉.
        #expect(scratch.count("POST") <= 15, "\(scratch.count("POST")) requests")
        #expect(try scratch.db.query("SELECT count(*) FROM items") == [["99"]])
    }

    @Test(arguments: [("abc", "22P02"), ("dup", "23505")])
    func typeAndDuplicateErrorsAreRejectedPerRecord(bad: String, code: String) throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query("CREATE TABLE items (id bigint PRIMARY KEY, qty integer)")
        var records: [JSONValue] = (1...10).map { ["id": .int(Int64($0)), "qty": 1] }
        records[4] = bad == "abc" ? ["id": 5, "qty": "abc"] : ["id": 3, "qty": 9]
        // Append: a plain insert, so a repeated key is a unique violation (409).
        let result = try scratch.open().write(
            WriteRequest(stream: "items", operation: .append, batchID: "1"), records: records)
        #expect(result.accepted == 9)
        #expect(result.rejectedIndexes == [4])
        #expect(result.rejects.first?["error"]?.stringValue?.contains(code) == true, "\(result.rejects)")
    }

    @Test func foreignKeyViolationIsMapped() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query(
            """
            CREATE TABLE clients (id text PRIMARY KEY);
            CREATE TABLE pianos (id text PRIMARY KEY, client_id text REFERENCES clients(id));
            INSERT INTO clients VALUES ('c1')
            """)
        let result = try scratch.open().write(
            .upsert("pianos"), records: [["id": "p1", "client_id": "c1"], ["id": "p2", "client_id": "c404"]])
        #expect(result.accepted == 1)
        #expect(result.rejectedIndexes == [1])
        let message = result.rejects.first?["error"]?.stringValue ?? ""
        #expect(message.contains("23503 foreign key violation"), "\(message)")
        #expect(message.contains("c404"), "the details name the missing key: \(message)")
    }

    @Test func missingApiKeyIsAnAuthErrorSayingWhatToSupply() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query("CREATE TABLE items (id bigint PRIMARY KEY)")
        for headers in [
            [], [("apikey", "wrong")], [("apikey", scratch.simulator.apiKey), ("Authorization", "Bearer expired")],
        ] {
            let destination = try scratch.open(headers: headers)
            do {
                _ = try destination.write(.upsert("items"), records: [["id": 1]])
                Issue.record("the write should fail without a valid apikey")
            } catch let error as PluginError {
                #expect(error.status == FERRY_ERR_AUTH)
                #expect(error.message.contains("headers: { apikey:"), "\(error.message)")
                #expect(error.message.contains("type: bearer"), "\(error.message)")
                #expect(!error.message.contains(scratch.simulator.apiKey))
            }
            #expect(try destination.check().ok == false)
        }
        #expect(try scratch.open().check().ok)
    }

    @Test func deletesByKeyIncludingCompositeAndQuotedKeys() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query(
            """
            CREATE TABLE items (id bigint PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 5);
            CREATE TABLE pairs (shop text, tm_id text, PRIMARY KEY (shop, tm_id));
            INSERT INTO pairs VALUES ('a,b', 'x"y'), ('a,b', '(z)'), ('c', '1.5')
            """)
        let destination = try scratch.open()
        let deleted = try destination.write(
            WriteRequest(stream: "items", operation: .delete, primaryKey: ["id"], batchID: "d"),
            records: [["id": 2], ["id": 4], ["name": "no key"]])
        #expect(deleted.accepted == 2)
        #expect(deleted.rejectedIndexes == [2])
        #expect(scratch.count("DELETE") == 1)
        #expect(try scratch.db.query("SELECT id FROM items ORDER BY id") == [["1"], ["3"], ["5"]])

        _ = try destination.write(
            WriteRequest(stream: "pairs", operation: .delete, primaryKey: ["shop", "tm_id"], batchID: "e"),
            records: [["shop": "a,b", "tm_id": "x\"y"], ["shop": "c", "tm_id": "1.5"]])
        #expect(try scratch.db.query("SELECT shop, tm_id FROM pairs") == [["a,b", "(z)"]])
    }

    @Test func gazelleStyleTableUpsertsOnANamedUniqueColumn() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query(
            """
            CREATE TABLE gazelle_clients (id serial PRIMARY KEY, external_id text UNIQUE NOT NULL, company_name text,
                                          first_name text, updated_at timestamptz)
            """)
        let destination = try scratch.open(["table_prefix": "gazelle_", "on_conflict": "external_id"])
        let first = try destination.write(
            .upsert("clients", key: ["external_id"]),
            records: [
                ["external_id": "cli_1", "company_name": "Acme", "updated_at": "2026-01-02T03:04:05Z"],
                ["external_id": "cli_2", "first_name": "Ann"],
            ])
        #expect(first.accepted == 2)
        _ = try destination.write(
            .upsert("clients", key: ["external_id"], batch: "2"),
            records: [["external_id": "cli_1", "company_name": "Acme Pianos"]])
        #expect(
            try scratch.db.query("SELECT id, external_id, company_name FROM gazelle_clients ORDER BY id") == [
                ["1", "cli_1", "Acme Pianos"], ["2", "cli_2", nil],
            ])
        #expect(scratch.simulator.requests.allSatisfy { $0 == "POST /gazelle_clients" })
    }

    @Test func tableAndSchemaErrorsFailTheBatchWithTheirCodes() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query("CREATE TABLE items (id bigint PRIMARY KEY)")
        let cases: [(PluginInstance, String)] = [
            (try scratch.open(), "PGRST204"), // unknown column
            (try scratch.open(["tables": ["items": "nope"]]), "PGRST205"), // unknown table
            (try scratch.open(["schema": "hidden"]), "PGRST106"), // schema not exposed
        ]
        for (destination, code) in cases {
            do {
                _ = try destination.write(.upsert("items"), records: [["id": 1, "colour": "red"]])
                Issue.record("\(code): the write should fail")
            } catch let error as PluginError {
                #expect(error.status == FERRY_ERR_INVALID)
                #expect(error.message.contains(code), "\(error.message)")
            }
        }
    }

    @Test func serverFailuresAreLeftToTheHostsRetries() throws {
        let scratch = try PostgRESTScratch()
        let destination = try scratch.open()
        for (status, expected) in [(503, FERRY_ERR_RETRYABLE), (429, FERRY_ERR_RATE_LIMITED)] {
            destination.host.http = { _ in
                HTTPResponse(
                    status: status, headers: [("Retry-After", "7")],
                    body: Array(#"{"code":"PGRST003","message":"Timed out"}"#.utf8))
            }
            do {
                _ = try destination.write(.upsert("items"), records: [["id": 1]])
                Issue.record("HTTP \(status) should fail the batch")
            } catch let error as PluginError {
                #expect(error.status == expected)
                #expect(error.retryAfter == 7)
            }
        }
    }

    @Test func configRefusesUnknownKeysByName() throws {
        #expect(throws: PluginError.self) { try PluginInstance("postgrest", config: ["apikey": "x"]) }
        do { _ = try PluginInstance("postgrest", config: ["apikey": "x"]) } catch let error as PluginError {
            #expect(error.message.contains("'apikey'"))
            #expect(error.message.contains("http:"))
        }
    }
}
