import FerryJSON
import FerryPluginSDK

/// The source side: the tables of the configured schema (or one configured
/// query) as streams, read through a server-side cursor in one read-only
/// snapshot, in cursor order with `{"cursor", "key"}` checkpoints when a
/// cursor column is set.
final class PostgresSource {
    private let client: PostgresClient
    private let config: PostgresConfig
    var isCancelled: () -> Bool = { false }

    init(client: PostgresClient, config: PostgresConfig) {
        self.client = client
        self.config = config
    }

    private var queryStream: String { config.stream ?? "query" }

    /// A stream's table: `schema.table` when the name holds a dot, else the configured schema.
    private func tableName(_ stream: String) -> TableSchema.Name {
        let table = config.table ?? stream
        if let dot = table.firstIndex(of: ".") {
            return TableSchema.Name(schema: String(table[..<dot]), table: String(table[table.index(after: dot)...]))
        }
        return TableSchema.Name(schema: config.schema, table: table)
    }

    /// Every table of the schema with its columns and primary key, or the query's one stream.
    func discover() throws -> [StreamDescriptor] {
        if let query = config.query {
            let result = try client.query("SELECT * FROM (\(query)) AS ferry_query LIMIT 0")
            let properties = JSONObject(
                (0..<result.columnCount).map {
                    (key: result.columnName($0), value: ValueDecoder.jsonSchema(forOID: result.columnType($0)))
                })
            return [
                StreamDescriptor(
                    name: queryStream, schema: ["type": "object", "properties": .object(properties)],
                    cursorField: config.cursorColumn)
            ]
        }
        var streams: [StreamDescriptor] = []
        let names: [TableSchema.Name]
        if let table = config.table {
            names = [tableName(table)]
        } else {
            names = try TableSchema.tableNames(in: config.schema, from: client).map {
                TableSchema.Name(schema: config.schema, table: $0)
            }
        }
        for name in names {
            guard let schema = try TableSchema.load(name, from: client) else { continue }
            let cursor = config.cursorColumn.flatMap { schema.contains($0) ? $0 : nil }
            streams.append(
                StreamDescriptor(
                    name: config.table ?? name.table, schema: TableSchema.recordSchema(schema.columns),
                    primaryKey: try TableSchema.primaryKey(of: name, from: client), cursorField: cursor))
        }
        return streams
    }

    /// Starts reading a table or the query, after the checkpoint's cursor when incremental.
    func read(_ request: ReadRequest) throws -> any BatchReader {
        try client.reconnectIfBroken()
        let cursor = config.cursorColumn ?? request.cursorField
        let from: String
        var key: [String] = []
        if let query = config.query {
            guard request.stream == queryStream else {
                throw PluginError.invalid("unknown stream '\(request.stream)'; this connection reads '\(queryStream)'")
            }
            from = "(\(query)) AS ferry_query"
        } else {
            let name = tableName(request.stream)
            guard let schema = try TableSchema.load(name, from: client) else {
                throw PluginError.invalid("no table '\(name.description)' in the database")
            }
            if let cursor, !schema.contains(cursor) {
                throw PluginError.invalid("table '\(name.description)' has no cursor column '\(cursor)'")
            }
            from = name.sql
            key = try TableSchema.primaryKey(of: name, from: client).filter { $0 != cursor }
        }
        var conditions: [String] = []
        var parameters = ParameterBuffer()
        func placeholder(_ value: JSONValue) throws -> String {
            try RowWriter.encode(value, asJSON: false, into: &parameters)
            return "$\(parameters.count)"
        }
        if let cursor {
            let column = quote(cursor)
            if !request.fullRefresh, let checkpoint = request.checkpoint, let last = checkpoint["cursor"], !last.isNull,
                let lookback = request.lookback, lookback > 0
            {
                // Re-read `lookback` seconds before the checkpoint (late-arriving rows).
                let kind = ValueDecoder(oid: try client.query("SELECT \(column) FROM \(from) LIMIT 0").columnType(0))
                    .kind
                switch kind {
                case .timestamp, .timestampWithZone, .date:
                    conditions.append(
                        "\(column) > \(try placeholder(last))::timestamptz - \(try placeholder(.string("\(lookback) seconds")))::interval"
                    )
                case .integer, .number:
                    conditions.append(
                        "\(column) > \(try placeholder(last))::numeric - \(try placeholder(.int(Int64(lookback))))::numeric"
                    )
                default:
                    throw PluginError.invalid("lookback needs a timestamp, date or number cursor; '\(cursor)' is text")
                }
            } else if !request.fullRefresh, let checkpoint = request.checkpoint, let last = checkpoint["cursor"],
                !last.isNull
            {
                if let lastKey = checkpoint["key"]?.arrayValue, lastKey.count == key.count, !key.isEmpty {
                    let left = ([column] + key.map(quote)).joined(separator: ", ")
                    let right = try ([last] + lastKey).map(placeholder).joined(separator: ", ")
                    conditions.append("(\(left)) > (\(right))")
                } else {
                    conditions.append("\(column) > \(try placeholder(last))")
                }
            }
            if let since = request.since { conditions.append("\(column) >= \(try placeholder(.string(since)))") }
            if let until = request.until { conditions.append("\(column) < \(try placeholder(.string(until)))") }
        }
        var sql = "SELECT * FROM \(from)"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        let order = (cursor.map { [$0] } ?? []) + key
        if !order.isEmpty { sql += " ORDER BY " + order.map(quote).joined(separator: ", ") }

        if client.isInTransaction { try client.execute("ROLLBACK") }
        try client.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            _ = try client.query("DECLARE ferry_read NO SCROLL CURSOR FOR " + sql, parameters)
        } catch {
            try? client.execute("ROLLBACK")
            throw error
        }
        return RowReader(
            client: client, cursor: cursor, key: cursor == nil ? [] : key,
            batchSize: max(1, request.batchSize), isCancelled: isCancelled)
    }
}

/// Fetches from the server-side cursor, a batch of rows per `next()`; the
/// snapshot's transaction ends at the last batch or when the reader goes away.
final class RowReader: BatchReader {
    private let client: PostgresClient
    private let cursor: String?
    private let key: [String]
    private let batchSize: Int
    private let isCancelled: () -> Bool
    private var done = false
    /// The cursor ran out of rows (not cancelled or failed): the whole selection was returned.
    private(set) var isComplete = false

    init(client: PostgresClient, cursor: String?, key: [String], batchSize: Int, isCancelled: @escaping () -> Bool) {
        self.client = client
        self.cursor = cursor
        self.key = key
        self.batchSize = batchSize
        self.isCancelled = isCancelled
    }

    deinit { finish() }

    private func finish() {
        guard !done else { return }
        done = true
        if client.isInTransaction { try? client.execute("ROLLBACK") }
    }

    func next() throws -> RecordBatch? {
        if isCancelled() {
            finish()
            throw PluginError.cancelled()
        }
        guard !done else { return nil }
        let result: PostgresResult
        do {
            result = try client.query("FETCH FORWARD \(batchSize) FROM ferry_read")
        } catch let error as PostgresError {
            finish()
            throw error.pluginError
        }
        if result.rowCount < batchSize {
            isComplete = true
            finish()
        }
        guard result.rowCount > 0 else { return nil }
        let names = (0..<result.columnCount).map(result.columnName)
        let decoders = (0..<result.columnCount).map { ValueDecoder(oid: result.columnType($0)) }
        let cursorIndex = cursor.flatMap { names.firstIndex(of: $0) }
        let keyIndexes = key.compactMap { names.firstIndex(of: $0) }
        var batch = RecordBatch(reservingBytes: result.rowCount * 128)
        var last: [JSONValue] = []
        for row in 0..<result.rowCount {
            var members: [(key: String, value: JSONValue)] = []
            members.reserveCapacity(names.count)
            for column in 0..<names.count {
                members.append((names[column], decoders[column].decode(result.text(row, column))))
            }
            if row == result.rowCount - 1 { last = members.map(\.value) }
            batch.append(JSONObject(members))
        }
        if let cursorIndex {
            var checkpoint: JSONObject = ["cursor": last[cursorIndex]]
            if !keyIndexes.isEmpty, keyIndexes.count == key.count {
                checkpoint["key"] = .array(keyIndexes.map { last[$0] })
            }
            batch.checkpoint = .object(checkpoint)
        }
        return batch
    }
}
