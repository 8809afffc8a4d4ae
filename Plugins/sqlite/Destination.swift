import CFerryPlugin
import CSQLite
import FerryJSON
import FerryPluginSDK
import FerrySQLite
import Glibc

/// The destination side: one table per stream, created and widened on
/// demand, one transaction per batch.
///
/// A batch is first applied whole. When a record breaks a constraint, the
/// transaction is rolled back and the batch is applied again record by
/// record, each under a savepoint, so the bad records are rejected (with
/// SQLite's message) and the others kept. Appends record their batch id in
/// `_ferry_batches` in the same transaction, so a replayed batch is accepted
/// without being written twice, and the request's checkpoint goes to
/// `_ferry_checkpoints` in that transaction too.
///
/// Writes that carry one `transaction` id (ABI 1.2: a fan-out batch's streams) share one
/// transaction instead: opened by the first, each write applied under a savepoint of its
/// own (so its record-by-record retry undoes only itself), committed by the write whose
/// `transaction.commit` is true. A transaction the host abandoned (it died, or failed
/// between two writes) is rolled back by the next write, or by SQLite when the connection
/// closes.
final class SQLiteDestination {
    private let database: SQLiteDatabase
    private let config: SQLiteConfig
    private let host: HostServices
    private var tables: [String: TableSchema] = [:]
    private var uniqueKeys: Set<String> = []
    private var statements: [String: SQLiteStatement] = [:]
    private var batchesReady = false
    /// The multi-write transaction kept open (ABI 1.2), if any.
    private var openTransaction = OpenTransaction()
    /// A commit group's upserts, merged into their table in key order (see `MergeStage`).
    private let mergeStage: MergeStage
    /// Copies committed WAL frames into the file beside the writes; started by the first transaction.
    private var checkpointer: WALCheckpointer?
    private var checkpointerTried = false

    init(database: SQLiteDatabase, config: SQLiteConfig, host: HostServices) {
        self.database = database
        self.config = config
        self.host = host
        mergeStage = MergeStage(
            database: database, host: host, limitBytes: config.mergeStageMiB << 20,
            memoryBytes: config.mergeMemoryMiB << 20, scratchDirectory: config.scratchDirectory)
    }

    /// Ends the background checkpoints before the `.so` can go; the writer's connection, which
    /// this destination holds until after this body, copies what is left when it closes.
    deinit { checkpointer?.stop() }

    func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        let table = config.tablePrefix + request.stream
        guard !request.stream.isEmpty, !table.contains("\0") else {
            throw PluginError.invalid("stream name '\(request.stream)' cannot name a table (empty or holding NUL)")
        }
        if request.operation != .append && request.primaryKey.isEmpty {
            throw PluginError.invalid("\(request.operation.rawValue) into '\(table)' needs a primary key")
        }
        // First: rolling back an abandoned transaction resets the statement cache the rows below rely on.
        try joinTransaction(of: request)
        // Records whose columns are exactly those of the statement the last record used are
        // bound straight from their bytes (most of a stream); the others are parsed whole,
        // which also lets the table gain their new columns.
        var rows: [Row] = []
        rows.reserveCapacity(records.count)
        var objects: [(index: Int, object: JSONObject)] = []
        var parseRejections: [RecordRejection] = []
        let parser = JSONParser()
        let statementID = request.operation.rawValue + "\0" + table
        var fastColumns = request.operation != .delete && lastStatementID == statementID ? lastStatementPlainKeys : nil
        if fastColumns == nil,
            try primeStatement(from: records, table: table, statementID: statementID, request: request)
        {
            fastColumns = lastStatementPlainKeys
        }
        let fastKeys = fastColumns == nil ? nil : lastStatementKeys
        // The value slices of raw rows, found while their keys were compared: one flat array
        // per batch, so binding needs no second scan.
        var values: [UnsafeRawBufferPointer] = []
        for line in records.lines {
            let first = values.count
            if let fastColumns,
                JSONTopLevelScanner.values(in: line.bytes, keyedExactly: fastColumns, appendingTo: &values)
            {
                rows.append(.raw(first))
            } else if case .object(let object)? = try? parser.parse(line.bytes) {
                if request.operation != .delete, let problem = fieldProblem(object) {
                    rows.append(.malformed)
                    parseRejections.append(RecordRejection(index: line.index, error: problem))
                } else {
                    rows.append(.parsed(object))
                    objects.append((line.index, object))
                }
            } else {
                rows.append(.malformed)
                parseRejections.append(RecordRejection(index: line.index, error: "record is not a JSON object"))
            }
        }

        if request.transaction != nil && rows.isEmpty {
            // The write that only ends the transaction: no table to prepare.
            if let checkpoint = request.checkpoint { try CheckpointTable.store(checkpoint, in: database) }
            try endWrite(request, savepoint: false)
            return WriteOutcome(acceptedCount: 0, rejections: [])
        }
        let joined = request.transaction != nil
        // Outside the write's savepoint, so that undoing the write keeps what earlier writes staged.
        let staging = try stage(table: table, request: request, rows: rows, fastKeys: fastKeys)
        // The stage's merge sorts the whole group: sorting each batch before it would be done twice.
        let writeOrder =
            staging ? Array(rows.indices) : upsertOrder(rows, values: values, fastKeys: fastKeys, request: request)
        let stageMark = mergeStage.mark
        let rollBackWrite = {
            self.rollBack(toSavepoint: joined)
            // What this write staged goes with its savepoint (a whole transaction's roll-back empties the stage).
            if joined { self.mergeStage.truncate(to: stageMark) }
        }
        return try BatchAttempts.run(rollBack: rollBackWrite) { perRecord in
            if joined {
                try database.execute("SAVEPOINT ferry_write", purpose: "begin the batch")
            } else {
                try begin("begin the batch")
            }
            if request.operation == .append, !request.batchID.isEmpty, try isCommitted(request.batchID) {
                if let checkpoint = request.checkpoint { try CheckpointTable.store(checkpoint, in: database) }
                try endWrite(request, savepoint: joined)
                host.log(
                    .debug, "Batch already written; accepted without writing again.",
                    ["batch_id": .string(request.batchID)])
                return WriteOutcome(acceptedCount: rows.count - parseRejections.count, rejections: parseRejections)
            }
            var rejections = parseRejections
            let tooWide = try prepareTable(table, request: request, objects: objects)
            rejections += tooWide
            let skipped = Set(tooWide.map(\.index))
            let keyColumns = try self.keyColumns(of: table, request: request)
            // Looked up once per attempt: parsed records in between may switch the last statement.
            let fastStatement = try fastKeys.map { try statement(for: $0, table: table, request: request) }
            // Each field's key rule by position, found once rather than by name for every record.
            let fastKeyColumns = fastKeys.map { $0.map { keyColumns[$0] } } ?? []
            var assigned: [AssignedID] = []
            for index in writeOrder {
                let row = rows[index]
                if case .malformed = row { continue }
                if !skipped.isEmpty && skipped.contains(index) { continue }
                var id: String?
                func write() throws {
                    switch row {
                    case .raw(let first):
                        let slice = values[first..<(first + fastKeys!.count)]
                        do {
                            if staging {
                                try Self.checkRaw(slice, keys: fastKeys!, keyColumns: fastKeyColumns, request: request)
                                mergeStage.append(slice)
                            } else {
                                id = try applyRaw(
                                    slice, statement: fastStatement!, keys: fastKeys!, keyColumns: fastKeyColumns,
                                    request: request)
                            }
                        } catch let error as JSONParseError {
                            // A value the scan for its members let through but that does not parse (a
                            // number out of a double's range, a bad escape): the record is refused, as
                            // the parsed path refuses its line, rather than the whole write failing on
                            // every rerun. Checked before the record is staged or stepped.
                            throw PluginError.invalid("record is not valid JSON: \(error.message)")
                        }
                    case .parsed(let object):
                        id = try apply(
                            object, table: table, statementID: statementID, keyColumns: keyColumns, request: request)
                    case .malformed: break
                    }
                }
                let refused: String?
                if perRecord {
                    refused = try BatchAttempts.savepoint(
                        execute: { try database.execute($0, purpose: "write one record") },
                        recordError: Self.rejection, write)
                } else {
                    do {
                        try write()
                        refused = nil
                    } catch let error as SQLiteError where error.isRecordError {
                        throw BatchAttempts.RetryPerRecord()
                    } catch let error as PluginError {
                        // Refused before any SQL ran for it: nothing to undo.
                        refused = error.message
                    }
                }
                if let refused {
                    rejections.append(RecordRejection(index: index, error: refused))
                } else if let id {
                    assigned.append(AssignedID(index: index, destinationID: id))
                }
            }
            if request.operation == .append && !request.batchID.isEmpty {
                try markCommitted(request.batchID, stream: request.stream)
            }
            if let checkpoint = request.checkpoint { try CheckpointTable.store(checkpoint, in: database) }
            try endWrite(request, savepoint: joined)
            rejections.sort { $0.index < $1.index }
            assigned.sort { $0.index < $1.index }
            return WriteOutcome(
                acceptedCount: rows.count - rejections.count, rejections: rejections, assignedIDs: assigned)
        }
    }

    /// Prepares the last statement from a commit group's first record when there is none for
    /// its table yet (a new process, or after a roll-back) and the table already has the
    /// record's columns, so that the first batch is bound from its bytes and staged as the
    /// later ones are. Written straight, its pages would reach the WAL before the merge
    /// changed some of them again in the same transaction; SQLite then reads back every frame
    /// after the first one changed again to sum them anew at the commit (an incremental run
    /// of 20,000 records: 17,800 frames read back, about as many as it wrote).
    private func primeStatement(
        from records: RecordsView, table: String, statementID: String, request: WriteRequest
    ) throws -> Bool {
        var lines = records.lines.makeIterator()
        guard request.operation == .upsert, request.transaction != nil, mergeStage.limitBytes > 0,
            config.assignedID == nil, let first = lines.next(),
            case .object(let object)? = try? JSONParser().parse(first.bytes), !object.isEmpty,
            fieldProblem(object) == nil,
            let schema = try tables[table] ?? TableSchema.load(table, from: database),
            object.keys.allSatisfy(schema.contains),
            try uniqueKeys.contains(table)
                || TableSchema.hasUniqueKey(request.primaryKey, table: table, in: database)
        else { return false }
        // Kept as `prepareTable` keeps them, so this write's staging and preparation read neither again.
        tables[table] = schema
        uniqueKeys.insert(table)
        // A statement SQLite refuses is left to the parsed path, which reports it as it always did.
        guard let statement = try? statement(for: object.keys, table: table, request: request) else { return false }
        lastStatementKeys = object.keys
        lastStatement = statement
        lastStatementID = statementID
        return true
    }

    /// An upsert's records by primary key (see `WriteOrder`); other writes keep the batch's order.
    private func upsertOrder(
        _ rows: [Row], values: [UnsafeRawBufferPointer], fastKeys: [String]?, request: WriteRequest
    ) -> [Int] {
        // With `assigned_id`, SQLite hands out ids in the order records are written: keep the batch's.
        guard request.operation == .upsert, request.primaryKey.count == 1, rows.count > 1, config.assignedID == nil
        else {
            return Array(rows.indices)
        }
        let key = request.primaryKey[0]
        let rawPosition = fastKeys?.firstIndex(of: key)
        return WriteOrder.sorted(
            rows.map { row in
                switch row {
                case .raw(let first):
                    guard let rawPosition else { return nil }
                    let value = values[first + rawPosition]
                    return value.first == UInt8(ascii: "n") ? WriteOrder.refused : WriteOrder.Key(raw: value)
                case .parsed(let object):
                    return object[key]?.isNull ?? true ? WriteOrder.refused : WriteOrder.Key(object[key])
                case .malformed: return WriteOrder.refused
                }
            })
    }

    /// A record's own error as its rejection: SQLite's constraint, type and size
    /// errors, and the connector's refusals (which come before any SQL runs for the
    /// record); nil for an error that fails the batch.
    private static func rejection(_ error: any Error) -> String? {
        if let error = error as? SQLiteError { return error.isRecordError ? "sqlite: \(error.message)" : nil }
        return (error as? PluginError)?.message
    }

    /// Opens the request's multi-write transaction when it is new (see `OpenTransaction.join`).
    private func joinTransaction(of request: WriteRequest) throws {
        try openTransaction.join(
            request, host: host, isInTransaction: { database.isInTransaction },
            rollBack: { rollBack(toSavepoint: false) },
            begin: { try begin("begin the transaction") })
    }

    /// Begins a write transaction, first letting a WAL past its limit be copied (see `WALCheckpointer`).
    private func begin(_ purpose: String) throws {
        startCheckpointer()
        if let failure = checkpointer?.beforeTransaction() {
            host.log(
                .warning, "A background WAL checkpoint failed; the frames stay in the WAL until the next one.",
                ["error": .string(failure.message)])
        }
        try database.execute("BEGIN IMMEDIATE", purpose: purpose)
    }

    /// Moves the WAL's checkpoints off the writer's thread, once, when the database is in WAL
    /// mode and `wal_limit_mib` is not 0. Any failure leaves SQLite's automatic checkpoints on.
    private func startCheckpointer() {
        guard !checkpointerTried else { return }
        checkpointerTried = true
        guard config.walLimitMiB > 0, (try? database.pragma("journal_mode")) == "wal",
            let pageSize = (try? database.pragma("page_size")).flatMap({ $0.flatMap { Int($0) } }), pageSize > 0,
            let checkpointer = WALCheckpointer(
                path: database.path, synchronous: config.synchronous, buffersWAL: config.commitsSyncTheWAL,
                keepsWALFile: config.keepsWALFile,
                limitFrames: (config.walLimitMiB << 20) / pageSize)
        else { return }
        do {
            try database.onWALCommit { [weak checkpointer] frames in checkpointer?.committed(walFrames: frames) }
            self.checkpointer = checkpointer
        } catch {
            checkpointer.stop()
        }
    }

    /// Ends one write: commits its transaction, or releases its savepoint inside the open
    /// multi-write transaction and commits that when the request says so. The merge stage is
    /// merged before the commit, and before it outgrows its limit.
    private func endWrite(_ request: WriteRequest, savepoint: Bool) throws {
        guard let transaction = request.transaction else {
            try database.execute("COMMIT", purpose: "commit the batch")
            return
        }
        if savepoint { try database.execute("RELEASE SAVEPOINT ferry_write", purpose: "end the write") }
        if transaction.commit || mergeStage.isFull { try mergeStage.merge() }
        if transaction.commit {
            try database.execute("COMMIT", purpose: "commit the transaction")
            openTransaction.committed()
        }
    }

    /// Whether this write's records go to the merge stage: an upsert of records all bound from
    /// their bytes with the last statement's columns, inside a multi-write transaction, into a
    /// plain table (`MergeStage.isPlain`). Any other write first merges what is staged, so
    /// records are applied in the order they came.
    private func stage(table: String, request: WriteRequest, rows: [Row], fastKeys: [String]?) throws -> Bool {
        guard mergeStage.limitBytes > 0, request.transaction != nil, request.operation == .upsert,
            config.assignedID == nil, let fastKeys, rows.contains(where: \.isRaw),
            !rows.contains(where: \.isParsed), try mergeStage.isPlain(table),
            let schema = try tables[table] ?? TableSchema.load(table, from: database)
        else {
            try mergeStage.merge()
            return false
        }
        var keyTypes: [String: String] = [:]
        for key in request.primaryKey { keyTypes[key] = schema.column(key)?.declaredType ?? "" }
        let rows = MergeStage.rowsPerStep(columns: fastKeys.count, limit: database.variableLimit)
        try mergeStage.prepare(
            for: MergeStage.Target(table: table, columns: fastKeys, primaryKey: request.primaryKey),
            upsert: try statement(for: fastKeys, table: table, request: request),
            chunk: rows > 1 ? (try statement(for: fastKeys, table: table, request: request, rows: rows), rows) : nil,
            keyTypes: keyTypes)
        try mergeStage.makeRoom()
        return true
    }

    /// Rolls back and forgets cached schema, which the rollback may have undone.
    private func rollBack(toSavepoint: Bool) {
        if toSavepoint {
            // Only this write is undone; the multi-write transaction stays open.
            try? database.execute(
                "ROLLBACK TO SAVEPOINT ferry_write; RELEASE SAVEPOINT ferry_write", purpose: "roll back the write")
        } else {
            if database.isInTransaction { try? database.execute("ROLLBACK", purpose: "roll back the batch") }
            mergeStage.rolledBack()
        }
        tables.removeAll()
        uniqueKeys.removeAll()
        statements.removeAll()
        lastStatement = nil
        lastStatementID = ""
        lastStatementKeys = []
        batchesReady = false
    }

    // MARK: Schema

    /// Creates the table when missing and adds the columns the records bring.
    /// - Returns: The records refused because their new columns would pass SQLite's column limit.
    private func prepareTable(_ table: String, request: WriteRequest, objects: [(index: Int, object: JSONObject)])
        throws -> [RecordRejection]
    {
        let properties = request.schema?["properties"]?.objectValue
        var schema: TableSchema
        if let known = tables[table] {
            schema = known
        } else if let existing = try TableSchema.load(table, from: database) {
            schema = existing
        } else {
            schema = try createTable(table, request: request, properties: properties, objects: objects)
        }
        var rejections: [RecordRejection] = []
        if request.operation != .delete {
            var lastKeys: [String] = []
            for (index, object) in objects {
                guard !Self.sameKeys(object, lastKeys) else { continue }
                let added = object.keys.filter { !schema.contains($0) }
                guard schema.columns.count + added.count <= maxColumns else {
                    rejections.append(
                        RecordRejection(
                            index: index,
                            error: "record needs \(added.count) new columns but '\(table)' "
                                + "has \(schema.columns.count) of SQLite's \(maxColumns) already"))
                    continue
                }
                lastKeys = object.keys
                for (key, value) in object where !schema.contains(key) {
                    let type =
                        properties.map { TableSchema.sqlType(forProperty: $0[key]) } ?? TableSchema.sqlType(for: value)
                    var declared = type.isEmpty ? TableSchema.sqlType(for: value) : type
                    if request.primaryKey.contains(key) {
                        declared = Self.keyType(key, properties: properties, objects: objects)
                    }
                    try database.execute(
                        "ALTER TABLE \(SQLiteDatabase.quote(table)) ADD COLUMN \(SQLiteDatabase.quote(key)) \(declared)",
                        purpose: "add a column")
                    schema.add(TableSchema.Column(name: key, declaredType: declared, primaryKeyPosition: 0))
                    host.log(
                        .info, "Added a column.",
                        ["table": .string(table), "column": .string(key), "type": .string(declared)])
                }
            }
        }
        if request.operation == .upsert && !uniqueKeys.contains(table) {
            if try !TableSchema.hasUniqueKey(request.primaryKey, table: table, in: database) {
                let index = SQLiteDatabase.quote("ferry_key_" + table)
                let columns = request.primaryKey.map(SQLiteDatabase.quote).joined(separator: ", ")
                try database.execute(
                    "CREATE UNIQUE INDEX IF NOT EXISTS \(index) ON \(SQLiteDatabase.quote(table)) (\(columns))",
                    purpose: "create the key index")
            }
            uniqueKeys.insert(table)
        }
        tables[table] = schema
        return rejections
    }

    private func createTable(
        _ table: String, request: WriteRequest, properties: JSONObject?,
        objects: [(index: Int, object: JSONObject)]
    ) throws -> TableSchema {
        var columns: [TableSchema.Column] = []
        let assigned = config.assignedID
        // Key columns take the key's JSON type, so a later float, boolean or differently typed key is refused, not converted.
        var keyTypes: [String: String] = [:]
        for key in request.primaryKey {
            keyTypes[key] = Self.keyType(key, properties: properties, objects: objects)
        }
        func add(_ name: String, _ type: String) {
            guard !columns.contains(where: { TableSchema.folded($0.name) == TableSchema.folded(name) }) else { return }
            let position =
                assigned == nil ? (request.primaryKey.firstIndex(of: name) ?? -1) + 1 : (name == assigned ? 1 : 0)
            columns.append(
                TableSchema.Column(name: name, declaredType: keyTypes[name] ?? type, primaryKeyPosition: position))
        }
        // The column SQLite fills itself: a rowid alias, first.
        if let assigned { add(assigned, "INTEGER") }
        // The schema's properties name the columns unless they cannot all be columns (a name holding
        // NUL, too many): then the first accepted record does, and the rest come as records bring them.
        let declared = (properties ?? [:]).filter { !$0.key.contains("\0") }
        if !declared.isEmpty, declared.count == properties?.count, declared.count + 1 < maxColumns {
            for (name, property) in declared { add(name, TableSchema.sqlType(forProperty: property)) }
        } else if let first = objects.first?.object {
            for (name, value) in first { add(name, TableSchema.sqlType(for: value)) }
        }
        for key in request.primaryKey { add(key, "") }
        var definitions = columns.map { column in
            column.declaredType.isEmpty
                ? SQLiteDatabase.quote(column.name) : "\(SQLiteDatabase.quote(column.name)) \(column.declaredType)"
        }
        if let assigned {
            definitions[0] = "\(SQLiteDatabase.quote(assigned)) INTEGER PRIMARY KEY"
            if !request.primaryKey.isEmpty, request.primaryKey != [assigned] {
                definitions.append("UNIQUE (\(request.primaryKey.map(SQLiteDatabase.quote).joined(separator: ", ")))")
            }
        } else if !request.primaryKey.isEmpty {
            definitions.append("PRIMARY KEY (\(request.primaryKey.map(SQLiteDatabase.quote).joined(separator: ", ")))")
        }
        try database.execute(
            "CREATE TABLE \(SQLiteDatabase.quote(table)) (\(definitions.joined(separator: ", ")))",
            purpose: "create the table")
        host.log(.info, "Created a table.", ["table": .string(table), "columns": .int(Int64(columns.count))])
        if !request.primaryKey.isEmpty { uniqueKeys.insert(table) }
        return TableSchema(name: table, columns: columns)
    }

    // MARK: Records

    private var lastStatementKeys: [String] = [] {
        didSet { lastStatementPlainKeys = JSONTopLevelScanner.PlainKeys(lastStatementKeys) }
    }
    /// The last statement's columns, nil when a record's keys cannot be matched to them as bytes.
    private var lastStatementPlainKeys: JSONTopLevelScanner.PlainKeys?
    private var lastStatementID = ""
    private var lastStatement: SQLiteStatement?

    /// One record of a batch as the write loop sees it.
    private enum Row {
        /// Its columns match the last statement's: bound from the value slices starting at this index.
        case raw(Int)
        case parsed(JSONObject)
        case malformed

        var isRaw: Bool { if case .raw = self { true } else { false } }
        var isParsed: Bool { if case .parsed = self { true } else { false } }
    }

    /// Binds a record straight from its JSON value slices to the statement and steps it.
    /// Text is bound without copying: the batch's bytes outlive the step and the reset.
    /// Values that need decoding (escaped strings, large or odd numbers) take the parser.
    /// - Returns: The id the destination assigned (`assigned_id`), when configured.
    private func applyRaw(
        _ values: ArraySlice<UnsafeRawBufferPointer>, statement: SQLiteStatement, keys: [String],
        keyColumns: [KeyIdentity.Column?], request: WriteRequest
    ) throws -> String? {
        defer { statement.reset() }
        try Self.checkKeys(values, keys: keys, keyColumns: keyColumns, request: request)
        for (offset, value) in values.enumerated() { try Self.bindRaw(value, at: Int32(offset + 1), in: statement) }
        return try stepReturningID(statement)
    }

    /// Refuses a record, as `applyRaw` would, without writing it: what the merge stage checks
    /// before it keeps the record's bytes, so that a refusal is reported with its own batch.
    private static func checkRaw(
        _ values: ArraySlice<UnsafeRawBufferPointer>, keys: [String], keyColumns: [KeyIdentity.Column?],
        request: WriteRequest
    ) throws {
        try checkKeys(values, keys: keys, keyColumns: keyColumns, request: request)
        for value in values { try bindRaw(value, at: 0, in: nil) }
    }

    /// Refuses a record whose key field is missing or cannot be stored in its key column exactly.
    private static func checkKeys(
        _ values: ArraySlice<UnsafeRawBufferPointer>, keys: [String], keyColumns: [KeyIdentity.Column?],
        request: WriteRequest
    ) throws {
        for (offset, value) in values.enumerated() {
            guard let column = keyColumns[offset] else { continue }
            if request.operation == .upsert, value.first == UInt8(ascii: "n") {
                throw PluginError.invalid("record has no value for key field '\(keys[offset])'")
            }
            // Plain strings and small integers are judged by their first byte; the rest are parsed.
            let plainString = value.first == UInt8(ascii: "\"") && column != .integer
            let plainInteger = column != .text && JSONNumber.smallInteger(value) != nil
            if !plainString && !plainInteger {
                try KeyIdentity.check(try JSONParser().parse(value), field: keys[offset], column: column)
            }
        }
    }

    /// Steps an insert; with `assigned_id`, reads the id its `RETURNING` clause gives.
    private func stepReturningID(_ statement: SQLiteStatement) throws -> String? {
        guard try statement.step(), config.assignedID != nil else { return nil }
        switch statement.storageClass(at: 0) {
        case SQLITE_INTEGER: return String(statement.int64(at: 0))
        case SQLITE_NULL: return nil
        default: return statement.string(at: 0)
        }
    }

    /// Binds one JSON value slice, as the parsed path would store it. With no statement it only
    /// checks that the value binds (a staged record's); `checked` skips the checks made then.
    static func bindRaw(
        _ value: UnsafeRawBufferPointer, at index: Int32, in statement: SQLiteStatement?, checked: Bool = false
    ) throws {
        switch value.first {
        case UInt8(ascii: "\""):
            let inner = UnsafeRawBufferPointer(rebasing: value[1..<(value.count - 1)])
            if inner.contains(UInt8(ascii: "\\")) {
                try bindParsed(value, at: index, in: statement)
            } else {
                try statement?.bind(borrowedText: inner, at: index)
            }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Nested values are stored as compact JSON text: as they came when already compact,
            // else re-encoded (as the parsed path does).
            if value.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                try bindParsed(value, at: index, in: statement)
            } else {
                if !checked { try JSONParser().validate(value) } // still refuse malformed JSON
                try statement?.bind(borrowedText: value, at: index)
            }
        case UInt8(ascii: "t"): try statement?.bind(integer: 1, at: index)
        case UInt8(ascii: "f"): try statement?.bind(integer: 0, at: index)
        case UInt8(ascii: "n"): try statement?.bindNull(at: index)
        default:
            if let integer = JSONNumber.smallInteger(value) {
                try statement?.bind(integer: integer, at: index)
            } else if let statement {
                if let double = JSONNumber.double(value) {
                    try statement.bind(real: double, at: index)
                } else {
                    try bindParsed(value, at: index, in: statement)
                }
            } else if !isPlainDecimal(value), JSONNumber.double(value) == nil {
                // A bad number, or one beyond a double's range, is refused as the parser refuses it.
                try bindParsed(value, at: index, in: nil)
            }
        }
    }

    /// A valid JSON number with no exponent in under 300 bytes: always within a double's range,
    /// so checking it needs no conversion (the merge converts it, once).
    private static func isPlainDecimal(_ value: UnsafeRawBufferPointer) -> Bool {
        value.count < 300 && !value.contains { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
            && JSONNumber.isValid(value)
    }

    /// Parses a value the raw path cannot bind from its bytes, and binds it when given a statement.
    private static func bindParsed(_ value: UnsafeRawBufferPointer, at index: Int32, in statement: SQLiteStatement?)
        throws
    {
        let parsed = try JSONParser().parse(value)
        if let statement { try bind(parsed, at: index, in: statement) }
    }

    /// Applies one record with a cached statement for its column set.
    /// - Returns: The id the destination assigned (`assigned_id`), when configured.
    private func apply(
        _ object: JSONObject, table: String, statementID id: String, keyColumns: [String: KeyIdentity.Column],
        request: WriteRequest
    ) throws -> String? {
        for (field, column) in keyColumns {
            if let value = object[field] { try KeyIdentity.check(value, field: field, column: column) }
        }
        if request.operation == .delete {
            let statement = try statement(for: request.primaryKey, table: table, request: request)
            defer { statement.reset() }
            for (position, key) in request.primaryKey.enumerated() {
                guard let value = object[key], !value.isNull else {
                    throw PluginError.invalid("record has no value for key field '\(key)'")
                }
                try Self.bind(value, at: Int32(position + 1), in: statement)
            }
            try statement.step()
            return nil
        }
        if request.operation == .upsert {
            for key in request.primaryKey where object[key]?.isNull ?? true {
                throw PluginError.invalid("record has no value for key field '\(key)'")
            }
        }
        let statement: SQLiteStatement
        if let last = lastStatement, lastStatementID == id, Self.sameKeys(object, lastStatementKeys) {
            statement = last
        } else {
            lastStatementKeys = object.keys
            statement = try self.statement(for: lastStatementKeys, table: table, request: request)
            lastStatement = statement
            lastStatementID = id
        }
        defer { statement.reset() }
        var position: Int32 = 1
        for member in object.members {
            try Self.bind(member.value, at: position, in: statement)
            position += 1
        }
        return try stepReturningID(statement)
    }

    /// The cached statement writing `columns` into `table` for the request's operation.
    /// - Parameter rows: How many records one step writes (a multi-row `VALUES` of an append or
    ///   upsert; the merge stage's).
    private func statement(for columns: [String], table: String, request: WriteRequest, rows: Int = 1) throws
        -> SQLiteStatement
    {
        let key = ([request.operation.rawValue, table, String(rows)] + columns).joined(separator: "\0")
        if let cached = statements[key] { return cached }
        let quotedTable = SQLiteDatabase.quote(table)
        let quoted = columns.map(SQLiteDatabase.quote)
        let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        let values = Array(repeating: row, count: rows).joined(separator: ", ")
        var sql: String
        switch request.operation {
        case .delete:
            sql = "DELETE FROM \(quotedTable) WHERE " + quoted.map { "\($0) = ?" }.joined(separator: " AND ")
        case .append:
            sql = "INSERT INTO \(quotedTable) (\(quoted.joined(separator: ", "))) VALUES \(values)"
        case .upsert:
            let updates = columns.filter { !request.primaryKey.contains($0) }.map(SQLiteDatabase.quote).map {
                "\($0) = excluded.\($0)"
            }
            let target = request.primaryKey.map(SQLiteDatabase.quote).joined(separator: ", ")
            // With assigned_id a conflicting row must still come back through RETURNING, which DO NOTHING skips.
            let noChange =
                config.assignedID == nil
                ? "NOTHING"
                : "UPDATE SET \(SQLiteDatabase.quote(request.primaryKey[0])) = excluded.\(SQLiteDatabase.quote(request.primaryKey[0]))"
            sql =
                "INSERT INTO \(quotedTable) (\(quoted.joined(separator: ", "))) VALUES \(values)"
                + " ON CONFLICT (\(target)) DO "
                + (updates.isEmpty ? noChange : "UPDATE SET " + updates.joined(separator: ", "))
        }
        if let assigned = config.assignedID, request.operation != .delete {
            sql += " RETURNING \(SQLiteDatabase.quote(assigned))"
        }
        let statement = try database.prepare(sql, purpose: "prepare the write statement")
        statements[key] = statement
        return statement
    }

    // MARK: Keys and field names

    /// SQLite's column limit (`SQLITE_MAX_COLUMN`, 2,000 unless compiled otherwise).
    private var maxColumns: Int { database.columnLimit }

    /// Why a record's field names cannot become columns, or nil.
    private func fieldProblem(_ object: JSONObject) -> String? {
        ColumnRules.fieldProblem(object, maxColumns: maxColumns)
    }

    /// The declared type of a new key column, from the key's JSON type in the schema or the batch.
    private static func keyType(_ key: String, properties: JSONObject?, objects: [(index: Int, object: JSONObject)])
        -> String
    {
        ColumnRules.declaredType(
            of: KeyIdentity.column(forProperty: properties?[key], values: objects.lazy.compactMap { $0.object[key] }))
    }

    /// What each key column of the table holds exactly (empty for keyless appends).
    private func keyColumns(of table: String, request: WriteRequest) throws -> [String: KeyIdentity.Column] {
        guard !request.primaryKey.isEmpty, let schema = tables[table] else { return [:] }
        var kinds: [String: KeyIdentity.Column] = [:]
        for key in request.primaryKey {
            kinds[key] = schema.column(key).map { ColumnRules.keyColumn(declared: $0.declaredType) } ?? .integerOrText
        }
        return kinds
    }

    private static func sameKeys(_ object: JSONObject, _ keys: [String]) -> Bool {
        let members = object.members
        guard members.count == keys.count else { return false }
        for index in 0..<keys.count where members[index].key != keys[index] { return false }
        return true
    }

    @inline(__always)
    private static func bind(_ value: JSONValue, at index: Int32, in statement: SQLiteStatement) throws {
        switch value {
        case .null: try statement.bindNull(at: index)
        case .bool(let flag): try statement.bind(integer: flag ? 1 : 0, at: index)
        case .int(let integer): try statement.bind(integer: integer, at: index)
        case .double(let double): try statement.bind(real: double, at: index)
        case .string(let text): try statement.bind(text: text, at: index)
        case .array, .object: try statement.bind(text: JSONWriter().encodeString(value), at: index)
        }
    }

    // MARK: Batch ids

    private func isCommitted(_ batchID: String) throws -> Bool {
        try ensureBatchesTable()
        let statement = try cached("SELECT 1 FROM _ferry_batches WHERE batch_id = ?")
        defer { statement.reset() }
        try statement.bind(batchID, at: 1)
        return try statement.step()
    }

    private func markCommitted(_ batchID: String, stream: String) throws {
        let statement = try cached(
            "INSERT INTO _ferry_batches (batch_id, stream, committed_at) VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))"
        )
        defer { statement.reset() }
        try statement.bind(batchID, at: 1)
        try statement.bind(stream, at: 2)
        try statement.step()
    }

    private func ensureBatchesTable() throws {
        guard !batchesReady else { return }
        try database.execute(
            "CREATE TABLE IF NOT EXISTS _ferry_batches (batch_id TEXT PRIMARY KEY, stream TEXT NOT NULL, committed_at INTEGER NOT NULL)",
            purpose: "create the batch table")
        batchesReady = true
    }

    private func cached(_ sql: String) throws -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        let statement = try database.prepare(sql, purpose: "prepare a batch statement")
        statements[sql] = statement
        return statement
    }
}
