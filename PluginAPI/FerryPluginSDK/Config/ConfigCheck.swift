import FerryJSON

/// Checks one value against its key's type and bounds; the error names the key's path and what
/// was expected, and shows what was given unless the key is secret.
struct ConfigCheck {
    let key: ConfigKey

    func check(_ value: JSONValue, as type: ConfigType, at path: String) throws {
        switch type {
        case .json: return
        case .string: guard value.stringValue != nil else { throw mismatch(value, type, path) }
        case .boolean: guard value.boolValue != nil else { throw mismatch(value, type, path) }
        case .integer:
            guard case .int = value else { throw mismatch(value, type, path) }
            try checkBounds(value, path)
        case .number:
            guard value.doubleValue != nil else { throw mismatch(value, type, path) }
            try checkBounds(value, path)
        case .oneOf(let allowed):
            guard let text = value.stringValue, allowed.contains(text) else { throw mismatch(value, type, path) }
        case .object(let table):
            guard let object = value.objectValue else { throw mismatch(value, type, path) }
            _ = try table.parse(object, at: path)
        case .array(let item):
            guard let items = value.arrayValue else { throw mismatch(value, type, path) }
            for (index, element) in items.enumerated() { try check(element, as: item, at: "\(path)[\(index)]") }
        case .map(let item):
            guard let object = value.objectValue else { throw mismatch(value, type, path) }
            for (name, element) in object { try check(element, as: item, at: "\(path).\(name)") }
        case .anyOf(let types):
            for candidate in types where (try? check(value, as: candidate, at: path)) != nil { return }
            throw mismatch(value, type, path)
        }
    }

    private func checkBounds(_ value: JSONValue, _ path: String) throws {
        guard let number = value.doubleValue else { return }
        if let minimum = key.minimum, number < minimum {
            throw PluginError.invalid("\(path) must be at least \(Self.format(minimum)), got \(shown(value))")
        }
        if let maximum = key.maximum, number > maximum {
            throw PluginError.invalid("\(path) must be at most \(Self.format(maximum)), got \(shown(value))")
        }
    }

    private func mismatch(_ value: JSONValue, _ type: ConfigType, _ path: String) -> PluginError {
        PluginError.invalid("\(path) must be \(type.expectation), got \(shown(value))")
    }

    /// The given value for an error: its kind only when the key is secret.
    private func shown(_ value: JSONValue) -> String {
        if key.isSecret { return "\(Self.kind(of: value)) (not shown: the key is secret)" }
        switch value {
        case .string(let text): return "'\(text)'"
        case .int, .double, .bool, .null: return JSONWriter().encodeString(value)
        case .array, .object: return Self.kind(of: value)
        }
    }

    /// The value's JSON type with its article ("an integer"), for messages that must not quote it.
    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
