import FerryJSON
import FerryPluginSDK

/// One config object checked against its key table (RESTKeys), read with the table's defaults,
/// plus the reads the rest connector shares (query parameters, concurrency, statuses).
struct ConfigFields {
    let values: ConfigValues
    var object: JSONObject { values.object }
    var location: String { values.path }

    /// Checks `object` against its key table: unknown keys, required keys, types, bounds.
    init(_ object: JSONObject, at location: String, table: ConfigTable) throws {
        values = try table.parse(object, at: location)
    }

    /// A string key, its table default when absent.
    func text(_ key: String) throws -> String? { try values.optionalString(key) }

    /// A boolean key, its table default when absent.
    func flag(_ key: String) throws -> Bool? { try values.optionalBool(key) }

    func requiredText(_ key: String) throws -> String {
        guard let text = try text(key), !text.isEmpty else {
            throw PluginError.invalid("\(location).\(key) is required")
        }
        return text
    }

    /// `query:`, an object of scalars, as parameters.
    func query(_ key: String = "query") throws -> [(String, String)] {
        guard let value = object[key], !value.isNull else { return [] }
        guard let object = value.objectValue else { throw PluginError.invalid("\(location).\(key) must be an object") }
        return try Self.parameters(object, at: "\(location).\(key)")
    }

    /// An object of scalars as query parameters.
    static func parameters(_ object: JSONObject, at location: String) throws -> [(String, String)] {
        try object.map { key, value in
            guard let scalar = value.stringValue ?? value.intValue.map(String.init) ?? value.boolValue.map(String.init)
            else { throw PluginError.invalid("\(location).\(key) must be a string, number or boolean") }
            return (key, scalar)
        }
    }

    /// `concurrency:`, requests in flight at once (the table bounds and defaults it).
    func concurrency() throws -> Int { Int(try values.integer("concurrency")) }

    /// A list of HTTP statuses, its table default when absent.
    func statuses(_ key: String) throws -> Set<Int>? {
        guard let raw = try values.value(key) else { return nil }
        guard let items = raw.arrayValue,
            let statuses = Optional(items.compactMap { $0.intValue.map(Int.init) }), statuses.count == items.count,
            statuses.allSatisfy({ (400..<500).contains($0) && $0 != 401 && $0 != 429 })
        else {
            throw PluginError.invalid(
                "\(location).\(key) must be a list of 4xx statuses other than 401 and 429 (those fail the read), e.g. [404, 410]"
            )
        }
        return Set(statuses)
    }
}
