import CSQLite
import FerryJSON
import FerrySQLite

/// A table's columns as the connector knows them, with the mapping between
/// JSON Schema types and SQLite declared types in both directions.
struct TableSchema {
    /// One column: its name, declared type and position in the primary key (0: not in it).
    struct Column {
        var name: String
        var declaredType: String
        var primaryKeyPosition: Int
    }

    var name: String
    private(set) var columns: [Column]
    private(set) var names: Set<String>

    init(name: String, columns: [Column]) {
        self.name = name
        self.columns = columns
        self.names = Set(columns.map { Self.folded($0.name) })
    }

    /// A name with ASCII letters lowercased: SQLite matches column names ignoring their case.
    static func folded(_ name: String) -> String {
        String(decoding: name.utf8.map { (0x41...0x5A).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// The primary key columns in key order.
    var primaryKey: [String] {
        columns.filter { $0.primaryKeyPosition > 0 }.sorted { $0.primaryKeyPosition < $1.primaryKeyPosition }.map(
            \.name)
    }

    func contains(_ column: String) -> Bool { names.contains(Self.folded(column)) }

    /// The column named `name`, ignoring ASCII case as SQLite does.
    func column(_ name: String) -> Column? {
        let folded = Self.folded(name)
        return columns.first { Self.folded($0.name) == folded }
    }

    mutating func add(_ column: Column) {
        columns.append(column)
        names.insert(Self.folded(column.name))
    }

    /// Reads a table's columns, or nil when it does not exist.
    static func load(_ table: String, from database: SQLiteDatabase) throws -> TableSchema? {
        let statement = try database.prepare(
            "SELECT name, type, pk FROM pragma_table_info(?)", purpose: "read the table's columns")
        try statement.bind(table, at: 1)
        var columns: [Column] = []
        while try statement.step() {
            columns.append(
                Column(
                    name: statement.string(at: 0), declaredType: statement.string(at: 1),
                    primaryKeyPosition: Int(statement.int64(at: 2))))
        }
        return columns.isEmpty ? nil : TableSchema(name: table, columns: columns)
    }

    /// The names of the user tables (SQLite's own and Ferry's bookkeeping tables excluded).
    static func tableNames(in database: SQLiteDatabase) throws -> [String] {
        let statement = try database.prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT IN ('_ferry_batches', '_ferry_checkpoints') ORDER BY name",
            purpose: "list the tables")
        var names: [String] = []
        while try statement.step() { names.append(statement.string(at: 0)) }
        return names
    }

    /// True when a unique index or primary key covers exactly `key` (in any order).
    static func hasUniqueKey(_ key: [String], table: String, in database: SQLiteDatabase) throws -> Bool {
        let wanted = Set(key)
        let indexes = try database.prepare(
            "SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1", purpose: "list the table's unique indexes")
        try indexes.bind(table, at: 1)
        var names: [String] = []
        while try indexes.step() { names.append(indexes.string(at: 0)) }
        for index in names {
            let info = try database.prepare(
                "SELECT name FROM pragma_index_info(?)", purpose: "read a unique index's columns")
            try info.bind(index, at: 1)
            var columns: Set<String> = []
            while try info.step() { columns.insert(info.string(at: 0)) }
            if columns == wanted { return true }
        }
        // A rowid alias (INTEGER PRIMARY KEY) has no index of its own.
        if key.count == 1, let schema = try load(table, from: database) {
            return schema.primaryKey == key
        }
        return false
    }

    // MARK: Type mapping

    /// The declared SQL type for a JSON Schema property (`{"type": ...}`): a
    /// list of types uses its first non-null entry; unknown gives no type.
    static func sqlType(forProperty property: JSONValue?) -> String {
        let typeValue = property?["type"]
        let type =
            typeValue?.stringValue
            ?? typeValue?.arrayValue?.compactMap(\.stringValue).first { $0 != "null" }
        switch type {
        case "integer", "boolean": return "INTEGER"
        case "number": return "REAL"
        case "string", "object", "array": return "TEXT"
        default: return ""
        }
    }

    /// The declared SQL type for a record value; null gives no type.
    static func sqlType(for value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case .bool, .int: return "INTEGER"
        case .double: return "REAL"
        case .string, .array, .object: return "TEXT"
        }
    }

    /// The JSON Schema type for a declared SQL type, by SQLite's affinity rules;
    /// nil for BLOB or no type (any value).
    static func jsonType(forDeclared declared: String) -> String? {
        switch ColumnRules.affinity(declared: declared) {
        case .integer: return "integer"
        case .text: return "string"
        case .blob: return nil
        case .real: return "number"
        case .numeric:
            let type = declared.uppercased()
            if type.contains("BOOL") { return "boolean" }
            if type.contains("DATE") || type.contains("TIME") { return "string" }
            return "number"
        }
    }

    /// The JSON Schema of a record with these columns.
    static func recordSchema(_ columns: [(name: String, declaredType: String)]) -> JSONValue {
        let properties = JSONObject(
            columns.map { column in
                (
                    key: column.name,
                    value: jsonType(forDeclared: column.declaredType).map { ["type": .string($0)] } ?? [:]
                )
            })
        return ["type": "object", "properties": .object(properties)]
    }
}
