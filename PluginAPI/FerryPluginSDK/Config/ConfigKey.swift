import FerryJSON

/// One key of a connector's `config` object: its name, type, default and meaning.
///
/// The one place a connector says what a key is. The SDK derives from it the key's
/// JSON Schema (the plugin's spec), its parsing and checking, `ferry plugins info` and
/// the generated `docs/connectors/NAME.md`.
public struct ConfigKey: Sendable {
    /// The key as written in the config.
    public var name: String
    /// What its value must be.
    public var type: ConfigType
    /// The value used when the key is absent, if there is one.
    public var defaultValue: JSONValue?
    /// True when the config must give the key.
    public var isRequired: Bool
    /// True when the value is a credential: the host masks it in logs, errors and output.
    public var isSecret: Bool
    /// One line saying what the key does.
    public var description: String
    /// An example value, for the generated reference.
    public var example: JSONValue?
    /// The smallest number allowed, for `integer` and `number` keys.
    public var minimum: Double?
    /// The largest number allowed, for `integer` and `number` keys.
    public var maximum: Double?

    /// Declares a key.
    /// - Parameters:
    ///   - name: The key as written in the config.
    ///   - type: What its value must be.
    ///   - default: The value used when the key is absent.
    ///   - required: True when the config must give the key.
    ///   - secret: True for credentials, which the host masks everywhere.
    ///   - minimum: The smallest number allowed.
    ///   - maximum: The largest number allowed.
    ///   - example: An example value, for the generated reference.
    ///   - description: One line saying what the key does.
    public init(
        _ name: String, _ type: ConfigType, default: JSONValue? = nil, required: Bool = false, secret: Bool = false,
        minimum: Double? = nil, maximum: Double? = nil, example: JSONValue? = nil, _ description: String
    ) {
        self.name = name
        self.type = type
        self.defaultValue = `default`
        self.isRequired = required
        self.isSecret = secret
        self.minimum = minimum
        self.maximum = maximum
        self.example = example
        self.description = description
    }

    /// The key's JSON Schema: its type's fragment plus description, default, bounds, example,
    /// and for secrets `"writeOnly": true` (standard) with `"x-ferry-secret": true` (what the host reads).
    public var schema: JSONObject {
        var schema = type.schema
        schema["description"] = .string(description)
        if let defaultValue { schema["default"] = defaultValue }
        if let minimum { schema["minimum"] = Self.number(minimum) }
        if let maximum { schema["maximum"] = Self.number(maximum) }
        if let example { schema["examples"] = [example] }
        if isSecret {
            schema["writeOnly"] = true
            schema["x-ferry-secret"] = true
        }
        return schema
    }

    /// A bound as an integer when it is one, so that `"minimum": 0` reads as written.
    private static func number(_ value: Double) -> JSONValue {
        value.rounded() == value && abs(value) < 1e15 ? .int(Int64(value)) : .double(value)
    }
}
