import FerryJSON

/// A dotted path to a field (`customer.address.city`), compiled once.
///
/// Records from APIs nest; transforms read and write nested members with the
/// same spelling users see in the source JSON. A dot always separates levels,
/// so a key that itself contains a dot cannot be addressed.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    /// The keys from the record's top level down to the field.
    public let components: [String]

    /// Parses a dotted path; nil when it is empty or has an empty component (`a..b`).
    /// - Parameter text: the path as written in the config.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else { return nil }
        components = parts
    }

    /// The path as written, for messages.
    public var description: String { components.joined(separator: ".") }

    /// The value at this path, or nil when a level is missing or not an object.
    /// - Parameter object: the record.
    public func value(in object: JSONObject) -> JSONValue? {
        var current = object
        for component in components.dropLast() {
            guard case .object(let child)? = current[component] else { return nil }
            current = child
        }
        return current[components[components.count - 1]]
    }

    /// Writes `value` at this path, creating missing intermediate objects.
    /// - Parameters:
    ///   - value: the value to write; nil removes the field.
    ///   - object: the record.
    /// - Throws: `FieldPathError` when an intermediate level exists but is not an object.
    public func setValue(_ value: JSONValue?, in object: inout JSONObject) throws(FieldPathError) {
        try Self.set(value, components: components[...], in: &object, path: self)
    }

    /// Removes the field at this path and returns its value; missing levels are not an error.
    /// - Parameter object: the record.
    @discardableResult
    public func removeValue(in object: inout JSONObject) -> JSONValue? {
        let old = value(in: object)
        guard old != nil else { return nil }
        try? setValue(nil, in: &object)
        return old
    }

    private static func set(
        _ value: JSONValue?, components: ArraySlice<String>, in object: inout JSONObject, path: FieldPath
    ) throws(FieldPathError) {
        let key = components[components.startIndex]
        if components.count == 1 {
            object[key] = value
            return
        }
        var child: JSONObject
        switch object[key] {
        case .object(let existing)?:
            child = existing
            object[key] = .null // keeps the position and lets `child` be mutated without a copy
        case nil, .null?:
            if value == nil { return }
            child = JSONObject()
        case .some:
            let depth = path.components.count - components.count + 1
            throw FieldPathError(path: path, blocking: path.components.prefix(depth).joined(separator: "."))
        }
        do {
            try set(value, components: components.dropFirst(), in: &child, path: path)
        } catch {
            object[key] = .object(child)
            throw error
        }
        object[key] = .object(child)
    }
}

/// A write through a path whose intermediate level holds a non-object value.
public struct FieldPathError: Error, CustomStringConvertible, Sendable {
    /// The path being written.
    public var path: FieldPath
    /// The prefix of the path that holds a scalar or array.
    public var blocking: String

    /// "cannot write 'a.b.c': 'a.b' is not an object", for rejection reasons.
    public var description: String { "cannot write '\(path)': '\(blocking)' is not an object" }
}
