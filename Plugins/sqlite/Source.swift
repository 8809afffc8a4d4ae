import CSQLite
import FerryJSON
import FerryPluginSDK
import FerrySQLite

/// The source side: tables (or one configured query) as streams, read in
/// cursor order with `{"cursor", "rowid"}` checkpoints when a cursor column is set.
final class SQLiteSource {
    private let database: SQLiteDatabase
    private let config: SQLiteConfig
    var isCancelled: () -> Bool = { false }

    init(database: SQLiteDatabase, config: SQLiteConfig) {
        self.database = database
        self.config = config
    }

    private var queryStream: String { config.stream ?? "query" }

    /// Every user table with its columns and primary key, or the query's one stream.
    func discover() throws -> [StreamDescriptor] {
        if let query = config.query {
            let statement = try database.prepare(query, purpose: "read the query's columns")
            let columns = (0..<statement.columnCount).map {
                (name: statement.columnName(at: $0), declaredType: statement.declaredType(at: $0) ?? "")
            }
            return [
                StreamDescriptor(
                    name: queryStream, schema: TableSchema.recordSchema(columns), cursorField: config.cursorColumn)
            ]
        }
        var streams: [StreamDescriptor] = []
        for name in try TableSchema.tableNames(in: database) {
            guard let schema = try TableSchema.load(name, from: database) else { continue }
            if let only = config.table, only != name { continue }
            let columns = schema.columns.map { (name: $0.name, declaredType: $0.declaredType) }
            let cursor = config.cursorColumn.flatMap { schema.contains($0) ? $0 : nil }
            streams.append(
                StreamDescriptor(
                    name: name, schema: TableSchema.recordSchema(columns),
                    primaryKey: schema.primaryKey, cursorField: cursor))
        }
        return streams
    }

    /// Starts reading a table or the query, after the checkpoint's cursor when incremental.
    func read(_ request: ReadRequest) throws -> any BatchReader {
        let cursor = config.cursorColumn ?? request.cursorField
        let from: String
        var usesRowID = false
        if let query = config.query {
            guard request.stream == queryStream else {
                throw PluginError.invalid("unknown stream '\(request.stream)'; this connection reads '\(queryStream)'")
            }
            from = "(\(query))"
        } else {
            let table = config.table ?? request.stream
            guard let schema = try TableSchema.load(table, from: database) else {
                throw PluginError.invalid("no table '\(table)' in '\(config.path)'")
            }
            if let cursor, !schema.contains(cursor) {
                throw PluginError.invalid("table '\(table)' has no cursor column '\(cursor)'")
            }
            from = SQLiteDatabase.quote(table)
            usesRowID =
                (try? database.prepare("SELECT rowid FROM \(from) LIMIT 0", purpose: "check the table for a rowid"))
                != nil
        }
        let rowID = usesRowID ? "rowid AS \"_ferry_rowid\", " : ""
        var conditions: [String] = []
        var bindings: [JSONValue] = []
        if let cursor {
            let column = SQLiteDatabase.quote(cursor)
            if !request.fullRefresh, let checkpoint = request.checkpoint, let last = checkpoint["cursor"], !last.isNull
            {
                if usesRowID, let lastRow = checkpoint["rowid"]?.intValue {
                    conditions.append("(\(column) > ? OR (\(column) = ? AND rowid > ?))")
                    bindings += [last, last, .int(lastRow)]
                } else {
                    conditions.append("\(column) > ?")
                    bindings.append(last)
                }
            }
            if let since = request.since {
                conditions.append("\(column) >= ?")
                bindings.append(.string(since))
            }
            if let until = request.until {
                conditions.append("\(column) < ?")
                bindings.append(.string(until))
            }
        }
        var sql = "SELECT \(rowID)* FROM \(from)"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        if let cursor {
            sql += " ORDER BY \(SQLiteDatabase.quote(cursor))" + (usesRowID ? ", rowid" : "")
        } else if usesRowID {
            sql += " ORDER BY rowid"
        }
        let statement = try database.prepare(sql, purpose: "read the stream")
        for (index, value) in bindings.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .int(let integer): try statement.bind(integer, at: position)
            case .double(let double): try statement.bind(double, at: position)
            case .string(let text): try statement.bind(text, at: position)
            case .bool(let flag): try statement.bind(Int64(flag ? 1 : 0), at: position)
            default: try statement.bind(JSONWriter().encodeString(value), at: position)
            }
        }
        return RowReader(
            statement: statement, cursor: cursor, hasRowID: usesRowID,
            batchSize: max(1, request.batchSize), isCancelled: isCancelled)
    }
}

/// Steps one statement, a batch of rows per `next()`.
final class RowReader: BatchReader {
    private let statement: SQLiteStatement
    private let batchSize: Int
    private let isCancelled: () -> Bool
    private let firstColumn: Int32
    private let names: [String]
    private let cursorIndex: Int32?
    private var done = false
    /// The query ran to its last row: the table's whole (selected) content was returned.
    var isComplete: Bool { done }

    init(statement: SQLiteStatement, cursor: String?, hasRowID: Bool, batchSize: Int, isCancelled: @escaping () -> Bool)
    {
        self.statement = statement
        self.batchSize = batchSize
        self.isCancelled = isCancelled
        firstColumn = hasRowID ? 1 : 0
        let names = (0..<statement.columnCount).map { statement.columnName(at: $0) }
        self.names = names
        cursorIndex = cursor.flatMap { cursor in
            names.indices.dropFirst(hasRowID ? 1 : 0).first { names[$0] == cursor }.map(Int32.init)
        }
    }

    func next() throws -> RecordBatch? {
        if isCancelled() { throw PluginError.cancelled() }
        guard !done else { return nil }
        var batch = RecordBatch(reservingBytes: batchSize * 128)
        var lastCursor: JSONValue = .null
        var lastRowID: Int64?
        do {
            while batch.count < batchSize {
                guard try statement.step() else {
                    done = true
                    break
                }
                var members: [(key: String, value: JSONValue)] = []
                members.reserveCapacity(names.count)
                for index in firstColumn..<Int32(names.count) {
                    members.append((names[Int(index)], value(at: index)))
                }
                batch.append(JSONObject(members))
                if let cursorIndex { lastCursor = value(at: cursorIndex) }
                if firstColumn == 1 { lastRowID = statement.int64(at: 0) }
            }
        } catch let error as SQLiteError {
            throw error.pluginError
        }
        if done { statement.reset() }
        guard !batch.isEmpty else { return nil }
        if cursorIndex != nil {
            var checkpoint: JSONObject = ["cursor": lastCursor]
            if let lastRowID { checkpoint["rowid"] = .int(lastRowID) }
            batch.checkpoint = .object(checkpoint)
        }
        return batch
    }

    /// A column as JSON: INTEGER → int, REAL → double, TEXT → string (not parsed), BLOB → base64, NULL → null.
    private func value(at index: Int32) -> JSONValue {
        switch statement.storageClass(at: index) {
        case SQLITE_INTEGER: return .int(statement.int64(at: index))
        case SQLITE_FLOAT: return .double(statement.double(at: index))
        case SQLITE_TEXT: return .string(statement.string(at: index))
        case SQLITE_BLOB: return .string(Self.base64(statement.blob(at: index)))
        default: return .null
        }
    }

    /// Standard base64 with padding (RFC 4648).
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output += [
                alphabet[Int(chunk >> 18 & 63)], alphabet[Int(chunk >> 12 & 63)], alphabet[Int(chunk >> 6 & 63)],
                alphabet[Int(chunk & 63)],
            ]
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let chunk = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            output += [alphabet[Int(chunk >> 18 & 63)], alphabet[Int(chunk >> 12 & 63)]]
            output +=
                rest == 2
                ? [alphabet[Int(chunk >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: output, as: UTF8.self)
    }
}
