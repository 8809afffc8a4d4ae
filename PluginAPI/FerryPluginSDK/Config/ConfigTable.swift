import FerryJSON

/// A connector's config keys, declared once: the single source of the `config` JSON Schema in
/// the plugin's spec, of the checks `open` runs, of `ferry plugins info` and of the generated
/// `docs/connectors/NAME.md` (docs/writing-a-swift-plugin.md shows one).
///
/// ```swift
/// static let configKeys = ConfigTable([
///     ConfigKey("dsn", .string, required: true, secret: true, "libpq connection string."),
///     ConfigKey("rows_per_statement", .integer, default: 500, minimum: 1, "Rows per INSERT."),
/// ])
/// ```
///
/// Nested objects (a stream, its pagination) are `.object(ConfigTable([...]))` keys, lists of them
/// `.array(of: .object(...))`.
public struct ConfigTable: Sendable {
    /// The keys, in the order the reference lists them.
    public var keys: [ConfigKey]
    /// True when keys not in the table are passed on unchecked (a table still being written).
    public var allowsOtherKeys: Bool
    /// Added to the unknown-key error: where keys that do not belong here go instead.
    public var unknownKeyAdvice: String?

    /// Declares a table.
    /// - Parameters:
    ///   - keys: The keys, in the order the reference lists them.
    ///   - allowsOtherKeys: True to pass keys not in the table on unchecked.
    ///   - unknownKeyAdvice: Added to the unknown-key error, e.g. "(the endpoint goes in the connection's http:)".
    public init(_ keys: [ConfigKey], allowsOtherKeys: Bool = false, unknownKeyAdvice: String? = nil) {
        self.keys = keys
        self.allowsOtherKeys = allowsOtherKeys
        self.unknownKeyAdvice = unknownKeyAdvice
    }

    /// A table that declares nothing and lets every key through: the default of a plugin that
    /// still writes its `configSchema` by hand.
    public static let undeclared = ConfigTable([], allowsOtherKeys: true)

    /// The key named `name`, if the table has it.
    public func key(_ name: String) -> ConfigKey? { keys.first { $0.name == name } }

    /// The JSON Schema of an object with these keys.
    public var schema: JSONValue {
        var schema: JSONObject = ["type": "object"]
        if !allowsOtherKeys { schema["additionalProperties"] = false }
        let required = keys.filter(\.isRequired).map { JSONValue.string($0.name) }
        if !required.isEmpty { schema["required"] = .array(required) }
        schema["properties"] = .object(JSONObject(keys.map { (key: $0.name, value: .object($0.schema)) }))
        return .object(schema)
    }

    /// Checks `object` against the table (unknown keys, required keys, every value's type and
    /// bounds, nested tables too) and wraps it for typed reading.
    /// - Parameters:
    ///   - object: The connection's `config`, or a nested object of it.
    ///   - path: How errors name the object: `config`, `config.streams[0]`.
    /// - Returns: The values, defaults applied on reading.
    /// - Throws: `PluginError.invalid` naming the key and what was expected; never a secret's value.
    public func parse(_ object: JSONObject, at path: String = "config") throws -> ConfigValues {
        if !allowsOtherKeys {
            for name in object.keys where key(name) == nil {
                var message =
                    "\(path): unknown key '\(name)'; valid keys are "
                    + keys.map(\.name).joined(separator: ", ")
                if let unknownKeyAdvice { message += " " + unknownKeyAdvice }
                throw PluginError.invalid(message)
            }
        }
        for key in keys {
            let value = object[key.name]
            guard let value, !value.isNull else {
                if key.isRequired { throw PluginError.invalid("\(path).\(key.name) is required: \(key.description)") }
                continue
            }
            try ConfigCheck(key: key).check(value, as: key.type, at: "\(path).\(key.name)")
        }
        return ConfigValues(object: object, table: self, path: path)
    }
}
