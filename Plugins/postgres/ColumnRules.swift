import FerryJSON
import FerryPluginSDK

/// What PostgreSQL can make a column of, and what a key column holds exactly.
///
/// A record whose field names cannot become columns is rejected alone: a failed
/// `ALTER TABLE` would fail its whole batch, and so every later run. Key columns
/// follow ``KeyIdentity``: text parameters would otherwise let the server turn
/// `"1001"` into 1001 in a `bigint` column, or 1001 into `'1001'` in a `text` one.
enum ColumnRules {
    /// PostgreSQL's limit of columns per table.
    static let maxColumns = 1600

    /// Why a record's field names cannot become columns, or nil: each is that record's
    /// rejection, as a failed `ALTER TABLE` would fail the whole batch on every run.
    static func fieldProblem(_ object: JSONObject) -> String? {
        let count = object.members.count
        if count > maxColumns {
            return "record has \(count) fields; a PostgreSQL table holds at most \(maxColumns) columns"
        }
        for key in object.keys where key.isEmpty || key.utf8.contains(0) || key.utf8.count > 63 {
            return
                "field name \(JSONWriter().encodeString(.string(key))) is empty, holds NUL or exceeds PostgreSQL's 63 bytes"
        }
        return nil
    }

    /// The type of a new key column, from the key's JSON type.
    static func keyType(_ key: String, properties: JSONObject?, objects: [JSONObject?]) -> String {
        KeyIdentity.column(forProperty: properties?[key], values: objects.lazy.compactMap { $0?[key] }) == .integer
            ? "bigint" : "text"
    }

    /// What each key field's column holds exactly: integers for integer types, strings for the rest.
    static func keyColumns(_ keys: [String], in table: TableSchema) -> [String: KeyIdentity.Column] {
        var kinds: [String: KeyIdentity.Column] = [:]
        for key in keys {
            guard let type = table.column(key)?.type else { continue }
            let base = type.split(separator: "(").first.map(String.init) ?? type
            kinds[key] = ["smallint", "integer", "bigint", "numeric"].contains(base) ? .integer : .text
        }
        return kinds
    }
}
