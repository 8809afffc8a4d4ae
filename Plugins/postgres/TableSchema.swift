import FerryJSON
import FerryPluginSDK

/// A table's name and columns as the connector knows them, with the mapping
/// between JSON Schema types and PostgreSQL types in both directions.
struct TableSchema {
    /// A schema-qualified table name.
    struct Name: Hashable {
        var schema: String
        var table: String
        /// `"schema"."table"`, quoted for SQL.
        var sql: String { quote(schema) + "." + quote(table) }
        var description: String { schema + "." + table }
    }

    /// One column: its name and `format_type` text (`bigint`, `jsonb`, `timestamp with time zone`, …).
    struct Column {
        var name: String
        var type: String
        /// True for json/jsonb: every value, strings included, is sent as JSON text.
        var isJSON: Bool { type == "jsonb" || type == "json" }
    }

    var name: Name
    private(set) var columns: [Column]
    private var positions: [String: Int]

    init(name: Name, columns: [Column]) {
        self.name = name
        self.columns = columns
        positions = Dictionary(columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func contains(_ column: String) -> Bool { positions[column] != nil }
    func column(_ name: String) -> Column? { positions[name].map { columns[$0] } }

    mutating func add(_ column: Column) {
        positions[column.name] = columns.count
        columns.append(column)
    }

    // MARK: Catalog

    /// Reads a table's columns, or nil when it does not exist.
    static func load(_ name: Name, from client: PostgresClient) throws -> TableSchema? {
        let result = try client.query(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a
            WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [name.sql])
        guard result.rowCount > 0 else { return nil }
        let columns = (0..<result.rowCount).map {
            Column(name: result.text($0, 0) ?? "", type: result.text($0, 1) ?? "text")
        }
        return TableSchema(name: name, columns: columns)
    }

    /// The primary key's columns in key order (empty when there is none).
    static func primaryKey(of name: Name, from client: PostgresClient) throws -> [String] {
        try client.query(
            """
            SELECT a.attname FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = to_regclass($1) AND i.indisprimary
            ORDER BY array_position(i.indkey::int2[], a.attnum)
            """, [name.sql]
        ).rows.compactMap { $0[0] }
    }

    /// The columns of the named constraint, in its order (empty when there is none).
    static func constraintColumns(_ constraint: String, of name: Name, from client: PostgresClient) throws -> [String] {
        try client.query(
            """
            SELECT a.attname FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
            WHERE c.conrelid = to_regclass($1) AND c.conname = $2
            ORDER BY array_position(c.conkey, a.attnum)
            """, [name.sql, constraint]
        ).rows.compactMap { $0[0] }
    }

    /// True when a plain unique index (or the primary key) covers exactly `key`, in any order.
    static func hasUniqueKey(_ key: [String], on name: Name, from client: PostgresClient) throws -> Bool {
        let result = try client.query(
            """
            SELECT 1 FROM pg_index i
            WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
              AND ARRAY(SELECT a.attname::text FROM pg_attribute a
                        WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) ORDER BY 1)
                  = ARRAY(SELECT unnest($2::text[]) ORDER BY 1)
            """, [name.sql, arrayLiteral(key)])
        return result.rowCount > 0
    }

    /// The base tables of a schema (Ferry's bookkeeping table excluded).
    static func tableNames(in schema: String, from client: PostgresClient) throws -> [String] {
        try client.query(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') AND c.relname NOT IN ('_ferry_batches', '_ferry_checkpoints')
            ORDER BY c.relname
            """, [schema]
        ).rows.compactMap { $0[0] }
    }

    // MARK: Type mapping

    /// The PostgreSQL type for a JSON Schema property, or nil when it names no
    /// usable type. A type list uses its first non-null entry.
    static func sqlType(forProperty property: JSONValue?) -> String? {
        let typeValue = property?["type"]
        let type = typeValue?.stringValue ?? typeValue?.arrayValue?.compactMap(\.stringValue).first { $0 != "null" }
        switch type {
        case "integer": return "bigint"
        case "number": return "double precision"
        case "boolean": return "boolean"
        case "object", "array": return "jsonb"
        case "string":
            switch property?["format"]?.stringValue {
            case "date-time": return "timestamptz"
            case "date": return "date"
            default: return "text"
            }
        default: return nil
        }
    }

    /// The PostgreSQL type for a record value (null gives text).
    static func sqlType(for value: JSONValue) -> String {
        switch value {
        case .null, .string: return "text"
        case .bool: return "boolean"
        case .int: return "bigint"
        case .double: return "double precision"
        case .array, .object: return "jsonb"
        }
    }

    /// The JSON Schema of a column of this type (by `format_type` text or type name).
    static func jsonSchema(forType type: String) -> JSONValue {
        let base = type.split(separator: "(").first.map(String.init) ?? type
        switch base {
        case "smallint", "integer", "bigint", "int2", "int4", "int8": return ["type": "integer"]
        case "real", "double precision", "numeric", "float4", "float8": return ["type": "number"]
        case "boolean", "bool": return ["type": "boolean"]
        case "json", "jsonb": return ["type": ["object", "array"]]
        case "timestamp with time zone", "timestamp without time zone", "timestamptz", "timestamp":
            return ["type": "string", "format": "date-time"]
        case "date": return ["type": "string", "format": "date"]
        default:
            if base.hasSuffix("[]") { return ["type": "array"] }
            return ["type": "string"]
        }
    }

    /// The JSON Schema of a record with these columns.
    static func recordSchema(_ columns: [Column]) -> JSONValue {
        [
            "type": "object",
            "properties": .object(JSONObject(columns.map { (key: $0.name, value: jsonSchema(forType: $0.type)) })),
        ]
    }
}

/// `"name"` with embedded quotes doubled: every identifier Ferry sends is quoted.
func quote(_ identifier: String) -> String {
    var text = "\""
    for character in identifier {
        if character == "\"" { text += "\"\"" } else { text.append(character) }
    }
    return text + "\""
}

/// A PostgreSQL text-array literal (`{"a","b"}`).
func arrayLiteral(_ items: [String]) -> String {
    "{"
        + items.map { item in
            var text = "\""
            for character in item {
                if character == "\"" || character == "\\" { text.append("\\") }
                text.append(character)
            }
            return text + "\""
        }.joined(separator: ",") + "}"
}
