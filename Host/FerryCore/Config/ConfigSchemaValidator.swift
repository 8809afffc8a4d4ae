import FerryJSON

/// Checks a connection's `config` against the JSON Schema its plugin declares (the spec's
/// `config`), before the plugin sees it: types, required keys, enum values, bounds and unknown
/// keys, in nested objects and lists too.
///
/// It reads the subset of JSON Schema the connectors use: `type` (one or a list), `enum`,
/// `properties`, `required`, `additionalProperties` (false or a schema), `items`, `anyOf`,
/// `minimum` and `maximum`. Other keywords are ignored, so a richer schema is never refused
/// for its own sake. A null member counts as absent, as `key:` with no value reads in YAML.
/// Values of keys marked secret (`x-ferry-secret`, `writeOnly` or the older `secret`) are never
/// quoted in a message.
public struct ConfigSchemaValidator: Sendable {
    /// The schema of the `config` object.
    public let schema: JSONValue

    /// - Parameter schema: The spec's `config` schema.
    public init(schema: JSONValue) { self.schema = schema }

    /// Every problem of `config`, in the order the keys are written; empty when it passes.
    /// - Parameter config: The connection's `config` object.
    public func problems(in config: JSONObject) -> [ConfigSchemaProblem] {
        var problems: [ConfigSchemaProblem] = []
        check(.object(config), against: schema.objectValue ?? [:], at: "", secret: false, into: &problems)
        return problems
    }

    /// True when the schema marks a property as secret.
    public static func isSecret(_ schema: JSONObject) -> Bool {
        schema["x-ferry-secret"]?.boolValue == true || schema["secret"]?.boolValue == true
            || schema["writeOnly"]?.boolValue == true
    }

    private func check(
        _ value: JSONValue, against schema: JSONObject, at path: String, secret: Bool,
        into problems: inout [ConfigSchemaProblem]
    ) {
        if let alternatives = schema["anyOf"]?.arrayValue?.compactMap(\.objectValue), !alternatives.isEmpty {
            let fits = alternatives.contains { alternative in
                var found: [ConfigSchemaProblem] = []
                check(value, against: alternative, at: path, secret: secret, into: &found)
                return found.isEmpty
            }
            if !fits {
                let names = alternatives.compactMap { Self.typeNames($0) }.flatMap { $0 }
                problems.append(mismatch(value, expected: Self.expectation(names), at: path, secret: secret))
            }
            return
        }
        if let names = Self.typeNames(schema), !names.contains(where: { Self.value(value, hasType: $0) }) {
            problems.append(mismatch(value, expected: Self.expectation(names), at: path, secret: secret))
            return
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            let options = allowed.map { $0.stringValue ?? JSONWriter().encodeString($0) }
            var message = "expected one of \(options.joined(separator: ", ")), got \(Self.shown(value, secret: secret))"
            if let text = value.stringValue, !secret, let suggestion = Suggestion.closest(to: text, in: options) {
                message += "; did you mean '\(suggestion)'?"
            }
            problems.append(ConfigSchemaProblem(path: path, kind: .invalidValue, message: message))
            return
        }
        if let number = value.doubleValue {
            if let minimum = schema["minimum"]?.doubleValue, number < minimum {
                problems.append(bound("at least", schema["minimum"]!, value, path, secret))
            } else if let maximum = schema["maximum"]?.doubleValue, number > maximum {
                problems.append(bound("at most", schema["maximum"]!, value, path, secret))
            }
        }
        switch value {
        case .object(let object): checkMembers(of: object, against: schema, at: path, into: &problems)
        case .array(let items):
            guard let itemSchema = schema["items"]?.objectValue else { return }
            for (index, item) in items.enumerated() {
                check(item, against: itemSchema, at: "\(path)[\(index)]", secret: secret, into: &problems)
            }
        default: return
        }
    }

    private func checkMembers(
        of object: JSONObject, against schema: JSONObject, at path: String, into problems: inout [ConfigSchemaProblem]
    ) {
        let properties = schema["properties"]?.objectValue ?? [:]
        for (key, member) in object where !member.isNull {
            let memberPath = path.isEmpty ? key : "\(path).\(key)"
            if let memberSchema = properties[key]?.objectValue {
                check(
                    member, against: memberSchema, at: memberPath, secret: Self.isSecret(memberSchema), into: &problems)
                continue
            }
            switch schema["additionalProperties"] {
            case .bool(false)?:
                var message = "unknown key '\(key)'"
                if let suggestion = Suggestion.closest(to: key, in: properties.keys) {
                    message += "; did you mean '\(suggestion)'?"
                } else if !properties.isEmpty {
                    message += "; valid keys are \(properties.keys.joined(separator: ", "))"
                }
                problems.append(ConfigSchemaProblem(path: memberPath, kind: .unknownKey, message: message))
            case .object(let memberSchema)?:
                check(
                    member, against: memberSchema, at: memberPath, secret: Self.isSecret(memberSchema), into: &problems)
            default:
                continue
            }
        }
        for case .string(let key) in schema["required"]?.arrayValue ?? [] where object[key]?.isNull ?? true {
            var message = "missing required key '\(key)'"
            if let description = properties[key]?.objectValue?["description"]?.stringValue {
                message += " (\(description))"
            }
            problems.append(
                ConfigSchemaProblem(path: path.isEmpty ? key : "\(path).\(key)", kind: .missingKey, message: message))
        }
    }

    private func mismatch(_ value: JSONValue, expected: String, at path: String, secret: Bool) -> ConfigSchemaProblem {
        ConfigSchemaProblem(
            path: path, kind: .typeMismatch, message: "expected \(expected), got \(Self.shown(value, secret: secret))")
    }

    private func bound(_ relation: String, _ limit: JSONValue, _ value: JSONValue, _ path: String, _ secret: Bool)
        -> ConfigSchemaProblem
    {
        ConfigSchemaProblem(
            path: path, kind: .invalidValue,
            message:
                "expected a number \(relation) \(JSONWriter().encodeString(limit)), got \(Self.shown(value, secret: secret))"
        )
    }

    /// The schema's `type` as a list of names, or nil when it sets none.
    static func typeNames(_ schema: JSONObject) -> [String]? {
        switch schema["type"] {
        case .string(let name)?: return [name]
        case .array(let names)?: return names.compactMap(\.stringValue)
        default: return nil
        }
    }

    static func value(_ value: JSONValue, hasType name: String) -> Bool {
        switch (name, value) {
        case ("string", .string), ("boolean", .bool), ("object", .object), ("array", .array), ("null", .null):
            return true
        case ("integer", _): return value.intValue != nil
        case ("number", _): return value.doubleValue != nil
        default: return false
        }
    }

    /// "an integer", "a string or an integer".
    static func expectation(_ names: [String]) -> String {
        let phrases = names.map { name -> String in
            switch name {
            case "integer": return "an integer"
            case "object": return "a mapping"
            case "array": return "a list"
            case "boolean": return "true or false"
            default: return "a \(name)"
            }
        }
        return phrases.joined(separator: " or ")
    }

    /// The given value for a message: its kind only, when secret or long.
    static func shown(_ value: JSONValue, secret: Bool) -> String {
        let kind: String
        switch value {
        case .null: return "null"
        case .bool(let flag): return secret ? "a boolean" : "\(flag)"
        case .int, .double: kind = "a number"
        case .string(let text):
            if secret { return "a string (not shown: the key is secret)" }
            return text.count <= 60 ? "'\(text)'" : "a string of \(text.count) characters"
        case .array: return "a list"
        case .object: return "a mapping"
        }
        return secret ? kind : JSONWriter().encodeString(value)
    }
}
