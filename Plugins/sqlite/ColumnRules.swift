import FerryJSON
import FerryPluginSDK

/// What SQLite can make a column of, and what a key column holds exactly.
///
/// A record whose field names cannot become columns is rejected alone: a failed
/// `ALTER TABLE` would fail its whole batch, and so every later run, since the
/// batch never passes. Key columns follow ``KeyIdentity``: SQLite's type affinity
/// would otherwise turn `"1001"` into 1001 in an `INTEGER` column, or 1001 into
/// `"1001"` in a `TEXT` one.
enum ColumnRules {
    /// Why a record's field names cannot become columns, or nil.
    /// - Parameters:
    ///   - object: The record.
    ///   - maxColumns: The connection's column limit (`SQLITE_LIMIT_COLUMN`).
    static func fieldProblem(_ object: JSONObject, maxColumns: Int) -> String? {
        let count = object.members.count
        if count > maxColumns {
            return "record has \(count) fields; a SQLite table holds at most \(maxColumns) columns"
        }
        var seen = Set<String>()
        for key in object.keys {
            if key.contains("\0") {
                return "field name \(JSONWriter().encodeString(.string(key))) holds NUL, which no column name can"
            }
            if !seen.insert(TableSchema.folded(key)).inserted {
                return "field '\(key)' differs from another only in letter case, and SQLite column names ignore case"
            }
        }
        return nil
    }

    /// A column's type affinity, as SQLite derives it from the declared type (in this order:
    /// "INT", then "CHAR"/"CLOB"/"TEXT", then "BLOB" or no type, then "REAL"/"FLOA"/"DOUB").
    enum Affinity {
        case integer, text, blob, real, numeric
    }

    static func affinity(declared: String) -> Affinity {
        let type = declared.uppercased()
        if type.contains("INT") { return .integer }
        if type.contains("CHAR") || type.contains("CLOB") || type.contains("TEXT") { return .text }
        if type.isEmpty || type.contains("BLOB") { return .blob }
        if type.contains("REAL") || type.contains("FLOA") || type.contains("DOUB") { return .real }
        return .numeric
    }

    /// A declared type's key kind by SQLite's affinity rules: INTEGER stores integers, TEXT
    /// strings, none (BLOB) either as given; REAL and NUMERIC keep only integers exact.
    static func keyColumn(declared: String) -> KeyIdentity.Column {
        switch affinity(declared: declared) {
        case .integer, .real, .numeric: return .integer
        case .text: return .text
        case .blob: return .integerOrText
        }
    }

    /// The declared type of a new key column.
    static func declaredType(of column: KeyIdentity.Column) -> String {
        switch column {
        case .integer: return "INTEGER"
        case .text: return "TEXT"
        case .integerOrText: return ""
        }
    }
}
