import FerryJSON
import FerryPluginSDK

/// Typed reads of one config object's keys, with errors that name the key and where it is.
struct ConfigFields {
    let object: JSONObject
    let location: String

    /// Checks `object` against its key table (RESTKeys): unknown keys, required keys, types, bounds.
    init(_ object: JSONObject, at location: String, table: ConfigTable) throws {
        _ = try table.parse(object, at: location)
        self.object = object
        self.location = location
    }

    func text(_ key: String) throws -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw PluginError.invalid("\(location).\(key) must be a string") }
        return string
    }

    func flag(_ key: String) throws -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw PluginError.invalid("\(location).\(key) must be true or false") }
        return flag
    }

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

    /// `concurrency:`, requests in flight at once (1 to 32).
    func concurrency(default value: Int) throws -> Int {
        guard let raw = object["concurrency"], !raw.isNull else { return value }
        guard let number = raw.intValue, (1...32).contains(number) else {
            throw PluginError.invalid("\(location).concurrency must be a whole number from 1 to 32")
        }
        return Int(number)
    }

    /// A list of HTTP statuses.
    func statuses(_ key: String) throws -> Set<Int>? {
        guard let raw = object[key], !raw.isNull else { return nil }
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
