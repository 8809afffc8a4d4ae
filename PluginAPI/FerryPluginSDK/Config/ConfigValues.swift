import FerryJSON

/// A config object checked by ``ConfigTable/parse(_:at:)``, read by key with the table's defaults.
///
/// Every accessor names a key of the table; reading a key the table lacks or as another type
/// throws an error naming the key and what was expected, so a connector cannot drift from its table.
public struct ConfigValues: Sendable {
    /// The object as given.
    public let object: JSONObject
    /// The table it was checked against.
    public let table: ConfigTable
    /// How errors name the object: `config`, `config.streams[0]`.
    public let path: String

    /// True when the config gives the key (not null).
    public func isGiven(_ key: String) -> Bool { object[key].map { !$0.isNull } ?? false }

    /// The key's value as given, else its default; nil when neither.
    public func value(_ key: String) throws -> JSONValue? {
        guard let declared = table.key(key) else {
            guard table.allowsOtherKeys else {
                throw PluginError.invalid("\(path).\(key) is not a declared key of this connector")
            }
            return object[key].flatMap { $0.isNull ? nil : $0 }
        }
        if let given = object[key], !given.isNull { return given }
        return declared.defaultValue
    }

    /// A string key; throws when it is absent and has no default.
    public func string(_ key: String) throws -> String { try present(optionalString(key), key) }
    /// A string key, or nil when it is absent and has no default.
    public func optionalString(_ key: String) throws -> String? {
        try read(key, "a string") { $0.stringValue }
    }

    /// An integer key; throws when it is absent and has no default.
    public func integer(_ key: String) throws -> Int64 { try present(optionalInteger(key), key) }
    /// An integer key, or nil when it is absent and has no default. Digits given as a string are
    /// read too when the key's type allows strings (`.anyOf([.integer, .string])`).
    public func optionalInteger(_ key: String) throws -> Int64? {
        try read(key, "an integer") { value in
            if case .int(let number) = value { return number }
            return value.stringValue.flatMap { Int64($0) }
        }
    }

    /// A number key; throws when it is absent and has no default.
    public func number(_ key: String) throws -> Double { try present(optionalNumber(key), key) }
    /// A number key, or nil when it is absent and has no default.
    public func optionalNumber(_ key: String) throws -> Double? { try read(key, "a number") { $0.doubleValue } }

    /// A boolean key; throws when it is absent and has no default.
    public func bool(_ key: String) throws -> Bool { try present(optionalBool(key), key) }
    /// A boolean key, or nil when it is absent and has no default.
    public func optionalBool(_ key: String) throws -> Bool? { try read(key, "true or false") { $0.boolValue } }

    /// A list-of-strings key, or nil when it is absent and has no default.
    public func optionalStrings(_ key: String) throws -> [String]? {
        try read(key, "a list of strings") { value in
            guard let items = value.arrayValue else { return nil }
            let strings = items.compactMap(\.stringValue)
            return strings.count == items.count ? strings : nil
        }
    }

    /// A key given as one string or a list of them (`.anyOf([.string, .array(of: .string)])`,
    /// `primary_key: id` or `[a, b]`), as a list; nil when absent and without default.
    public func optionalStringList(_ key: String) throws -> [String]? {
        if case .string(let single)? = try value(key) { return [single] }
        return try optionalStrings(key)
    }

    /// A nested object key, checked against its own table, or nil when absent.
    public func optionalTable(_ key: String) throws -> ConfigValues? {
        guard let value = try value(key) else { return nil }
        guard case .object(let table)? = table.key(key)?.type, let object = value.objectValue else {
            throw PluginError.invalid("\(path).\(key) must be an object")
        }
        return try table.parse(object, at: "\(path).\(key)")
    }

    /// A list-of-objects key, each checked against the item table, or nil when absent.
    public func optionalTables(_ key: String) throws -> [ConfigValues]? {
        guard let value = try value(key) else { return nil }
        guard case .array(of: .object(let table))? = table.key(key)?.type, let items = value.arrayValue else {
            throw PluginError.invalid("\(path).\(key) must be a list of objects")
        }
        return try items.enumerated().map { index, item in
            guard let object = item.objectValue else {
                throw PluginError.invalid("\(path).\(key)[\(index)] must be an object")
            }
            return try table.parse(object, at: "\(path).\(key)[\(index)]")
        }
    }

    private func read<T>(_ key: String, _ expectation: String, _ convert: (JSONValue) -> T?) throws -> T? {
        guard let value = try value(key) else { return nil }
        guard let converted = convert(value) else {
            let shown =
                table.key(key)?.isSecret == true ? ConfigCheck.kind(of: value) : JSONWriter().encodeString(value)
            throw PluginError.invalid("\(path).\(key) must be \(expectation), got \(shown)")
        }
        return converted
    }

    private func present<T>(_ value: T?, _ key: String) throws -> T {
        guard let value else {
            let description = table.key(key)?.description ?? ""
            throw PluginError.invalid("\(path).\(key) is required" + (description.isEmpty ? "" : ": \(description)"))
        }
        return value
    }
}
