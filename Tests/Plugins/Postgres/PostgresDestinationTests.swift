import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct PostgresDestinationTests {
    let schema: JSONValue = [
        "type": "object",
        "properties": [
            "id": ["type": "integer"], "price": ["type": "number"], "name": ["type": "string"],
            "active": ["type": "boolean"], "seen_at": ["type": "string", "format": "date-time"],
            "tags": ["type": "array"], "meta": ["type": ["object", "null"]],
            "day": ["type": "string", "format": "date"],
        ],
    ]

    @Test(arguments: [0, 500, 3])
    func createsTheTableFromTheSchemaWithMappedTypes(rowsPerStatement: Int) throws {
        let db = try PostgresScratch()
        let destination = try db.open(["table_prefix": "raw_", "rows_per_statement": .int(Int64(rowsPerStatement))])
        let result = try destination.write(
            WriteRequest(stream: "items", operation: .upsert, primaryKey: ["id"], schema: schema, batchID: "1"),
            records: [
                [
                    "id": 1, "price": 2.5, "name": "Ünïcode \"q\" 'x'\t\\N\n\r\\", "active": true,
                    "seen_at": "2025-03-04T05:06:07Z",
                    "tags": ["a", "b"], "meta": ["k": 1], "day": "2025-03-04",
                ],
                [
                    "id": 2, "price": 3, "name": nil, "active": false, "seen_at": "2025-03-04T07:06:07+02:00",
                    "tags": [], "meta": "just a string", "day": nil,
                ],
            ])
        #expect(result.accepted == 2)
        #expect(result.rejects.isEmpty)
        #expect(
            try db.columnTypes("raw_items") == [
                "id: bigint", "price: double precision", "name: text", "active: boolean",
                "seen_at: timestamp with time zone",
                "tags: jsonb", "meta: jsonb", "day: date",
            ])
        #expect(
            try db.query("SELECT id, price, name, active, seen_at, tags, meta, day FROM raw_items ORDER BY id") == [
                [
                    "1", "2.5", "Ünïcode \"q\" 'x'\t\\N\n\r\\", "t", "2025-03-04 05:06:07+00", #"["a", "b"]"#,
                    #"{"k": 1}"#, "2025-03-04",
                ],
                ["2", "3", nil, "f", "2025-03-04 05:06:07+00", "[]", #""just a string""#, nil],
            ])
        #expect(
            try db.query(
                """
                SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = '\(db.schema).raw_items'::regclass AND i.indisprimary
                """) == [["id"]])
    }

    @Test func withoutASchemaTypesComeFromTheFirstRecord() throws {
        let db = try PostgresScratch()
        let destination = try db.open()
        _ = try destination.write(
            WriteRequest(stream: "loose", operation: .append, batchID: "1"),
            records: [["n": 1, "x": 1.5, "b": true, "s": "t", "o": ["a": [1]], "z": nil]])
        #expect(
            try db.columnTypes("loose") == [
                "n: bigint", "x: double precision", "b: boolean", "s: text", "o: jsonb", "z: text",
            ])
    }

    @Test func addsColumnsForNewFieldsAndUpsertReplacesRows() throws {
        let db = try PostgresScratch()
        let destination = try db.open()
        let upsert = { (batch: String) in
            WriteRequest(stream: "t", operation: .upsert, primaryKey: ["id"], batchID: batch)
        }
        _ = try destination.write(upsert("1"), records: [["id": 1, "a": "x"], ["id": 2, "a": "y"]])
        let result = try destination.write(
            upsert("2"), records: [["id": 2, "a": "z", "b": 7.5], ["id": 3, "b": 1.0, "c": ["deep": true]]])
        #expect(result.accepted == 2)
        #expect(
            try db.query("SELECT id, a, b, c FROM t ORDER BY id") == [
                ["1", "x", nil, nil], ["2", "z", "7.5", nil], ["3", nil, "1", #"{"deep": true}"#],
            ])
        #expect(try db.columnTypes("t") == ["id: bigint", "a: text", "b: double precision", "c: jsonb"])
        // A later batch without a column keeps it (never dropped) and leaves its values alone.
        _ = try destination.write(upsert("3"), records: [["id": 2, "a": "w"]])
        #expect(try db.query("SELECT a, b FROM t WHERE id = 2") == [["w", "7.5"]])
        #expect(try db.columnTypes("t").count == 4)
    }

    @Test(arguments: [0, 500, 3])
    func upsertKeepsTheLastOfRepeatedKeysAcrossMultiRowStatements(rowsPerStatement: Int) throws {
        let db = try PostgresScratch()
        let destination = try db.open(["rows_per_statement": .int(Int64(rowsPerStatement))])
        let records: [JSONValue] = (0..<100).map { ["id": .int(Int64($0 % 30)), "v": .int(Int64($0))] }
        let result = try destination.write(
            WriteRequest(stream: "dups", operation: .upsert, primaryKey: ["id"], batchID: "1"), records: records)
        #expect(result.accepted == 100)
        #expect(
            try db.query("SELECT count(*), sum(v), max(v) FROM dups") == [["30", "\((70..<100).reduce(0, +))", "99"]])
    }

    @Test(arguments: [0, 500, 3])
    func upsertByANamedUniqueConstraint(rowsPerStatement: Int) throws {
        let db = try PostgresScratch()
        try db.query(
            """
            CREATE TABLE clients (id bigserial PRIMARY KEY, account text NOT NULL, region text NOT NULL, name text,
                                  CONSTRAINT clients_account_region UNIQUE (account, region))
            """)
        let destination = try db.open([
            "conflict_constraint": "clients_account_region", "rows_per_statement": .int(Int64(rowsPerStatement)),
        ])
        let request = WriteRequest(stream: "clients", operation: .upsert, batchID: "1")
        _ = try destination.write(
            request,
            records: [
                ["account": "a", "region": "fi", "name": "One"], ["account": "a", "region": "se", "name": "Two"],
            ])
        let second = try destination.write(
            request, records: [["account": "a", "region": "fi", "name": "Uno"], ["region": "fi", "name": "no key"]])
        #expect(second.accepted == 1)
        #expect(second.rejectedIndexes == [1])
        #expect(
            try db.query("SELECT id, account, region, name FROM clients ORDER BY id") == [
                ["1", "a", "fi", "Uno"], ["2", "a", "se", "Two"],
            ])
        let missing = try db.open(["conflict_constraint": "no_such_constraint"])
        #expect(throws: PluginError.self) {
            _ = try missing.write(request, records: [["account": "b", "region": "fi"]])
        }
    }

    @Test func upsertIntoAnExistingTableWithoutAKeyAddsAUniqueIndex() throws {
        let db = try PostgresScratch()
        try db.query("CREATE TABLE plain (code text, qty integer)")
        let destination = try db.open()
        let request = WriteRequest(stream: "plain", operation: .upsert, primaryKey: ["code"], batchID: "1")
        _ = try destination.write(request, records: [["code": "a", "qty": 1]])
        let result = try destination.write(request, records: [["code": "a", "qty": 2], ["qty": 9]])
        #expect(result.rejectedIndexes == [1])
        #expect(try db.query("SELECT code, qty FROM plain") == [["a", "2"]])
    }

    @Test func deleteRemovesRowsByKey() throws {
        let db = try PostgresScratch()
        let destination = try db.open()
        _ = try destination.write(
            WriteRequest(stream: "t", operation: .upsert, primaryKey: ["k1", "k2"], batchID: "1"),
            records: [["k1": 1, "k2": "a", "v": 1], ["k1": 1, "k2": "b", "v": 2], ["k1": 2, "k2": "a", "v": 3]])
        let result = try destination.write(
            WriteRequest(stream: "t", operation: .delete, primaryKey: ["k1", "k2"], batchID: "2"),
            records: [["k1": 1, "k2": "b"], ["k1": 9, "k2": "z"], ["k1": 2]])
        #expect(result.accepted == 2)
        #expect(result.rejectedIndexes == [2])
        #expect(try db.query("SELECT k1, k2 FROM t ORDER BY k1") == [["1", "a"], ["2", "a"]])
        // Deleting from a table that does not exist deletes nothing and fails nothing.
        let none = try destination.write(
            WriteRequest(stream: "never", operation: .delete, primaryKey: ["id"], batchID: "3"), records: [["id": 1]])
        #expect(none.accepted == 1)
    }

    @Test func appendIsIdempotentByBatchId() throws {
        let db = try PostgresScratch()
        let request = WriteRequest(stream: "log", operation: .append, batchID: "batch-7")
        let first = try db.open()
        _ = try first.write(request, records: [["n": 1], ["n": 2]])
        let replay = try first.write(request, records: [["n": 1], ["n": 2]])
        #expect(replay.accepted == 2)
        let restarted = try db.open()
        _ = try restarted.write(request, records: [["n": 1], ["n": 2]])
        _ = try restarted.write(
            WriteRequest(stream: "log", operation: .append, batchID: "batch-8"), records: [["n": 3]])
        #expect(try db.query("SELECT count(*), sum(n) FROM log") == [["3", "6"]])
        #expect(
            try db.query("SELECT batch_id, stream FROM _ferry_batches ORDER BY batch_id") == [
                ["batch-7", "log"], ["batch-8", "log"],
            ])
    }

    @Test(arguments: [0, 500, 3])
    func notNullForeignKeyAndTypeErrorsRejectOnlyTheBadRecords(rowsPerStatement: Int) throws {
        let db = try PostgresScratch()
        try db.query(
            """
            CREATE TABLE customers (id integer PRIMARY KEY);
            INSERT INTO customers VALUES (1), (2);
            CREATE TABLE orders (id integer PRIMARY KEY, customer integer NOT NULL REFERENCES customers (id),
                                 total numeric CHECK (total >= 0), note text);
            """)
        let destination = try db.open(["rows_per_statement": .int(Int64(rowsPerStatement))])
        var lines = [
            #"{"id":1,"customer":1,"total":10}"#,
            #"{"id":2,"total":4}"#, // NOT NULL
            #"{"id":3,"customer":99,"total":1}"#, // foreign key
            "not json",
            #"{"id":4,"customer":2,"total":"abc"}"#, // type
            #"{"id":5,"customer":2,"total":-1}"#, // check
            #"{"id":6,"customer":2,"total":5,"note":"ok"}"#,
        ]
        lines += (7...40).map { #"{"id":\#($0),"customer":1,"total":\#($0)}"# }
        let result = try destination.write(
            WriteRequest(stream: "orders", operation: .append, batchID: "1"), lines: lines)
        #expect(result.accepted == lines.count - 5)
        #expect(result.rejectedIndexes == [1, 2, 3, 4, 5])
        let errors = result.rejects.compactMap { $0["error"]?.stringValue }
        #expect(errors[0].contains("not-null") && errors[0].contains("23502"))
        #expect(errors[1].contains("foreign key") && errors[1].contains("23503"))
        #expect(errors[3].contains("numeric") && errors[3].contains("22P02"))
        #expect(errors[4].contains("check constraint"))
        #expect(
            try db.query("SELECT count(*), sum(id) FROM orders") == [
                ["\(lines.count - 5)", "\((7...40).reduce(7, +))"]
            ])
    }

    @Test func schemaQualifiedStreamsAndIdentifiersNeedingQuotes() throws {
        let db = try PostgresScratch()
        let destination = try db.open()
        let other = db.schema + "_gazelle"
        defer { _ = try? db.query("DROP SCHEMA IF EXISTS \(other) CASCADE") }
        let result = try destination.write(
            WriteRequest(stream: "\(other).clients", operation: .upsert, primaryKey: ["Client ID"], batchID: "1"),
            records: [
                ["Client ID": "c1", "Full \"Name\"": "Ann", "select": 1],
                ["Client ID": "c2", "Full \"Name\"": "Bo", "select": 2],
            ])
        #expect(result.accepted == 2)
        #expect(
            try db.query(#"SELECT "Client ID", "Full ""Name""", "select" FROM \#(other).clients ORDER BY 1"#) == [
                ["c1", "Ann", "1"], ["c2", "Bo", "2"],
            ])
        let odd = try destination.write(
            WriteRequest(stream: "we\"ird Table; DROP TABLE x", operation: .append, batchID: "2"),
            records: [["col\"x": 1, "MixedCase": "y"]])
        #expect(odd.accepted == 1)
        #expect(try db.query(#"SELECT "col""x", "MixedCase" FROM "we""ird Table; DROP TABLE x""#) == [["1", "y"]])
    }

    @Test func badConfigurationAndNamesAreRefused() throws {
        let db = try PostgresScratch()
        let destination = try db.open()
        #expect(throws: PluginError.self) {
            _ = try destination.write(
                WriteRequest(stream: "a\u{0}b", operation: .append, batchID: "1"), records: [["x": 1]])
        }
        #expect(throws: PluginError.self) {
            _ = try destination.write(WriteRequest(stream: "t", operation: .upsert, batchID: "1"), records: [["x": 1]])
        }
        #expect(throws: PluginError.self) {
            _ = try destination.write(
                WriteRequest(stream: String(repeating: "x", count: 64), operation: .append, batchID: "1"),
                records: [["x": 1]])
        }
        #expect {
            _ = try db.open(["tabel": "x"])
        } throws: { error in
            (error as? PluginError)?.status == FERRY_ERR_INVALID && "\(error)".contains("tabel")
        }
        let nul = try destination.write(
            WriteRequest(stream: "n", operation: .append, batchID: "2"), records: [["s": "a\u{0}b"], ["s": "fine"]])
        #expect(nul.rejectedIndexes == [0])
        #expect(try db.query("SELECT s FROM n") == [["fine"]])
    }

    @Test func connectionErrorsAreClassifiedWithoutThePassword() throws {
        let db = try PostgresScratch()
        let secret = "s3cr3t-Pa55"
        func failure(_ dsn: String) -> PluginError? {
            do {
                _ = try PluginInstance("postgres", config: ["dsn": .string(dsn)])
                return nil
            } catch {
                return error as? PluginError
            }
        }
        let url = try #require(db.dsn.split(separator: "@").last.map(String.init)) // host:port/db
        let unknownRole = try #require(failure("postgresql://nobody:\(secret)@\(url)"))
        #expect(unknownRole.status == FERRY_ERR_AUTH)
        #expect(unknownRole.message.contains("nobody"))
        #expect(!unknownRole.message.contains(secret))

        let malformed = try #require(failure("host=127.0.0.1 password=\(secret) bogus"))
        #expect(malformed.status == FERRY_ERR_INVALID)
        #expect(!malformed.message.contains(secret))
        let badOption = try #require(failure("host=127.0.0.1 password=\(secret) colour=blue"))
        #expect(badOption.status == FERRY_ERR_INVALID)
        #expect(!badOption.message.contains(secret))
        let badURL = try #require(failure("postgresql://u:\(secret)@127.0.0.1:notaport/db"))
        #expect(badURL.status == FERRY_ERR_INVALID)
        #expect(!badURL.message.contains(secret))

        let noDatabase = try #require(failure("postgresql://postgres:\(secret)@\(url)_missing"))
        #expect(noDatabase.status == FERRY_ERR_INVALID)
        #expect(!noDatabase.message.contains(secret))

        let down = try #require(failure("postgresql://postgres:\(secret)@127.0.0.1:1/db?connect_timeout=2"))
        #expect(down.status == FERRY_ERR_RETRYABLE)
        #expect(!down.message.contains(secret))

        let badSSL = try #require(failure("\(db.dsn)?sslmode=require"))
        #expect(badSSL.status != FERRY_OK)
        #expect {
            _ = try db.open(["sslmode": "sometimes"])
        } throws: { error in (error as? PluginError)?.status == FERRY_ERR_INVALID }
        #expect(
            try db.open(["sslmode": "disable"]).host.logs.contains {
                $0.contains("Connected") && !$0.contains("postgres@")
            })
    }
}

@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct PostgresDestinationRecoveryTests {
    @Test func aDeleteOfAReferencedRowIsRejectedAndTheOthersApplied() throws {
        let db = try PostgresScratch()
        try db.query(
            """
            CREATE TABLE parents (id integer PRIMARY KEY);
            INSERT INTO parents VALUES (1), (2), (3);
            CREATE TABLE children (id integer PRIMARY KEY, parent integer REFERENCES parents (id));
            INSERT INTO children VALUES (10, 2);
            """)
        let destination = try db.open()
        let result = try destination.write(
            WriteRequest(stream: "parents", operation: .delete, primaryKey: ["id"], batchID: "1"),
            records: [["id": 1], ["id": 2], ["id": 3]])
        #expect(result.rejectedIndexes == [1])
        #expect(result.rejects.first?["error"]?.stringValue?.contains("23503") == true)
        #expect(try db.query("SELECT id FROM parents") == [["2"]])
    }

    @Test func aLostConnectionIsRetryableAndTheNextWriteReconnects() throws {
        let db = try PostgresScratch()
        let application = "ferry_test_" + db.schema
        let destination = try PluginInstance(
            "postgres",
            config: [
                "dsn": .string(db.dsn + (db.dsn.contains("?") ? "&" : "?") + "application_name=" + application),
                "schema": .string(db.schema),
            ])
        let request = WriteRequest(stream: "t", operation: .upsert, primaryKey: ["id"], batchID: "1")
        _ = try destination.write(request, records: [["id": 1]])
        try db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(application)'")
        #expect {
            _ = try destination.write(request, records: [["id": 2]])
        } throws: { error in
            (error as? PluginError)?.status == FERRY_ERR_RETRYABLE
        }
        _ = try destination.write(request, records: [["id": 3]])
        #expect(try db.query("SELECT id FROM t ORDER BY id") == [["1"], ["3"]])
    }
}
