import FerryJSON
import FerryPluginSDK
import FerrySQLite

/// The upserts of a commit group, gathered in key order and merged into their table in one pass.
///
/// Upserts whose keys come in random order (an API sorted by `updated_at`) land each on
/// another leaf of the table's B-tree: once the table outgrows the page cache, nearly every
/// record reads a page evicted since and dirties it again (docs/performance.md). Inside a
/// multi-write transaction (a commit group) the records' value bytes are kept here instead,
/// in arrival order, and written to the table in key order when the transaction commits,
/// when the stage holds `limitBytes`, or before a write it cannot take: each leaf is then
/// read and dirtied once per merge, not once per record.
///
/// The stage is memory of the connector's, not a table: an in-memory temporary table took
/// an insert per record and SQLite's sorter over it before the same upserts (without them a
/// first load takes 9.6% fewer instructions and 0.89× the wall time; docs/performance.md,
/// *The merge stage without a table*). Keys are ordered as SQLite orders them in the key columns
/// (`WriteOrder.Key`: integers before text, text by its bytes), equal keys in arrival order
/// so the last wins; a key column whose affinity could make two different JSON keys equal
/// (REAL, NUMERIC) keeps the arrival order, which is always right, only slower.
///
/// Only a plain table is staged (`isPlain`): one whose upsert cannot fail for a record once
/// the connector's own checks passed, so every refusal still happens while its batch is
/// written and is reported for that batch. The stage follows the transaction: a write rolled
/// back to its savepoint takes back what it staged (`truncate(to:)`), a rolled-back
/// transaction all of it (`rolledBack()`).
final class MergeStage {
    /// What the stage holds: upserts of these columns into this table.
    struct Target: Equatable {
        var table: String
        var columns: [String]
        var primaryKey: [String]
    }

    private let database: SQLiteDatabase
    private let host: HostServices
    let limitBytes: Int
    /// How many bytes of values the stage keeps in memory: past them the rows staged so far
    /// are sorted and spilled to `spill` as a run, and the merge reads the runs back in key
    /// order (a k-way merge). A whole group is still merged at once, in a few MiB of memory.
    let memoryBytes: Int
    /// The sorted runs spilled since the last merge (their bytes in `spill`), and how many rows
    /// and value bytes they hold.
    private var runs: [SpilledRun] = []
    private var spilledRows = 0
    private var spilledBytes = 0
    private var spill: SpillFile?
    /// Where `spill` is made (nil: `$TMPDIR`, else `/tmp`).
    private let scratchDirectory: String?
    /// The target of the staged rows; nil when nothing is prepared.
    private(set) var target: Target?
    /// The target's upsert (one row's values bound in the columns' order).
    private var upsert: SQLiteStatement?
    /// The same upsert of several rows at once (a multi-row `VALUES`), and how many.
    private var chunk: (statement: SQLiteStatement, rows: Int)?
    /// The key columns' positions among the target's columns.
    private var keyPositions: [Int] = []
    /// Whether keys are put in order at the merge (see the type's comment).
    private var ordersKeys = false
    /// The staged rows' value bytes, one after another, and each value's length byte: row `r`'s
    /// value `v` has the length byte `lengths[r * columnCount + v]` (`StagedValueLayout`: one
    /// byte a value; four took 5.2 MiB for a group of 100,000 records of 13 fields, ranges 21).
    private var arena: [UInt8] = []
    private var lengths: [UInt8] = []
    private var columnCount = 0
    /// What `StagedRows.touch` read, kept so that its loads are not optimised away.
    private var touched: UInt8 = 0
    private var plainTables: [String: Bool] = [:]

    init(database: SQLiteDatabase, host: HostServices, limitBytes: Int, memoryBytes: Int, scratchDirectory: String?) {
        self.database = database
        self.host = host
        self.limitBytes = limitBytes
        self.memoryBytes = memoryBytes
        self.scratchDirectory = scratchDirectory
    }

    /// The rows in memory (the run not spilled yet).
    private var rowCount: Int { columnCount == 0 ? 0 : lengths.count / columnCount }
    /// The staged values' bytes, spilled or not.
    var bytes: Int { spilledBytes + arena.count }
    var isFull: Bool { bytes >= limitBytes }

    /// Whether an upsert into `table` may be staged: no constraint, trigger or unique index
    /// beyond its key could refuse a row or act on it. Anything unsure (a CHECK, a foreign
    /// key, a collation, NOT NULL, a generated column, STRICT typing) keeps the table on the
    /// direct path.
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
        let plain =
            Self.words(of: sql).isDisjoint(with: unsure) && triggers == 0 && onlyKeyIndexes && uniqueIndexes.count <= 1
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

    /// Makes the stage take upserts for `target`, written by `upsert` at the merge: merges
    /// what it holds for another target (or another statement) first.
    /// - Parameter keyTypes: The key columns' declared types, which decide whether keys can be
    ///   ordered here exactly as SQLite compares them.
    func prepare(
        for target: Target, upsert: SQLiteStatement, chunk: (statement: SQLiteStatement, rows: Int)?,
        keyTypes: [String: String]
    ) throws {
        if self.target == target, self.upsert === upsert, self.chunk?.statement === chunk?.statement { return }
        try merge()
        self.target = target
        self.upsert = upsert
        self.chunk = chunk
        columnCount = target.columns.count
        keyPositions = target.primaryKey.compactMap { target.columns.firstIndex(of: $0) }
        ordersKeys =
            keyPositions.count == target.primaryKey.count
            && target.primaryKey.allSatisfy { Self.keepsKeysApart(declaredType: keyTypes[$0] ?? "") }
    }

    /// How many rows of `columns` values one step of the merge writes: SQLite's per-statement
    /// work (a step, a reset, the program's start) is then shared by that many rows.
    static func rowsPerStep(columns: Int, limit: Int) -> Int {
        max(1, min(rowsPerStepWanted, limit / max(columns, 1)))
    }

    /// Rows a merge step writes at most (see docs/performance.md, *The merge stage without a table*).
    static let rowsPerStepWanted = 32

    /// Whether a key column of this declared type stores two different integer-or-string keys
    /// (all a key check lets through) as two different values: INTEGER, TEXT and BLOB (or no)
    /// affinity do; REAL and NUMERIC would make large integers equal.
    static func keepsKeysApart(declaredType: String) -> Bool {
        switch ColumnRules.affinity(declared: declaredType) {
        case .integer, .text, .blob: return true
        case .real, .numeric: return false
        }
    }

    /// Called before a write stages its rows: spills the rows in memory as a sorted run once
    /// they hold `memoryBytes`. Only here, between writes, so that a write rolled back to its
    /// savepoint takes back rows still in memory (`truncate(to:)`). Rows whose keys cannot be
    /// ordered here are merged into the table instead (a run must be sorted to be merged).
    func makeRoom() throws {
        guard arena.count >= memoryBytes, limitBytes > memoryBytes, rowCount > 0, upsert != nil else { return }
        let file = try spill ?? SpillFile(in: scratchDirectory)
        spill = file
        let start = file.size
        do {
            try lengths.withUnsafeBufferPointer { lengths in
                try arena.withUnsafeBytes { arena in
                    let rows = StagedRows(arena: arena, lengths: lengths, columnCount: columnCount)
                    guard let order = try sortedOrder(rows) else { return }
                    for row in order { try rows.write(row, to: file) }
                }
            }
        } catch {
            try? file.truncate(to: start)
            throw error
        }
        guard file.size > start else { return try merge() }
        runs.append(SpilledRun(start: start, end: file.size))
        spilledRows += rowCount
        spilledBytes += arena.count
        arena.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
    }

    /// Stages one record: its values' bytes, in the target's column order, already checked.
    func append(_ rowValues: ArraySlice<UnsafeRawBufferPointer>) {
        precondition(rowValues.count == columnCount, "a staged row has one value per target column")
        Self.append(rowValues, to: &arena, lengths: &lengths)
    }

    /// One access to each buffer for the whole row: the class's properties, appended to value by
    /// value, cost an exclusivity check each time (more than the copies themselves).
    private static func append(
        _ rowValues: ArraySlice<UnsafeRawBufferPointer>, to arena: inout [UInt8], lengths: inout [UInt8]
    ) {
        for value in rowValues { StagedValueLayout.append(value, to: &arena, lengths: &lengths) }
    }

    /// A point in the stage to take it back to: the rows staged so far, and where the rows in
    /// memory end (see `truncate(to:)`).
    struct Mark {
        let rows: Int
        fileprivate let arenaBytes: Int
    }

    /// Where the stage stands now.
    var mark: Mark { Mark(rows: spilledRows + rowCount, arenaBytes: arena.count) }

    /// Takes back the rows staged after `mark` (their write was rolled back to its savepoint).
    func truncate(to mark: Mark) {
        precondition(mark.rows >= spilledRows, "runs are spilled only between writes")
        let rows = mark.rows - spilledRows
        guard rows < rowCount else { return }
        arena.removeLast(arena.count - mark.arenaBytes)
        lengths.removeSubrange((rows * columnCount)...)
    }

    /// Upserts the staged rows into their table in key order and empties the stage.
    /// - Throws: A non-record error: the rows belong to batches already acknowledged, so a
    ///   failure fails the transaction rather than refusing one of them.
    func merge() throws {
        guard let target, upsert != nil, mark.rows > 0 else { return }
        let count = mark.rows
        let spilled = runs.count
        do {
            try lengths.withUnsafeBufferPointer { lengths in
                try arena.withUnsafeBytes { arena in
                    let rows = StagedRows(arena: arena, lengths: lengths, columnCount: columnCount)
                    if runs.isEmpty {
                        try write(rows, in: try sortedOrder(rows) ?? Array(0..<rows.count))
                    } else {
                        try mergeRuns(with: rows)
                    }
                }
            }
        } catch {
            let message = (error as? SQLiteError)?.message ?? "\(error)"
            throw PluginError.retryable("merging \(count) staged upsert(s) into '\(target.table)' failed: \(message)")
        }
        host.log(
            .debug,
            ordersKeys
                ? "Merged the staged upserts into their table in key order."
                : "Merged the staged upserts into their table in arrival order.",
            ["table": .string(target.table), "records": .int(Int64(count)), "spilled_runs": .int(Int64(spilled))])
        arena.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        try forgetRuns()
    }

    /// Writes `rows` in `order`: whole chunks by the multi-row statement, the rest one by one.
    /// Equal keys in one chunk are applied in order, as separate statements would (SQLite's
    /// upsert checks each row of a VALUES list against the rows before it).
    private func write(_ rows: StagedRows, in order: [Int]) throws {
        guard let upsert else { return }
        var next = 0
        if let (statement, size) = chunk {
            while order.count - next >= size {
                defer { statement.reset() }
                let step = order[next..<(next + size)]
                touched ^= rows.touch(step)
                for (slot, row) in step.enumerated() {
                    try rows.bind(row, to: statement, from: slot * rows.columnCount + 1)
                }
                _ = try statement.step()
                next += size
            }
        }
        touched ^= rows.touch(order[next...])
        for row in order[next...] {
            defer { upsert.reset() }
            try rows.bind(row, to: upsert, from: 1)
            _ = try upsert.step()
        }
    }

    /// The k-way merge: the spilled runs and the rows in memory (`current`, the latest) in key
    /// order, equal keys in arrival order (an earlier run's first). Rows are copied a few
    /// thousand at a time into a buffer the statements bind from, since a run's read buffer
    /// moves as it is read. Rows in memory whose keys cannot be ordered follow in arrival order.
    private func mergeRuns(with current: StagedRows) throws {
        guard let spill else { return }
        try spill.flush()
        var readers = runs.map { RunReader(file: spill, run: $0, columnCount: columnCount) }
        var heads: [MergeKey?] = []
        for index in readers.indices {
            heads.append(try readers[index].advance() ? try readers[index].key(at: keyPositions) : nil)
        }
        let currentOrder = try sortedOrder(current)
        var currentNext = 0
        func currentHead() throws -> MergeKey? {
            guard let currentOrder, currentNext < currentOrder.count else { return nil }
            return try MergeKey(positions: keyPositions) { current.value(currentOrder[currentNext], $0) }
        }
        heads.append(try currentHead())
        let batchRows = (chunk?.rows ?? 1) * 64
        var batchArena: [UInt8] = []
        var batchLengths: [UInt8] = []
        func writeBatch() throws {
            try batchLengths.withUnsafeBufferPointer { lengths in
                try batchArena.withUnsafeBytes { arena in
                    let rows = StagedRows(arena: arena, lengths: lengths, columnCount: columnCount)
                    try write(rows, in: Array(0..<rows.count))
                }
            }
            batchArena.removeAll(keepingCapacity: true)
            batchLengths.removeAll(keepingCapacity: true)
        }
        while true {
            var best = -1
            for index in heads.indices {
                // Strictly less: of equal keys the earlier run's goes first.
                if let key = heads[index], best < 0 || key < heads[best]! { best = index }
            }
            guard best >= 0 else { break }
            if best < readers.count {
                readers[best].copyRow(into: &batchArena, lengths: &batchLengths)
                heads[best] = try readers[best].advance() ? try readers[best].key(at: keyPositions) : nil
            } else {
                current.copy(currentOrder![currentNext], into: &batchArena, lengths: &batchLengths)
                currentNext += 1
                heads[best] = try currentHead()
            }
            if batchLengths.count >= batchRows * columnCount { try writeBatch() }
        }
        try writeBatch()
        if currentOrder == nil { try write(current, in: Array(0..<current.count)) }
    }

    /// Drops the spilled runs (merged, or rolled back with their transaction).
    private func forgetRuns() throws {
        guard !runs.isEmpty else { return }
        runs.removeAll()
        spilledRows = 0
        spilledBytes = 0
        try spill?.truncate(to: 0)
    }

    /// The staged rows over the stage's buffers, for one merge (laid out as `StagedValueLayout` says).
    private struct StagedRows {
        let arena: UnsafeRawBufferPointer
        let lengths: UnsafeBufferPointer<UInt8>
        let columnCount: Int
        /// Where each row's first value is stored in `arena`, and where the last row ends.
        let starts: [Int]

        init(arena: UnsafeRawBufferPointer, lengths: UnsafeBufferPointer<UInt8>, columnCount: Int) {
            self.arena = arena
            self.lengths = lengths
            self.columnCount = columnCount
            var starts: [Int] = []
            starts.reserveCapacity(lengths.count / columnCount + 1)
            var offset = 0
            for (index, length) in lengths.enumerated() {
                if index % columnCount == 0 { starts.append(offset) }
                offset = StagedValueLayout.extent(of: length, at: offset, in: arena).next
            }
            starts.append(offset)
            self.starts = starts
        }

        var count: Int { starts.count - 1 }

        /// Reads each of `rows`' first length and first byte, so that their cache lines are loaded
        /// together rather than one row at a time as they are bound: in key order the rows lie
        /// anywhere in a stage of tens of megabytes, and binding waited on three cache misses a
        /// row (`perf annotate` at 1M: four fifths of the merge's own time). Swift has no prefetch
        /// hint; loads whose results are kept (see `touched`) are one.
        func touch(_ rows: ArraySlice<Int>) -> UInt8 {
            var sum: UInt8 = 0
            for row in rows {
                let start = starts[row]
                sum ^= lengths[row * columnCount] ^ (start < arena.count ? arena[start] : 0)
            }
            return sum
        }

        /// Binds a row's values to `statement`'s parameters from `first` on.
        func bind(_ row: Int, to statement: SQLiteStatement, from first: Int) throws {
            var offset = starts[row]
            for column in 0..<columnCount {
                let (value, next) = StagedValueLayout.extent(
                    of: lengths[row * columnCount + column], at: offset, in: arena)
                try SQLiteDestination.bindRaw(
                    UnsafeRawBufferPointer(rebasing: arena[value]), at: Int32(first + column), in: statement,
                    checked: true)
                offset = next
            }
        }

        /// A row's length bytes, and its stored bytes.
        private func parts(_ row: Int) -> (lengths: UnsafeBufferPointer<UInt8>, stored: UnsafeRawBufferPointer) {
            (
                UnsafeBufferPointer(rebasing: lengths[(row * columnCount)..<((row + 1) * columnCount)]),
                UnsafeRawBufferPointer(rebasing: arena[starts[row]..<starts[row + 1]])
            )
        }

        /// Appends a row to a buffer of the same layout.
        func copy(_ row: Int, into arena: inout [UInt8], lengths rowLengths: inout [UInt8]) {
            let (lengths, stored) = parts(row)
            rowLengths.append(contentsOf: lengths)
            arena.append(contentsOf: stored.assumingMemoryBound(to: UInt8.self))
        }

        /// Appends a row to a spilled run: its length bytes, then its stored bytes (`RunReader`).
        func write(_ row: Int, to file: SpillFile) throws {
            let (lengths, stored) = parts(row)
            try file.append(UnsafeRawBufferPointer(lengths))
            try file.append(stored)
        }

        func value(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
            let rowLengths = UnsafeRawBufferPointer(
                rebasing: UnsafeRawBufferPointer(lengths)[(row * columnCount)..<((row + 1) * columnCount)])
            let value = StagedValueLayout.value(
                at: column, rowLengths: rowLengths, storedFrom: starts[row], in: arena)
            return UnsafeRawBufferPointer(rebasing: arena[value])
        }
    }

    /// The staged rows' positions by key, equal keys in arrival order; nil when the keys cannot
    /// be ordered here (see the type's comment), and the rows keep their arrival order.
    private func sortedOrder(_ rows: StagedRows) throws -> [Int]? {
        guard ordersKeys else { return nil }
        if keyPositions.count == 1 {
            let position = keyPositions[0]
            var keys: [WriteOrder.Key?] = []
            keys.reserveCapacity(rows.count)
            for row in 0..<rows.count {
                guard let key = try Self.key(rows.value(row, position)) else { return nil }
                keys.append(key)
            }
            return WriteOrder.sorted(keys)
        }
        var keys: [[WriteOrder.Key]] = []
        keys.reserveCapacity(rows.count)
        for row in 0..<rows.count {
            var parts: [WriteOrder.Key] = []
            for position in keyPositions {
                guard let part = try Self.key(rows.value(row, position)) else { return nil }
                parts.append(part)
            }
            keys.append(parts)
        }
        return keys.indices.sorted { left, right in
            keys[left].lexicographicallyPrecedes(keys[right]) || (keys[left] == keys[right] && left < right)
        }
    }

    /// A staged key as the table stores it: from its bytes when plain, else decoded.
    static func key(_ value: UnsafeRawBufferPointer) throws -> WriteOrder.Key? {
        if let key = WriteOrder.Key(raw: value) { return key }
        return WriteOrder.Key(try JSONParser().parse(value))
    }

    /// Forgets what the stage held: its transaction was rolled back, taking the rows with it.
    func rolledBack() {
        // The runs go with the rows; a file that cannot be truncated is emptied at the next merge.
        try? forgetRuns()
        target = nil
        upsert = nil
        chunk = nil
        arena.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        plainTables.removeAll()
    }
}
