import FerrySQLite
import FerryState
import Foundation
import Testing

/// The small SQLite wrapper: binding, reading, caching, transactions and errors.
@Suite("SQLiteDatabase")
struct SQLiteDatabaseTests {
    @Test func valuesOfEveryTypeRoundTrip() throws {
        let directory = try TemporaryDirectory()
        let db = try SQLiteDatabase(path: directory.path("t.db"))
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)", purpose: "create a table")
        let text = "nul\0inside, ünïcode 🚢, 'quotes'"
        try db.run(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)", Int64.min, 2.5, text, [UInt8]([0, 1, 255]), String?.none,
            purpose: "insert a row")
        try db.run(
            "INSERT INTO t VALUES (?, ?, ?, ?, ?)", UInt64.max, true, "", [UInt8](), Optional("x"),
            purpose: "insert a row")
        let rows = try db.query("SELECT i, r, s, b, n FROM t ORDER BY rowid", purpose: "read rows") { row in
            (row.int64(at: 0), row.double(at: 1), row.string(at: 2), row.blob(at: 3), row.optionalString(at: 4))
        }
        #expect(rows.count == 2)
        #expect(
            rows[0].0 == Int64.min && rows[0].1 == 2.5 && rows[0].2 == text && rows[0].3 == [0, 1, 255]
                && rows[0].4 == nil)
        #expect(
            UInt64(bitPattern: rows[1].0) == UInt64.max && rows[1].1 == 1 && rows[1].2 == "" && rows[1].3 == []
                && rows[1].4 == "x")
        #expect(db.changes == 1 && db.lastInsertRowID == 2)
    }

    @Test func errorsNameThePurposeAndSQLitesMessage() throws {
        let directory = try TemporaryDirectory()
        let db = try SQLiteDatabase(path: directory.path("t.db"))
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)", purpose: "create a table")
        try db.run("INSERT INTO t VALUES ('a')", purpose: "insert a")
        let duplicate = #expect(throws: SQLiteError.self) {
            try db.run("INSERT INTO t VALUES (?)", "a", purpose: "insert a again")
        }
        #expect(duplicate?.description.contains("Could not insert a again: UNIQUE constraint failed: t.k") == true)
        let syntax = #expect(throws: SQLiteError.self) { try db.run("SELEC nonsense", purpose: "run nonsense") }
        #expect(syntax?.purpose == "run nonsense" && syntax?.message.contains("syntax error") == true)
        db.close()
        #expect(throws: SQLiteError.self) { try db.run("SELECT 1", purpose: "query a closed connection") }
    }

    @Test func transactionsCommitRollBackAndNestAsSavepoints() throws {
        let directory = try TemporaryDirectory()
        let db = try SQLiteDatabase(path: directory.path("t.db"))
        try db.execute("CREATE TABLE t (v INTEGER)", purpose: "create a table")
        struct Boom: Error {}
        try db.transaction("insert 1") { try db.run("INSERT INTO t VALUES (1)", purpose: "insert 1") }
        #expect(throws: Boom.self) {
            try db.transaction("insert 2") {
                try db.run("INSERT INTO t VALUES (2)", purpose: "insert 2")
                throw Boom()
            }
        }
        try db.transaction("outer") {
            try db.run("INSERT INTO t VALUES (3)", purpose: "insert 3")
            try? db.transaction("inner") {
                try db.run("INSERT INTO t VALUES (4)", purpose: "insert 4")
                throw Boom()
            }
            #expect(db.isInTransaction)
        }
        #expect(!db.isInTransaction)
        #expect(try db.query("SELECT v FROM t ORDER BY v", purpose: "read") { $0.int(at: 0) } == [1, 3])
    }

    @Test func statementsAreReusedAndCanBeNested() throws {
        let directory = try TemporaryDirectory()
        let db = try SQLiteDatabase(path: directory.path("t.db"))
        try db.execute("CREATE TABLE t (v INTEGER)", purpose: "create a table")
        for value in 0..<100 { try db.run("INSERT INTO t VALUES (?)", value, purpose: "insert") }
        // The same SQL used while it is already stepping gets its own statement.
        let sql = "SELECT v FROM t WHERE v < ? ORDER BY v"
        let pairs = try db.query(sql, 3, purpose: "outer") { outer in
            try db.query(sql, outer.int(at: 0), purpose: "inner") { $0.int(at: 0) }.count
        }
        #expect(pairs == [0, 1, 2])
    }

    @Test func aSecondWriterWaitsForTheFirst() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let first = try SQLiteDatabase(path: path)
        _ = try first.pragma("journal_mode = WAL")
        try first.execute("CREATE TABLE t (v INTEGER)", purpose: "create a table")
        let impatient = try SQLiteDatabase(path: path, busyTimeout: 0.05)
        try first.transaction("hold the write lock") {
            try first.run("INSERT INTO t VALUES (1)", purpose: "insert")
            let busy = #expect(throws: SQLiteError.self) {
                try impatient.transaction("write too") {
                    try impatient.run("INSERT INTO t VALUES (2)", purpose: "insert")
                }
            }
            #expect(busy?.isBusy == true)
        }
        try impatient.transaction("write after") { try impatient.run("INSERT INTO t VALUES (2)", purpose: "insert") }
        #expect(try first.query("SELECT count(*) FROM t", purpose: "count") { $0.int(at: 0) } == [2])
    }

    @Test func migrationsRunOnceInOrder() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let steps = [
            SQLiteMigration(version: 1, purpose: "create t", sql: "CREATE TABLE t (v INTEGER)"),
            SQLiteMigration(
                version: 2, purpose: "add w", sql: "ALTER TABLE t ADD COLUMN w TEXT; INSERT INTO t VALUES (1, 'x')"),
        ]
        let db = try SQLiteDatabase(path: path)
        #expect(try db.migrate(Array(steps.prefix(1)), what: "test db") == 1)
        #expect(try db.migrate(steps, what: "test db") == 2)
        #expect(try db.migrate(steps, what: "test db") == 2)
        #expect(try db.query("SELECT count(*) FROM t", purpose: "count") { $0.int(at: 0) } == [1])
        let broken = steps + [SQLiteMigration(version: 3, purpose: "break", sql: "CREATE TABLE u (x); SELEC")]
        #expect(throws: SQLiteError.self) { try db.migrate(broken, what: "test db") }
        #expect(try db.userVersion == 2)
        #expect(
            try db.query("SELECT count(*) FROM sqlite_master WHERE name = 'u'", purpose: "look for u") { $0.int(at: 0) }
                == [0])
        let newer = #expect(throws: SQLiteError.self) { try db.migrate(Array(steps.prefix(1)), what: "test db") }
        #expect(newer?.message.contains("newer") == true)
    }

    @Test func aWALCommitHandlerSeesEachCommitsFramesAndACheckpointCopiesThem() throws {
        let directory = try TemporaryDirectory()
        let writer = try SQLiteDatabase(path: directory.path("t.db"))
        #expect(try writer.pragma("journal_mode = WAL") == "wal")
        try writer.execute("CREATE TABLE t (v BLOB)", purpose: "create a table")
        nonisolated(unsafe) var seen: [Int] = []
        try writer.onWALCommit { seen.append($0) }
        for _ in 0..<3 {
            try writer.run("INSERT INTO t VALUES (zeroblob(20000))", purpose: "insert a row")
        }
        // Each commit adds its pages; with a handler, SQLite copies nothing itself.
        #expect(seen.count == 3 && seen[0] > 0 && seen[0] < seen[1] && seen[1] < seen[2], "\(seen)")
        let other = try SQLiteDatabase(path: directory.path("t.db"))
        try other.execute("SELECT count(*) FROM sqlite_schema", purpose: "read")
        let outcome = try other.checkpointWAL()
        #expect(outcome.walFrames == seen[2] && outcome.checkpointedFrames == seen[2] && outcome.isComplete)
        // Every frame copied: the next commit starts the WAL over.
        try writer.run("INSERT INTO t VALUES (1)", purpose: "insert a row")
        #expect(seen.count == 4 && seen[3] < seen[2], "\(seen)")
        try writer.onWALCommit(nil)
        try writer.run("INSERT INTO t VALUES (2)", purpose: "insert a row")
        #expect(seen.count == 4)
    }
}
