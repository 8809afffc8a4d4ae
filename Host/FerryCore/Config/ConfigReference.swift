import FerryJSON

/// A plugin's config keys as rows, read from its spec's `config` schema: what `ferry plugins info`
/// prints and `docs/connectors/NAME.md` is generated from (`ferry plugins info NAME --markdown`).
///
/// Nested objects give rows of their own under dotted names, lists of objects under `name[].key`
/// (`streams[].pagination.type`), so a Swift connector's sub-tables show as one flat reference.
public struct ConfigReference: Sendable, Equatable {
    /// One key of the reference.
    public struct Row: Sendable, Equatable {
        /// The key's dotted path (`count`, `streams[].path`).
        public var name: String
        /// Its type in words (`integer`, `one of a, b`, `list of string`).
        public var type: String
        /// Its default, as JSON, if it has one.
        public var defaultValue: JSONValue?
        /// True when its object must give it.
        public var isRequired: Bool
        /// True when the plugin marks it secret.
        public var isSecret: Bool
        /// What it does.
        public var description: String
        /// An example value, if the schema gives one.
        public var example: JSONValue?
    }

    /// The rows, parents before their children, in the schema's order.
    public var rows: [Row]

    /// Reads the rows of a `config` schema.
    /// - Parameter schema: The spec's `config` object.
    public init(schema: JSONValue) {
        rows = []
        collect(schema.objectValue ?? [:], prefix: "")
    }

    private mutating func collect(_ object: JSONObject, prefix: String) {
        let required = Set((object["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        for (name, value) in object["properties"]?.objectValue ?? [:] {
            let schema = value.objectValue ?? [:]
            let path = prefix + name
            rows.append(
                Row(
                    name: path, type: Self.typeName(schema), defaultValue: schema["default"],
                    isRequired: required.contains(name), isSecret: ConfigSchemaValidator.isSecret(schema),
                    description: schema["description"]?.stringValue ?? "",
                    example: schema["examples"]?.arrayValue?.first ?? schema["example"]))
            if schema["properties"] != nil { collect(schema, prefix: path + ".") }
            if let items = schema["items"]?.objectValue, items["properties"] != nil {
                collect(items, prefix: path + "[].")
            }
            if let values = schema["additionalProperties"]?.objectValue, values["properties"] != nil {
                collect(values, prefix: path + ".*.")
            }
        }
    }

    /// A schema's type in words.
    static func typeName(_ schema: JSONObject) -> String {
        if let values = schema["enum"]?.arrayValue {
            return "one of " + values.map { $0.stringValue ?? JSONWriter().encodeString($0) }.joined(separator: ", ")
        }
        if let alternatives = schema["anyOf"]?.arrayValue?.compactMap(\.objectValue) {
            return alternatives.map(typeName).joined(separator: " or ")
        }
        var name = (ConfigSchemaValidator.typeNames(schema) ?? ["any"]).joined(separator: " or ")
        if name == "array", let items = schema["items"]?.objectValue { name = "list of " + typeName(items) }
        if name == "object", schema["properties"] == nil, let values = schema["additionalProperties"]?.objectValue {
            name = "map of " + typeName(values)
        }
        if let minimum = schema["minimum"] { name += " ≥ " + JSONWriter().encodeString(minimum) }
        if let maximum = schema["maximum"] { name += " ≤ " + JSONWriter().encodeString(maximum) }
        return name
    }

    /// The rows as a JSON list, for `ferry plugins info --json`.
    public var json: JSONValue {
        .array(
            rows.map { row in
                var object: JSONObject = [
                    "name": .string(row.name), "type": .string(row.type), "required": .bool(row.isRequired),
                    "secret": .bool(row.isSecret), "description": .string(row.description),
                ]
                if let value = row.defaultValue { object["default"] = value }
                if let value = row.example { object["example"] = value }
                return .object(object)
            })
    }
}
