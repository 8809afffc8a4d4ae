import CFerryPlugin
import FerryJSON
import FerryPluginSDK

/// The destination side: one table per stream, created and widened on
/// demand, one transaction per batch, rows sent as multi-row
/// `INSERT … VALUES (…), (…) [ON CONFLICT … DO UPDATE]` statements with text
/// parameters (README.md compares this with COPY into a staging table).
///
/// A batch is first applied whole. When a record breaks a constraint or holds
/// a value its column refuses (SQLSTATE classes 22 and 23), the transaction is
/// rolled back and the batch applied again record by record, each under a
/// savepoint, so the bad records are rejected and the others kept. Appends
/// record their batch id in `_ferry_batches` in the same transaction, and the
/// request's checkpoint goes to `_ferry_checkpoints` in it too.
///
/// Writes that carry one `transaction` id (ABI 1.2: a fan-out batch's streams) share one
/// transaction instead: opened by the first, each write applied under a savepoint of its
/// own, committed by the write whose `transaction.commit` is true. One the host abandoned
/// is rolled back by the next write, or by the server when the connection closes.
final class PostgresDestination {
    private let client: PostgresClient
    private let config: PostgresConfig
    private let host: HostServices
    private var tables: [TableSchema.Name: TableSchema] = [:]
    private var conflictTargets: [TableSchema.Name: [String]] = [:]
    /// Per table: whether runs are COPied straight in (see `copiesDirectly`); false once a
    /// direct COPY met a conflict, for the rest of the session.
    private var directCopies: [TableSchema.Name: Bool] = [:]
    private var statementNames: [String: String] = [:]
    private var batchesReady = false
    /// The multi-write transaction kept open (ABI 1.2), if any.
    private var openTransaction = OpenTransaction()
    /// Reference columns of rows written in the open transaction, filled before it commits.
    private var pendingReferences: [PendingReferences] = []
    /// Where checkpoints are kept with the rows.
    var checkpoints: CheckpointTable { CheckpointTable(schema: config.schema) }

    init(client: PostgresClient, config: PostgresConfig, host: HostServices) {
        self.client = client
        self.config = config
        self.host = host
    }

    /// The table a stream lands in: `schema.table` when the stream name holds
    /// a dot, else the configured schema; the prefix goes before the table.
    func tableName(for stream: String) throws -> TableSchema.Name {
        var schema = config.schema
        var table = stream
        if let dot = stream.firstIndex(of: ".") {
            schema = String(stream[..<dot])
            table = String(stream[stream.index(after: dot)...])
        }
        let name = TableSchema.Name(schema: schema, table: config.tablePrefix + table)
        guard !schema.isEmpty, !table.isEmpty, !name.table.utf8.contains(0), !schema.utf8.contains(0) else {
            throw PluginError.invalid("stream name '\(stream)' cannot name a table (empty or holding NUL)")
        }
        guard name.table.utf8.count <= 63, schema.utf8.count <= 63 else {
            throw PluginError.invalid("table name '\(name.description)' is longer than PostgreSQL's 63 bytes")
        }
        return name
    }

    func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        try client.reconnectIfBroken()
        let name = try tableName(for: request.stream)
        try joinTransaction(of: request)
        let usesConstraint = request.operation == .upsert && config.conflictConstraint != nil
        if request.operation != .append && request.primaryKey.isEmpty && !usesConstraint {
            throw PluginError.invalid("\(request.operation.rawValue) into '\(name.description)' needs a primary key")
        }
        // Parsed only when needed: a batch COPied from its raw bytes (`RawBatch`) never is.
        var parsed: ParsedRecords?
        func parsedRecords() -> ParsedRecords {
            if let parsed { return parsed }
            let made = ParsedRecords(records, operation: request.operation)
            parsed = made
            return made
        }
        let copiesRaw =
            config.copy && config.assignedID == nil && config.references[request.stream] == nil
            && (request.operation == .upsert || request.operation == .append) && records.count > 1

        if request.transaction != nil && records.lines.first(where: { _ in true }) == nil {
            // The write that only ends the transaction: no table to prepare.
            if let checkpoint = request.checkpoint { try checkpoints.store(checkpoint, with: client) }
            try endWrite(request, savepoint: false)
            return WriteOutcome(acceptedCount: 0, rejections: [])
        }
        let joined = request.transaction != nil
        return try BatchAttempts.run(rollBack: { rollBack(toSavepoint: joined) }) { perRecord in
            try client.execute(joined ? "SAVEPOINT ferry_write" : "BEGIN")
            if request.operation == .append, !request.batchID.isEmpty, try isCommitted(request.batchID) {
                if let checkpoint = request.checkpoint { try checkpoints.store(checkpoint, with: client) }
                try endWrite(request, savepoint: joined)
                host.log(
                    .debug, "Batch already written; accepted without writing again.",
                    ["batch_id": .string(request.batchID)])
                let parsed = parsedRecords()
                return WriteOutcome(
                    acceptedCount: parsed.objects.count - parsed.rejections.count, rejections: parsed.rejections)
            }
            var rejections: [RecordRejection] = []
            var assigned: [AssignedID] = []
            var recordCount: Int
            if !perRecord, copiesRaw,
                let raw = try copyRaw(records, into: name, request: request, constraint: usesConstraint)
            {
                rejections = raw.rejections
                recordCount = raw.count
            } else if request.operation == .delete {
                let parsed = parsedRecords()
                recordCount = parsed.objects.count
                rejections = parsed.rejections
                rejections += try delete(parsed.objects, from: name, key: request.primaryKey, perRecord: perRecord)
            } else {
                let parsed = parsedRecords()
                recordCount = parsed.objects.count
                rejections = parsed.rejections
                var objects = parsed.objects
                let (table, tooWide) = try prepareTable(name, request: request, objects: objects)
                for rejection in tooWide { objects[rejection.index] = nil }
                rejections += tooWide
                let target = request.operation == .upsert ? try conflictTarget(for: name, request: request) : []
                let constraint = usesConstraint ? config.conflictConstraint : nil
                var writer = RowWriter(
                    table: table, operation: request.operation, conflictTarget: target,
                    constraint: constraint, rowsPerStatement: perRecord ? 1 : config.rowsPerStatement,
                    keyColumns: ColumnRules.keyColumns(request.primaryKey + target, in: table),
                    returning: config.assignedID)
                if perRecord {
                    rejections += try writeEach(objects, with: &writer, assigned: &assigned)
                } else if config.copy && config.assignedID == nil && objects.count > 1 {
                    var copier = CopyWriter(
                        table: table, operation: request.operation, conflictTarget: target,
                        keyColumns: writer.keyColumns)
                    rejections += try copyAll(objects, with: &copier, constraint: constraint)
                } else {
                    rejections += try writeAll(objects, with: &writer, assigned: &assigned)
                }
                if let references = config.references[request.stream] {
                    let refused = Set(rejections.map(\.index))
                    let written = objects.enumerated().compactMap { refused.contains($0.offset) ? nil : $0.element }
                    // In a multi-write transaction the links are filled before its commit, when every
                    // output of the batch is written, whichever order the outputs came in.
                    pendingReferences.append(
                        PendingReferences(
                            references: references, table: table, rows: written,
                            key: target.isEmpty ? request.primaryKey : target))
                    if !joined { try resolvePendingReferences() }
                }
            }
            if request.operation == .append && !request.batchID.isEmpty {
                try markCommitted(request.batchID, stream: request.stream)
            }
            if let checkpoint = request.checkpoint { try checkpoints.store(checkpoint, with: client) }
            try endWrite(request, savepoint: joined)
            rejections.sort { $0.index < $1.index }
            host.count("postgres.rows_written", by: Double(recordCount - rejections.count))
            if !rejections.isEmpty { host.count("postgres.records_rejected", by: Double(rejections.count)) }
            return WriteOutcome(
                acceptedCount: recordCount - rejections.count, rejections: rejections, assignedIDs: assigned)
        }
    }

    /// Opens the request's multi-write transaction when it is new (see `OpenTransaction.join`).
    private func joinTransaction(of request: WriteRequest) throws {
        try openTransaction.join(
            request, host: host, isInTransaction: { client.isInTransaction },
            rollBack: { rollBack(toSavepoint: false) }, begin: { try client.execute("BEGIN") })
    }

    /// Ends one write: commits its transaction, or releases its savepoint inside the open
    /// multi-write transaction and commits that when the request says so.
    private func endWrite(_ request: WriteRequest, savepoint: Bool) throws {
        guard let transaction = request.transaction else {
            try client.execute("COMMIT")
            return
        }
        if savepoint { try client.execute("RELEASE SAVEPOINT ferry_write") }
        if transaction.commit {
            try resolvePendingReferences()
            try client.execute("COMMIT")
            openTransaction.committed()
        }
    }

    /// Rolls back (the whole transaction, or only the current write inside a multi-write
    /// one) and forgets cached schema, which the rollback may have undone.
    private func rollBack(toSavepoint: Bool) {
        if toSavepoint {
            try? client.execute("ROLLBACK TO SAVEPOINT ferry_write")
            try? client.execute("RELEASE SAVEPOINT ferry_write")
        } else if client.isInTransaction {
            try? client.execute("ROLLBACK")
        }
        tables.removeAll()
        conflictTargets.removeAll()
        // A staging table made in the undone transaction is gone with it.
        client.stagingTables.removeAll()
        batchesReady = false
        if !toSavepoint { pendingReferences.removeAll() }
    }

    /// Fills the reference columns of the rows written since the last call.
    private func resolvePendingReferences() throws {
        defer { pendingReferences.removeAll() }
        for pending in pendingReferences {
            let unresolved = try resolve(
                pending.references, in: pending.table, rows: pending.rows, key: pending.key, client: client)
            if unresolved > 0 {
                host.log(
                    .warning, "Rows written without a value for a reference: no matching row yet.",
                    ["table": .string(pending.table.name.description), "rows": .int(Int64(unresolved))])
            }
        }
    }

    // MARK: Rows

    /// Sends every record in multi-row statements; a record error aborts the attempt.
    private func writeAll(_ objects: [JSONObject?], with writer: inout RowWriter, assigned: inout [AssignedID]) throws
        -> [RecordRejection]
    {
        var rejections: [RecordRejection] = []
        for (index, object) in objects.enumerated() {
            guard let object else { continue }
            do {
                for statement in try writer.add(object, index: index) { assigned += try run(statement) }
            } catch let error as PluginError {
                rejections.append(RecordRejection(index: index, error: error.message))
            } catch let error as PostgresError where error.isRecordError {
                throw BatchAttempts.RetryPerRecord()
            }
        }
        do {
            if let statement = writer.flush() { assigned += try run(statement) }
        } catch let error as PostgresError where error.isRecordError {
            throw BatchAttempts.RetryPerRecord()
        }
        return rejections
    }

    /// Loads every record through COPY (straight into the table, or into a staging table
    /// merged into it with one `INSERT … SELECT`); a record error aborts the attempt, which is
    /// then retried record by record (`writeEach`) to reject only the records at fault.
    private func copyAll(_ objects: [JSONObject?], with copier: inout CopyWriter, constraint: String?) throws
        -> [RecordRejection]
    {
        try copyEach(with: &copier, constraint: constraint) { add in
            for (index, object) in objects.enumerated() {
                guard let object else { continue }
                try add(index) { try $0.add(object, index: index) }
            }
        }
    }

    /// Loads a batch through COPY as `copyAll` does, encoding the rows from the records' bytes
    /// (`RawBatch`, `CopyText`) instead of parsing them.
    /// - Returns: nil when the batch needs the parsed path: no table yet, or a record brings a
    ///   field that is not yet a column (nothing was written then).
    private func copyRaw(_ records: RecordsView, into name: TableSchema.Name, request: WriteRequest, constraint: Bool)
        throws -> (rejections: [RecordRejection], count: Int)?
    {
        guard let table = try tables[name] ?? TableSchema.load(name, from: client) else { return nil }
        tables[name] = table
        let target = request.operation == .upsert ? try conflictTarget(for: name, request: request) : []
        let keyColumns = ColumnRules.keyColumns(request.primaryKey + target, in: table)
        guard let batch = RawBatch(records, table: table, conflictTarget: target, keyColumns: keyColumns) else {
            return nil
        }
        var copier = CopyWriter(
            table: table, operation: request.operation, conflictTarget: target, keyColumns: keyColumns)
        let rejections = try copyEach(with: &copier, constraint: constraint ? config.conflictConstraint : nil) { add in
            for record in batch.records {
                switch record {
                case .parsed(let index, let object):
                    try add(index) { try $0.add(object, index: index) }
                case .raw(let index, let line, let members, let shape):
                    try add(index) { copier in
                        if let ended = copier.add(
                            raw: batch.members[members], shape: batch.shapes[shape], shapeID: shape, in: batch,
                            index: index)
                        {
                            return ended
                        }
                        // A value only the parser may judge: the record takes the parsed path.
                        guard case .object(let object)? = try? JSONParser().parse(batch.slice(line)) else {
                            throw PluginError.invalid("record is not a JSON object")
                        }
                        return try copier.add(object, index: index)
                    }
                }
            }
        }
        return (batch.rejections + rejections, batch.records.count + batch.rejections.count)
    }

    /// Runs `records`, which hands each record to `add` with how to add it to the copier,
    /// loading each run the copier ends. A record's `PluginError` rejects it alone.
    /// A run's rows are streamed while later ones are encoded, so the server works meanwhile.
    private func copyEach(
        with copier: inout CopyWriter, constraint: String?,
        _ records: (_ add: (Int, (inout CopyWriter) throws -> CopyWriter.Run?) throws -> Void) throws -> Void
    ) throws -> [RecordRejection] {
        var rejections: [RecordRejection] = []
        var streaming: OpenCopy?
        func load(_ run: CopyWriter.Run) throws {
            defer { streaming = nil }
            do {
                try merge(
                    run, streamed: streaming, into: copier.table, operation: copier.operation,
                    target: copier.conflictTarget, constraint: constraint)
            } catch let error as PostgresError where error.isRecordError {
                throw BatchAttempts.RetryPerRecord()
            }
        }
        func add(_ index: Int, _ adding: (inout CopyWriter) throws -> CopyWriter.Run?) throws {
            do {
                if let run = try adding(&copier) { try load(run) }
            } catch let error as PluginError {
                rejections.append(RecordRejection(index: index, error: error.message))
            }
            if copier.unstreamedCount >= Self.streamingSlice {
                if streaming == nil {
                    streaming = try beginCopy(of: copier.runColumns, into: copier.table, operation: copier.operation)
                }
                // A refused send (the server gave up on the COPY) is ended, with its error, by `load`.
                if streaming?.sendFailed == false, !copier.streamUnsent(client.sendCopyData) {
                    streaming?.sendFailed = true
                }
            }
        }
        try records(add)
        if let run = copier.finish() { try load(run) }
        return rejections
    }

    /// Bytes of rows gathered before they are streamed into the run's COPY.
    private static let streamingSlice = 128 << 10

    /// A COPY of one run in progress: straight into the table under the savepoint
    /// `ferry_copy`, or into a staging table.
    private struct OpenCopy {
        /// The run's columns, quoted and joined, as the COPY names them.
        var columns: String
        /// The staging table; nil for a COPY straight into the table.
        var staging: String?
        /// Whether sending rows failed: the COPY is then ended as failed.
        var sendFailed = false
    }

    /// Starts the COPY of a run: straight into the table when `copiesDirectly` allows,
    /// else into the staging table of its columns.
    private func beginCopy(of columns: [String], into table: TableSchema, operation: WriteOperation) throws
        -> OpenCopy
    {
        let list = columns.map(quote).joined(separator: ", ")
        if try copiesDirectly(into: table.name, operation: operation) {
            try client.execute("SAVEPOINT ferry_copy")
            try client.beginCopy("COPY \(table.name.sql) (\(list)) FROM STDIN")
            return OpenCopy(columns: list, staging: nil)
        }
        return OpenCopy(columns: list, staging: try beginStagedCopy(of: list, into: table))
    }

    /// Starts the COPY of a run into the staging table of its columns (`list`, quoted and
    /// joined); returns that table.
    private func beginStagedCopy(of list: String, into table: TableSchema) throws -> String {
        let staging = try stagingTable(for: table, columns: list)
        try client.beginCopy("COPY \(staging) (\(list)) FROM STDIN")
        return staging
    }

    /// Ends the COPY of one run (begun while streaming, or now) and, for a staging table,
    /// merges it into the target and empties it for the next run of the transaction.
    /// Optimistic: rows that meet no existing key (a first load, new records) go straight
    /// into the table, half the server's work of staging and merging. A conflict undoes only
    /// this COPY; the run is sent again to the staging table, and the table is merged from then on.
    private func merge(
        _ run: CopyWriter.Run, streamed: OpenCopy?, into table: TableSchema, operation: WriteOperation,
        target: [String], constraint: String?
    ) throws {
        let copy = try streamed ?? beginCopy(of: run.columns, into: table, operation: operation)
        let unsent = streamed == nil ? 0 : run.streamedCount
        let sent =
            !copy.sendFailed
            && run.data.withUnsafeBufferPointer { client.sendCopyData(UnsafeBufferPointer(rebasing: $0[unsent...])) }
        if let staging = copy.staging {
            return try mergeStaged(
                run, from: staging, columns: copy.columns, sent: sent, into: table, operation: operation,
                target: target, constraint: constraint)
        }
        do {
            try client.endCopy(sent: sent)
            try client.execute("RELEASE SAVEPOINT ferry_copy")
            return
        } catch let error as PostgresError where !error.isConnectionFailure {
            try client.execute("ROLLBACK TO SAVEPOINT ferry_copy; RELEASE SAVEPOINT ferry_copy")
            // Only a key met (unique or exclusion) says the table holds these rows; a refused
            // value fails the staged attempt too and is rejected record by record.
            if error.sqlState == "23505" || error.sqlState == "23P01" { directCopies[table.name] = false }
            host.log(
                .debug, "A direct COPY met a row it could not insert; merging through a staging table.",
                ["table": .string(table.name.description), "sqlstate": .string(error.sqlState ?? "")])
        }
        let staging = try beginStagedCopy(of: copy.columns, into: table)
        let resent = run.data.withUnsafeBufferPointer { client.sendCopyData($0) }
        try mergeStaged(
            run, from: staging, columns: copy.columns, sent: resent, into: table, operation: operation,
            target: target, constraint: constraint)
    }

    /// Ends the COPY into a staging table and merges it into the target.
    private func mergeStaged(
        _ run: CopyWriter.Run, from staging: String, columns: String, sent: Bool, into table: TableSchema,
        operation: WriteOperation, target: [String], constraint: String?
    ) throws {
        try client.endCopy(sent: sent)
        var sql = "INSERT INTO \(table.name.sql) (\(columns)) SELECT \(columns) FROM \(staging)"
        if operation == .upsert {
            sql += RowWriter.onConflict(
                columns: run.columns, conflictTarget: target, constraint: constraint, returning: nil)
        }
        try client.execute(sql + "; TRUNCATE \(staging)")
    }

    /// Whether a run may be COPied straight into `table` before merging: appends always
    /// (COPY inserts as `INSERT` does), upserts until one meets an existing key. Not into a
    /// table with rewrite rules, which `INSERT` obeys and COPY ignores.
    private func copiesDirectly(into table: TableSchema.Name, operation: WriteOperation) throws -> Bool {
        guard operation == .upsert || operation == .append else { return false }
        if let known = directCopies[table] { return known }
        let rules = try client.query(
            """
            SELECT 1 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND r.rulename <> '_RETURN'
            """, [table.schema, table.table])
        directCopies[table] = rules.rowCount == 0
        return rules.rowCount == 0
    }

    /// The temporary table a run of these columns of `table` is COPied into: the columns'
    /// types and nothing else (no constraints, so a row is checked once, by the merge),
    /// emptied at every commit, made once per session.
    private func stagingTable(for table: TableSchema, columns: String) throws -> String {
        let digest = XXHash64.hash(Array("\(table.name.sql)\u{0}\(columns)".utf8))
        let name = "pg_temp.ferry_stage_\(String(digest, radix: 16))"
        if !client.stagingTables.contains(name) {
            try client.execute(
                "CREATE TEMP TABLE IF NOT EXISTS \(name.dropFirst("pg_temp.".count)) ON COMMIT DELETE ROWS AS "
                    + "SELECT \(columns) FROM \(table.name.sql) WITH NO DATA")
            client.stagingTables.insert(name)
        }
        return name
    }

    /// Sends each record alone under a savepoint, rejecting those the server refuses.
    private func writeEach(_ objects: [JSONObject?], with writer: inout RowWriter, assigned: inout [AssignedID]) throws
        -> [RecordRejection]
    {
        var rejections: [RecordRejection] = []
        for (index, object) in objects.enumerated() {
            guard let object else { continue }
            do {
                guard let statement = try writer.add(object, index: index).first ?? writer.flush() else { continue }
                var ids: [AssignedID] = []
                if let refused = try underSavepoint({ ids = try run(statement) }) {
                    rejections.append(RecordRejection(index: index, error: refused))
                }
                assigned += ids
            } catch let error as PluginError {
                rejections.append(RecordRejection(index: index, error: error.message))
            }
        }
        return rejections
    }

    /// Runs one record's statement under a savepoint.
    /// - Returns: The server's reason when it refused the record (now undone), nil when the record landed.
    private func underSavepoint(_ write: () throws -> Void) throws -> String? {
        try BatchAttempts.savepoint(
            execute: { try client.execute($0) },
            recordError: { error in
                guard let error = error as? PostgresError, error.isRecordError else { return nil }
                return error.pluginError.message
            }, write)
    }

    /// Runs a statement, prepared once per shape when it is a full chunk or one row.
    /// - Returns: With `assigned_id`, the id of each row, by the batch index of its record.
    @discardableResult
    private func run(_ statement: RowWriter.Statement) throws -> [AssignedID] {
        guard statement.isReusable else {
            return Self.assignedIDs(try client.query(statement.sql, statement.parameters), statement: statement)
        }
        let name: String
        if let known = statementNames[statement.sql] {
            name = known
        } else {
            name = "ferry_\(statementNames.count + 1)"
            statementNames[statement.sql] = name
        }
        return Self.assignedIDs(
            try client.execute(prepared: name, sql: statement.sql, statement.parameters), statement: statement)
    }

    /// The `RETURNING` rows of a statement, which come back in the order of its `VALUES`
    /// (every row returns one: conflicts update, never `DO NOTHING`, when ids are wanted).
    private static func assignedIDs(_ result: PostgresResult, statement: RowWriter.Statement) -> [AssignedID] {
        guard result.columnCount == 1, result.rowCount == statement.indexes.count else { return [] }
        return statement.indexes.enumerated().compactMap { row, index in
            result.text(row, 0).map { AssignedID(index: index, destinationID: $0) }
        }
    }

    /// Deletes by key, one prepared statement per record; a missing table
    /// deletes nothing. A delete the server refuses (a row still referenced)
    /// switches to savepoints, as inserts do.
    private func delete(_ objects: [JSONObject?], from name: TableSchema.Name, key: [String], perRecord: Bool) throws
        -> [RecordRejection]
    {
        var rejections: [RecordRejection] = []
        let table = try tables[name] ?? TableSchema.load(name, from: client)
        let exists = table != nil
        let keyColumns = table.map { ColumnRules.keyColumns(key, in: $0) } ?? [:]
        let sql =
            "DELETE FROM \(name.sql) WHERE "
            + key.enumerated().map { "\(quote($1)) = $\($0 + 1)" }.joined(separator: " AND ")
        for (index, object) in objects.enumerated() {
            guard let object else { continue }
            var parameters = ParameterBuffer()
            do {
                for field in key {
                    guard let value = object[field], !value.isNull else {
                        throw PluginError.invalid("record has no value for key field '\(field)'")
                    }
                    try KeyIdentity.check(value, field: field, column: keyColumns[field] ?? .integerOrText)
                    try RowWriter.encode(value, asJSON: false, into: &parameters)
                }
            } catch let error as PluginError {
                rejections.append(RecordRejection(index: index, error: error.message))
                continue
            }
            guard exists else { continue }
            let statement = RowWriter.Statement(sql: sql, parameters: parameters, isReusable: true)
            guard perRecord else {
                do { try run(statement) } catch let error as PostgresError where error.isRecordError {
                    throw BatchAttempts.RetryPerRecord()
                }
                continue
            }
            if let refused = try underSavepoint({ _ = try run(statement) }) {
                rejections.append(RecordRejection(index: index, error: refused))
            }
        }
        return rejections
    }

    // MARK: Schema

    /// Creates the schema and table when missing and adds the columns the records bring.
    /// - Returns: The table, and the records refused because their new columns would pass PostgreSQL's column limit.
    private func prepareTable(
        _ name: TableSchema.Name, request: WriteRequest,
        objects: [JSONObject?]
    ) throws -> (TableSchema, [RecordRejection]) {
        let properties = request.schema?["properties"]?.objectValue
        var schema: TableSchema
        if let known = tables[name] {
            schema = known
        } else if let existing = try TableSchema.load(name, from: client) {
            schema = existing
        } else {
            schema = try createTable(name, request: request, properties: properties, objects: objects)
        }
        var lastKeys: [String] = []
        var rejections: [RecordRejection] = []
        for (index, object) in objects.enumerated() {
            guard let object, !RowWriter.sameKeys(object.members, lastKeys) else { continue }
            let added = object.keys.filter { !schema.contains($0) }.count
            guard schema.columns.count + added <= ColumnRules.maxColumns else {
                rejections.append(
                    RecordRejection(
                        index: index,
                        error: "record needs \(added) new columns but '\(name.description)' "
                            + "has \(schema.columns.count) of PostgreSQL's \(ColumnRules.maxColumns) already"))
                continue
            }
            lastKeys = object.keys
            for (key, value) in object where !schema.contains(key) {
                var type = TableSchema.sqlType(forProperty: properties?[key]) ?? TableSchema.sqlType(for: value)
                if request.primaryKey.contains(key) {
                    type = ColumnRules.keyType(key, properties: properties, objects: objects)
                }
                try client.execute("ALTER TABLE \(name.sql) ADD COLUMN IF NOT EXISTS \(quote(key)) \(type)")
                schema.add(TableSchema.Column(name: key, type: type))
                host.log(
                    .info, "Added a column.",
                    ["table": .string(name.description), "column": .string(key), "type": .string(type)])
            }
        }
        tables[name] = schema
        return (schema, rejections)
    }

    private func createTable(
        _ name: TableSchema.Name, request: WriteRequest, properties: JSONObject?, objects: [JSONObject?]
    ) throws -> TableSchema {
        let namespace = try client.query("SELECT to_regnamespace($1) IS NULL", [quote(name.schema)])
        if namespace.text(0, 0) == "t" {
            try client.execute("CREATE SCHEMA IF NOT EXISTS \(quote(name.schema))")
        }
        var columns: [TableSchema.Column] = []
        func add(_ column: String, _ type: String) {
            guard !columns.contains(where: { $0.name == column }) else { return }
            columns.append(TableSchema.Column(name: column, type: type))
        }
        // The schema's properties name the columns unless they cannot all be columns (a bad name,
        // too many): then the first accepted record does, and the rest come as records bring them.
        let usable =
            properties.map {
                ColumnRules.fieldProblem(JSONObject($0.map { (key: $0.key, value: JSONValue.null) })) == nil
            } ?? false
        if let properties, !properties.isEmpty, usable {
            for (column, property) in properties {
                let sample = objects.lazy.compactMap { $0?[column] }.first { !$0.isNull }
                add(
                    column,
                    TableSchema.sqlType(forProperty: property) ?? sample.map(TableSchema.sqlType(for:)) ?? "text")
            }
        } else if let first = objects.lazy.compactMap({ $0 }).first {
            for (column, value) in first { add(column, TableSchema.sqlType(for: value)) }
        }
        for key in request.primaryKey { add(key, "text") }
        // Key columns take the key's JSON type, so a later float, boolean or differently typed key is refused, not converted.
        for (position, column) in columns.enumerated() where request.primaryKey.contains(column.name) {
            columns[position].type = ColumnRules.keyType(column.name, properties: properties, objects: objects)
        }
        var definitions = columns.map { "\(quote($0.name)) \($0.type)" }
        if let assigned = config.assignedID {
            // The id PostgreSQL assigns; the pipeline's key stays unique for upserts.
            if let position = columns.firstIndex(where: { $0.name == assigned }) {
                columns.remove(at: position)
                definitions.remove(at: position)
            }
            columns.insert(TableSchema.Column(name: assigned, type: "bigint"), at: 0)
            definitions.insert("\(quote(assigned)) bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", at: 0)
            if !request.primaryKey.isEmpty, request.primaryKey != [assigned] {
                definitions.append("UNIQUE (\(request.primaryKey.map(quote).joined(separator: ", ")))")
            }
        } else if !request.primaryKey.isEmpty {
            definitions.append("PRIMARY KEY (\(request.primaryKey.map(quote).joined(separator: ", ")))")
        }
        try client.execute("CREATE TABLE \(name.sql) (\(definitions.joined(separator: ", ")))")
        host.log(
            .info, "Created a table.", ["table": .string(name.description), "columns": .int(Int64(columns.count))])
        return TableSchema(name: name, columns: columns)
    }

    /// The columns an upsert conflicts on: the named constraint's, or the
    /// primary key (given a unique index when the table has none matching).
    private func conflictTarget(for name: TableSchema.Name, request: WriteRequest) throws -> [String] {
        if let known = conflictTargets[name] { return known }
        let target: [String]
        if let constraint = config.conflictConstraint {
            target = try TableSchema.constraintColumns(constraint, of: name, from: client)
            guard !target.isEmpty else {
                throw PluginError.invalid(
                    "table '\(name.description)' has no constraint '\(constraint)' (config.conflict_constraint)")
            }
        } else {
            target = request.primaryKey
            if try !TableSchema.hasUniqueKey(target, on: name, from: client) {
                let index = quote(String("ferry_key_\(name.table)".utf8.prefix(63))!)
                try client.execute(
                    "CREATE UNIQUE INDEX IF NOT EXISTS \(index) ON \(name.sql) (\(target.map(quote).joined(separator: ", ")))"
                )
                host.log(.info, "Added a unique index for upserts.", ["table": .string(name.description)])
            }
        }
        conflictTargets[name] = target
        return target
    }

    // MARK: Batch ids

    private var batchesTable: String { quote(config.schema) + "." + quote("_ferry_batches") }

    private func isCommitted(_ batchID: String) throws -> Bool {
        if !batchesReady {
            let namespace = try client.query("SELECT to_regnamespace($1) IS NULL", [quote(config.schema)])
            if namespace.text(0, 0) == "t" { try client.execute("CREATE SCHEMA IF NOT EXISTS \(quote(config.schema))") }
            try client.execute(
                """
                CREATE TABLE IF NOT EXISTS \(batchesTable) (batch_id text PRIMARY KEY, stream text NOT NULL,
                committed_at timestamptz NOT NULL DEFAULT now())
                """)
            batchesReady = true
        }
        return try client.query("SELECT 1 FROM \(batchesTable) WHERE batch_id = $1", [batchID]).rowCount > 0
    }

    private func markCommitted(_ batchID: String, stream: String) throws {
        _ = try client.query("INSERT INTO \(batchesTable) (batch_id, stream) VALUES ($1, $2)", [batchID, stream])
    }
}
