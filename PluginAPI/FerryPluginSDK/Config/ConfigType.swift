import FerryJSON

/// The type of one config key, as a connector declares it in its ``ConfigTable``.
///
/// Each case maps to one JSON Schema fragment (``schema``) and one check of a given value
/// (``ConfigTable/parse(_:at:)``), so that the schema in the plugin's spec and the parsing
/// cannot disagree.
public indirect enum ConfigType: Sendable {
    /// A JSON string.
    case string
    /// A whole number.
    case integer
    /// Any JSON number.
    case number
    /// `true` or `false`.
    case boolean
    /// One of these strings.
    case oneOf([String])
    /// An object whose keys are the table's keys.
    case object(ConfigTable)
    /// A list whose items all have this type.
    case array(of: ConfigType)
    /// An object with free keys (stream names, column names) whose values all have this type.
    case map(of: ConfigType)
    /// Any of these types (YAML may type `1234567` as a number where digits are meant).
    case anyOf([ConfigType])
    /// Any JSON value, passed on as written (a request body template, for instance).
    case json

    /// The JSON Schema fragment for this type.
    public var schema: JSONObject {
        switch self {
        case .string: return ["type": "string"]
        case .integer: return ["type": "integer"]
        case .number: return ["type": "number"]
        case .boolean: return ["type": "boolean"]
        case .oneOf(let values): return ["type": "string", "enum": .array(values.map(JSONValue.string))]
        case .object(let table): return table.schema.objectValue ?? [:]
        case .array(let item): return ["type": "array", "items": .object(item.schema)]
        case .map(let value): return ["type": "object", "additionalProperties": .object(value.schema)]
        case .anyOf(let types):
            let names = types.compactMap { $0.schema["type"]?.stringValue }
            if names.count == types.count, types.allSatisfy({ $0.schema.count == 1 }) {
                return ["type": .array(names.map(JSONValue.string))]
            }
            return ["anyOf": .array(types.map { .object($0.schema) })]
        case .json: return [:]
        }
    }

    /// The type in a few words, for errors and the generated reference ("integer", "list of string").
    public var name: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .number: return "number"
        case .boolean: return "boolean"
        case .oneOf(let values): return "one of " + values.joined(separator: ", ")
        case .object: return "object"
        case .array(let item): return "list of \(item.name)"
        case .map(let value): return "map of \(value.name)"
        case .anyOf(let types): return types.map(\.name).joined(separator: " or ")
        case .json: return "any JSON value"
        }
    }

    /// The type's values in the plural, for "a list of …".
    var plural: String {
        switch self {
        case .string, .integer, .number, .boolean, .object: return name + "s"
        case .array: return "lists"
        case .oneOf(let values): return "values among " + values.joined(separator: ", ")
        default: return "values of type " + name
        }
    }

    /// What a value must be, as an error says it ("an integer", "one of a, b").
    var expectation: String {
        switch self {
        case .string, .number: return "a \(name)"
        case .integer, .object: return "an \(name)"
        case .boolean: return "true or false"
        case .oneOf: return name
        case .json: return "a JSON value"
        case .array(let item): return "a list of \(item.plural)"
        case .map(let value): return "an object whose values are \(value.expectation)"
        case .anyOf(let types): return types.map(\.expectation).joined(separator: " or ")
        }
    }
}
