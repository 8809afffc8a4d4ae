import FerryPluginSDK
import FerrySQLite

/// The upserts of a commit group, gathered in key order and merged into their table in one pass.
///
/// Upserts whose keys come in random order (an API sorted by `updated_at`) land each on
/// another leaf of the table's B-tree: once the table outgrows the page cache, nearly every
/// record reads a page evicted since and dirties it again (docs/performance.md). Inside a
/// multi-write transaction (a commit group) the records go instead into an in-memory
/// temporary table in arrival order, which is merged into the table in key order (one sort) when
/// the transaction commits, when it holds `limitBytes`, or before a write it cannot take:
/// each leaf is then read and dirtied once per merge, not once per record.
///
/// Only a plain table is staged (`isPlain`): one whose upsert cannot fail for a record once
/// the connector's own checks passed, so every refusal still happens while its batch is
/// written and is reported for that batch. The stage is part of the transaction: a roll-back
/// takes its rows back with the rest, and it is emptied by each merge.
final class MergeStage {
    /// What the stage holds: upserts of these columns into this table.
    struct Target: Equatable {
        var table: String
        var columns: [String]
        var primaryKey: [String]
    }

    /// The stage's table (in the connection's temporary schema) and its arrival column.
    static let table = "ferry_merge_stage"
    static let arrival = "ferry_merge_arrival"

    private let database: SQLiteDatabase
    private let host: HostServices
    let limitBytes: Int
    /// The target of the staged rows; nil when the stage table is not (known to be) there.
    private(set) var target: Target?
    private(set) var rowCount = 0
    private(set) var bytes = 0
    private var arrival: Int64 = 0
    private var insert: SQLiteStatement?
    private var plainTables: [String: Bool] = [:]

    init(database: SQLiteDatabase, host: HostServices, limitBytes: Int) {
        self.database = database
        self.host = host
        self.limitBytes = limitBytes
    }

    /// Whether an upsert into `table` may be staged: no constraint, trigger or unique index
    /// beyond its key could refuse a row or act on it, and its columns leave room for the
    /// arrival column. Anything unsure (a CHECK, a foreign key, a collation, NOT NULL, a
    /// generated column, STRICT typing) keeps the table on the direct path.
    func isPlain(_ table: String) throws -> Bool {
        if let known = plainTables[table] { return known }
        let sql = try database.query(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", table, purpose: "read the table's SQL"
        ) { $0.string(at: 0) }.first
        // A table not created yet is not remembered: the write about to create it is direct.
        guard let sql else { return false }
        let unsure: Set<String> = ["CHECK", "REFERENCES", "COLLATE", "NOT", "GENERATED", "AS", "STRICT"]
        let triggers =
            try database.query(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?", table,
                purpose: "count the table's triggers"
            ) { $0.int64(at: 0) }.first ?? 0
        let uniqueIndexes = try database.query(
            "SELECT name, origin FROM pragma_index_list(?) WHERE \"unique\"", table,
            purpose: "list the table's unique indexes"
        ) { (name: $0.string(at: 0), origin: $0.string(at: 1)) }
        let onlyKeyIndexes = uniqueIndexes.allSatisfy { $0.origin == "pk" || $0.name == "ferry_key_" + table }
        let hasArrivalName =
            try database.query(
                "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?", table, Self.arrival,
                purpose: "read the table's columns"
            ) { $0.int64(at: 0) }.first ?? 0
        let plain =
            Self.words(of: sql).isDisjoint(with: unsure) && triggers == 0 && onlyKeyIndexes && uniqueIndexes.count <= 1
            && hasArrivalName == 0
        plainTables[table] = plain
        return plain
    }

    /// The words of a `CREATE TABLE` statement outside its quoted names and strings, uppercased:
    /// a column named "district" does not make the table STRICT.
    static func words(of sql: String) -> Set<String> {
        var words: Set<String> = []
        var word = ""
        var closing: Character?
        for character in sql {
            if let quote = closing {
                if character == quote { closing = nil }
                continue
            }
            switch character {
            case "\"", "'", "`": closing = character
            case "[": closing = "]"
            default:
                if character.isLetter || character.isNumber || character == "_" {
                    word.append(character)
                    continue
                }
            }
            if !word.isEmpty { words.insert(word.uppercased()) }
            word = ""
        }
        if !word.isEmpty { words.insert(word.uppercased()) }
        return words
    }

    /// Makes the stage take upserts for `target`: merges what it holds for another one first,
    /// then (re)creates its table with the key columns typed as the table's, so keys sort and
    /// convert as they will in the table. Runs outside any write's savepoint.
    /// - Returns: The statement inserting one row: the columns' values, then the arrival.
    func prepare(for target: Target, keyTypes: [String: String]) throws -> SQLiteStatement {
        if self.target == target, let insert { return insert }
        try merge()
        insert = nil
        let columns = target.columns.map { column in
            let type = keyTypes[column].map { $0.isEmpty ? "" : " " + $0 } ?? ""
            return SQLiteDatabase.quote(column) + type
        }
        // Rows are appended in arrival order (the arrival is the rowid) and sorted once by the merge:
        // an in-memory B-tree keyed by (key, arrival) took a quarter more CPU, its random inserts
        // shifting cells.
        try database.execute(
            "DROP TABLE IF EXISTS temp.\(Self.table); "
                + "CREATE TEMP TABLE \(Self.table) (\(columns.joined(separator: ", ")), \(Self.arrival) INTEGER PRIMARY KEY)",
            purpose: "create the merge stage")
        let placeholders = Array(repeating: "?", count: target.columns.count + 1).joined(separator: ", ")
        let statement = try database.prepare(
            "INSERT INTO temp.\(Self.table) VALUES (\(placeholders))", purpose: "prepare the merge stage's insert")
        self.target = target
        insert = statement
        return statement
    }

    /// The arrival number of the next staged row (equal keys merge in arrival order: the last wins).
    func nextArrival(bytes rowBytes: Int) -> Int64 {
        arrival += 1
        rowCount += 1
        bytes += rowBytes
        return arrival
    }

    var isFull: Bool { bytes >= limitBytes }

    /// Upserts the staged rows into their table in key order and empties the stage.
    /// - Throws: A non-record error: the rows belong to batches already acknowledged, so a
    ///   failure fails the transaction rather than refusing one of them.
    func merge() throws {
        guard let target, rowCount > 0 else { return }
        let columns = target.columns.map(SQLiteDatabase.quote).joined(separator: ", ")
        let key = target.primaryKey.map(SQLiteDatabase.quote).joined(separator: ", ")
        let updates = target.columns.filter { !target.primaryKey.contains($0) }.map(SQLiteDatabase.quote).map {
            "\($0) = excluded.\($0)"
        }
        let sql =
            "INSERT INTO \(SQLiteDatabase.quote(target.table)) (\(columns)) SELECT \(columns) FROM temp.\(Self.table) "
            + "WHERE true ORDER BY \(key), \(Self.arrival) ON CONFLICT (\(key)) DO "
            + (updates.isEmpty ? "NOTHING" : "UPDATE SET " + updates.joined(separator: ", "))
            + "; DELETE FROM temp.\(Self.table)"
        do {
            try database.execute(sql, purpose: "merge the staged upserts")
        } catch let error as SQLiteError {
            throw PluginError.retryable(
                "merging \(rowCount) staged upsert(s) into '\(target.table)' failed: \(error.message)")
        }
        host.log(
            .debug, "Merged the staged upserts into their table in key order.",
            ["table": .string(target.table), "records": .int(Int64(rowCount))])
        rowCount = 0
        bytes = 0
    }

    /// Forgets what the stage held: its transaction was rolled back, taking the rows with it.
    func rolledBack() {
        target = nil
        insert = nil
        rowCount = 0
        bytes = 0
        plainTables.removeAll()
    }
}
