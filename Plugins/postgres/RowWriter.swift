import FerryJSON
import FerryPluginSDK

/// Groups records into multi-row `INSERT` statements with text parameters.
///
/// Consecutive records with the same fields (in the same order) share one
/// statement of up to `rowsPerStatement` rows (and PostgreSQL's 65,535
/// parameters). An upsert statement never holds one key twice, since
/// `ON CONFLICT DO UPDATE` refuses to touch a row twice in one command: a
/// repeated key starts the next statement, so the last record wins.
struct RowWriter {
    /// One statement ready to run.
    struct Statement {
        var sql: String
        var parameters: ParameterBuffer
        /// The batch index of each row, in order: `RETURNING` rows come back in this order.
        var indexes: [Int] = []
        /// True for shapes that recur (full chunks, single rows): worth preparing.
        var isReusable: Bool
    }

    let table: TableSchema
    let operation: WriteOperation
    let conflictTarget: [String]
    let constraint: String?
    let rowsPerStatement: Int
    /// What each key field's column holds exactly; a key value it cannot hold rejects the record.
    let keyColumns: [String: KeyIdentity.Column]
    /// The column returned by `RETURNING` (`assigned_id`), if any.
    let returning: String?

    private var columns: [String] = []
    private var jsonColumns: [Bool] = []
    private var parameters = ParameterBuffer(reservingBytes: 1 << 16)
    private var rows = 0
    private var limit = 1
    private var keysInStatement: Set<[UInt8]> = []
    private var indexes: [Int] = []

    init(
        table: TableSchema, operation: WriteOperation, conflictTarget: [String], constraint: String?,
        rowsPerStatement: Int,
        keyColumns: [String: KeyIdentity.Column] = [:], returning: String? = nil
    ) {
        self.table = table
        self.operation = operation
        self.conflictTarget = conflictTarget
        self.constraint = constraint
        self.rowsPerStatement = rowsPerStatement
        self.keyColumns = keyColumns
        self.returning = returning
    }

    /// Adds a record; returns the statements that became ready (usually none).
    /// Throws `PluginError` for a record that cannot be sent (the others go on).
    /// - Parameters:
    ///   - object: The record.
    ///   - index: Its index in the batch.
    mutating func add(_ object: JSONObject, index: Int) throws -> [Statement] {
        let key = try Self.checkedKey(
            of: object, operation: operation, conflictTarget: conflictTarget, keyColumns: keyColumns)
        let members = object.members
        // Refused before the flush below: a record that throws must not take the statement before it along.
        for member in members { try Self.validate(member.value) }
        var ready: [Statement] = []
        if rows > 0 && (!Self.sameKeys(members, columns) || keysInStatement.contains(key)) {
            ready.append(flush()!)
        }
        if rows == 0 {
            columns = members.map(\.key)
            jsonColumns = columns.map { table.column($0)?.isJSON ?? false }
            limit = max(1, min(rowsPerStatement, 65_535 / max(1, columns.count)))
            keysInStatement.removeAll(keepingCapacity: true)
        }
        let mark = parameters.mark
        do {
            for (index, member) in members.enumerated() {
                try Self.encode(member.value, asJSON: jsonColumns[index], into: &parameters)
            }
        } catch {
            parameters.truncate(to: mark)
            throw error
        }
        rows += 1
        indexes.append(index)
        if operation == .upsert { keysInStatement.insert(key) }
        if rows >= limit { ready.append(flush()!) }
        return ready
    }

    /// The statement for the records added so far, or nil when there are none.
    mutating func flush() -> Statement? {
        guard rows > 0 else { return nil }
        let quoted = columns.map(quote)
        var sql = "INSERT INTO \(table.name.sql) (\(quoted.joined(separator: ", "))) VALUES "
        sql.reserveCapacity(sql.utf8.count + rows * columns.count * 6)
        var placeholder = 1
        for row in 0..<rows {
            sql += row == 0 ? "(" : ", ("
            for column in 0..<columns.count {
                if column > 0 { sql += ", " }
                sql += "$" + String(placeholder)
                placeholder += 1
            }
            sql += ")"
        }
        if operation == .upsert {
            sql += Self.onConflict(
                columns: columns, conflictTarget: conflictTarget, constraint: constraint, returning: returning)
        }
        if let returning { sql += " RETURNING \(quote(returning))" }
        let statement = Statement(
            sql: sql, parameters: parameters, indexes: indexes, isReusable: rows == limit || rows == 1)
        parameters.removeAll()
        indexes.removeAll(keepingCapacity: true)
        rows = 0
        keysInStatement.removeAll(keepingCapacity: true)
        return statement
    }

    /// An upsert's ` ON CONFLICT … DO …` clause for rows of `columns`.
    static func onConflict(columns: [String], conflictTarget: [String], constraint: String?, returning: String?)
        -> String
    {
        let target =
            constraint.map { "ON CONSTRAINT \(quote($0))" } ?? "(\(conflictTarget.map(quote).joined(separator: ", ")))"
        let updates = columns.filter { !conflictTarget.contains($0) }.map(quote).map { "\($0) = EXCLUDED.\($0)" }
        // RETURNING skips rows DO NOTHING leaves alone: with `returning`, touch the key instead.
        let noChange =
            returning == nil || conflictTarget.isEmpty
            ? "NOTHING" : "UPDATE SET \(quote(conflictTarget[0])) = EXCLUDED.\(quote(conflictTarget[0]))"
        return " ON CONFLICT \(target) DO "
            + (updates.isEmpty ? noChange : "UPDATE SET " + updates.joined(separator: ", "))
    }

    /// The record's upsert key (its conflict-target values, NUL-separated; empty for other
    /// operations), after checking each key field fits its column.
    static func checkedKey(
        of object: JSONObject, operation: WriteOperation, conflictTarget: [String],
        keyColumns: [String: KeyIdentity.Column]
    ) throws -> [UInt8] {
        for (field, column) in keyColumns {
            if let value = object[field] { try KeyIdentity.check(value, field: field, column: column) }
        }
        var key: [UInt8] = []
        guard operation == .upsert else { return key }
        for field in conflictTarget {
            guard let value = object[field], !value.isNull else {
                throw PluginError.invalid("record has no value for key field '\(field)'")
            }
            JSONWriter().write(value, into: &key)
            key.append(0)
        }
        return key
    }

    /// True when the record's fields are `keys`, in order.
    static func sameKeys(_ members: [(key: String, value: JSONValue)], _ keys: [String]) -> Bool {
        guard members.count == keys.count else { return false }
        for index in 0..<keys.count where members[index].key != keys[index] { return false }
        return true
    }

    /// Throws for a value no column can store: text holding NUL, a non-finite number.
    static func validate(_ value: JSONValue) throws {
        switch value {
        case .string(let text) where text.utf8.contains(0):
            throw PluginError.invalid("a string holds NUL, which PostgreSQL text cannot store")
        case .double(let double) where !double.isFinite:
            throw PluginError.invalid("a number is not finite")
        default:
            return
        }
    }

    /// Appends one value as a text parameter (see ``columnText(of:asJSON:into:)``); null is SQL NULL.
    static func encode(_ value: JSONValue, asJSON: Bool, into parameters: inout ParameterBuffer) throws {
        guard !value.isNull else { return parameters.appendNull() }
        try validate(value)
        parameters.append { columnText(of: value, asJSON: asJSON, into: &$0) }
    }

    /// A non-null value's text as a column takes it, as parameters and COPY rows both send it:
    /// JSON text for json/jsonb columns and for objects and arrays, else the scalar's text.
    /// `validate` has refused NUL in text and non-finite numbers.
    static func columnText(of value: JSONValue, asJSON: Bool, into bytes: inout [UInt8]) {
        switch value {
        case .string(var text) where !asJSON: text.withUTF8 { bytes.append(contentsOf: $0) }
        case .int(let integer) where !asJSON: bytes.append(contentsOf: String(integer).utf8)
        case .double(let double) where !asJSON: bytes.append(contentsOf: double.description.utf8)
        case .bool(let flag) where !asJSON: bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        default: JSONWriter().write(value, into: &bytes)
        }
    }
}
