import FerryJSON
import FerryPluginSDK

/// `config.references`: columns of a destination table filled, after each batch is written,
/// from a row of another table found by matching columns — a child's link to its parent's
/// generated key (a job's `repair_order_id` = the `id` uuid of the repair order with the same
/// `shop_id` and `tm_id` = the job's `ro_tm_id`), as warehouses that key rows by their own
/// UUIDs want. Resolved in SQL inside the batch's transaction, just before it commits, so a
/// parent written by any output of the same fan-out batch is found, whatever the outputs'
/// order, and only the batch's rows are touched.
struct Reference: Equatable {
    /// The column to fill.
    var column: String
    /// The table holding the value (`schema.table`, or a table of the connection's schema).
    var table: String
    /// This table's column → the other table's column, every pair equal.
    var match: [(this: String, other: String)]
    /// The other table's column whose value is taken.
    var select: String

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.column == rhs.column && lhs.table == rhs.table && lhs.select == rhs.select
            && lhs.match.map(\.this) == rhs.match.map(\.this) && lhs.match.map(\.other) == rhs.match.map(\.other)
    }

    /// `config.references`: stream name → list of references.
    static func parse(_ value: JSONValue) throws -> [String: [Reference]] {
        guard case .object(let streams) = value else {
            throw PluginError.invalid("config.references must map stream names to lists of references")
        }
        var result: [String: [Reference]] = [:]
        for (stream, list) in streams {
            guard case .array(let items) = list else {
                throw PluginError.invalid("config.references.\(stream) must be a list")
            }
            result[stream] = try items.enumerated().map { position, item in
                try Reference(item, at: "config.references.\(stream)[\(position)]")
            }
        }
        return result
    }

    init(_ value: JSONValue, at where_: String) throws {
        guard case .object(let object) = value else { throw PluginError.invalid("\(where_) must be an object") }
        for key in object.keys where !["column", "table", "match", "select"].contains(key) {
            throw PluginError.invalid("\(where_) has unknown key '\(key)'; valid: column, table, match, select")
        }
        func name(_ key: String) throws -> String {
            guard let text = object[key]?.stringValue, !text.isEmpty, !text.utf8.contains(0) else {
                throw PluginError.invalid("\(where_).\(key) must name a column or table")
            }
            return text
        }
        column = try name("column")
        table = try name("table")
        select = try name("select")
        guard case .object(let pairs)? = object["match"], !pairs.isEmpty else {
            throw PluginError.invalid(
                "\(where_).match must map this table's columns to the other's, e.g. { shop_id: shop_id, ro_tm_id: tm_id }"
            )
        }
        let other = table
        match = try pairs.map { this, column in
            guard let column = column.stringValue, !column.isEmpty, !column.utf8.contains(0), !this.utf8.contains(0)
            else { throw PluginError.invalid("\(where_).match.\(this) must name a column of \(other)") }
            return (this, column)
        }
    }
}

/// Rows of one write whose reference columns are still to fill.
struct PendingReferences {
    var references: [Reference]
    var table: TableSchema
    var rows: [JSONObject]
    var key: [String]
}

extension PostgresDestination {
    /// Fills the stream's reference columns for the rows just written, keyed by `key` (the
    /// upsert's key columns).
    /// - Returns: How many of the rows found no matching row to take a value from.
    func resolve(
        _ references: [Reference], in table: TableSchema, rows: [JSONObject], key: [String], client: PostgresClient
    ) throws -> Int {
        guard !references.isEmpty, !rows.isEmpty else { return 0 }
        guard !key.isEmpty else {
            throw PluginError.invalid(
                "config.references.\(table.name.table) needs a primary key to find the rows a batch wrote")
        }
        var unresolved = 0
        for reference in references {
            let other = try tableName(for: reference.table)
            for column in [reference.column] + reference.match.map(\.this) + key where !table.contains(column) {
                throw PluginError.invalid(
                    "config.references: '\(column)' is not a column of \(table.name.description)")
            }
            let keyTypes = key.map { table.column($0)?.type ?? "text" }
            let rowsPerStatement = max(1, 5_000 / max(key.count, 1))
            var start = 0
            while start < rows.count {
                let chunk = rows[start..<min(start + rowsPerStatement, rows.count)]
                start += chunk.count
                var parameters = ParameterBuffer()
                var tuples: [String] = []
                for row in chunk {
                    var placeholders: [String] = []
                    for (field, type) in zip(key, keyTypes) {
                        try RowWriter.encode(row[field] ?? .null, asJSON: false, into: &parameters)
                        placeholders.append("$\(parameters.count)::\(type)")
                    }
                    tuples.append("(" + placeholders.joined(separator: ", ") + ")")
                }
                let keyList = key.map { "c." + quote($0) }.joined(separator: ", ")
                let matches = reference.match.map { "p.\(quote($0.other)) = c.\(quote($0.this))" }
                let sql = """
                    UPDATE \(table.name.sql) AS c SET \(quote(reference.column)) = p.\(quote(reference.select))
                    FROM \(other.sql) AS p
                    WHERE \(matches.joined(separator: " AND "))
                      AND c.\(quote(reference.column)) IS DISTINCT FROM p.\(quote(reference.select))
                      AND (\(keyList)) IN (\(tuples.joined(separator: ", ")))
                    """
                _ = try client.query(sql, parameters)
                let missing = """
                    SELECT count(*) FROM \(table.name.sql) AS c
                    WHERE c.\(quote(reference.column)) IS NULL AND (\(keyList)) IN (\(tuples.joined(separator: ", ")))
                    """
                unresolved += Int(try client.query(missing, parameters).text(0, 0) ?? "0") ?? 0
            }
        }
        return unresolved
    }
}
