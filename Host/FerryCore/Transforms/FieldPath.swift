import FerryJSON

/// A path to a field (`customer.address.city`, `nodes[0].piano.id`), compiled once.
///
/// Records from APIs nest; transforms read and write nested members with the
/// same spelling users see in the source JSON. A dot always separates levels
/// and `[n]` picks the n-th element (from 0) of an array, so a key that itself
/// contains a dot or a `[` cannot be addressed.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    /// One level of a path: an object member or an array element.
    public enum Component: Hashable, Sendable {
        /// The member with this key.
        case key(String)
        /// The element at this position (0-based).
        case index(Int)
    }

    /// The levels from the record's top level down to the field; the first is always a key.
    public let components: [Component]

    /// Parses a path; nil when it is empty, has an empty key (`a..b`) or a bad index (`a[x]`, `a[-1]`).
    /// - Parameter text: the path as written in the config.
    public init?(_ text: String) {
        var components: [Component] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard let bracket = part.firstIndex(of: "[") else {
                guard !part.isEmpty else { return nil }
                components.append(.key(String(part)))
                continue
            }
            guard bracket > part.startIndex else { return nil }
            components.append(.key(String(part[..<bracket])))
            var rest = part[bracket...]
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
                let digits = rest[rest.index(after: rest.startIndex)..<close]
                guard !digits.isEmpty, digits.count < 10, digits.allSatisfy(\.isASCIIDigit), let index = Int(digits)
                else { return nil }
                components.append(.index(index))
                rest = rest[rest.index(after: close)...]
            }
        }
        guard !components.isEmpty else { return nil }
        self.components = components
    }

    /// A path from components whose first one is a key.
    init(components: [Component]) {
        precondition(components.first.map { if case .key = $0 { true } else { false } } ?? false)
        self.components = components
    }

    /// The path as written, for messages.
    public var description: String { Self.describe(components[...]) }

    static func describe(_ components: ArraySlice<Component>) -> String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    /// The value at this path, or nil when a level is missing, not an object
    /// (for a key) or not an array long enough (for an index).
    /// - Parameter object: the record.
    public func value(in object: JSONObject) -> JSONValue? {
        guard case .key(let first) = components[0], var current = object[first] else { return nil }
        for component in components.dropFirst() {
            switch (component, current) {
            case (.key(let key), .object(let child)):
                guard let next = child[key] else { return nil }
                current = next
            case (.index(let index), .array(let elements)) where index < elements.count:
                current = elements[index]
            default: return nil
            }
        }
        return current
    }

    /// Writes `value` at this path, creating missing intermediate objects
    /// (never arrays: an index must name an element that exists).
    /// - Parameters:
    ///   - value: the value to write; nil removes the field (or the array element).
    ///   - object: the record.
    /// - Throws: `FieldPathError` when an intermediate level exists but is not an
    ///   object, or an index is past the end of its array.
    public func setValue(_ value: JSONValue?, in object: inout JSONObject) throws(FieldPathError) {
        guard case .key(let first) = components[0] else { return }
        if components.count == 1 {
            object[first] = value
            return
        }
        var child = object[first]
        if child == nil && value == nil { return }
        object[first] = .null // lets `child` be mutated without a copy; keeps the key's position
        defer { object[first] = child }
        try Self.set(value, at: 1, of: components, in: &child, path: self)
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

    /// Writes below `container` (the value at `components[..<position]`), which may be missing (nil).
    private static func set(
        _ value: JSONValue?, at position: Int, of components: [Component], in container: inout JSONValue?,
        path: FieldPath
    ) throws(FieldPathError) {
        let last = position == components.count - 1
        switch components[position] {
        case .key(let key):
            var object: JSONObject
            switch container {
            case .object(let existing)?:
                object = existing
                container = .null
            case nil, .null?:
                if value == nil { return }
                object = JSONObject()
            case .some:
                throw FieldPathError(path: path, blocking: describe(components[..<position]), reason: .notAnObject)
            }
            defer { container = .object(object) }
            if last {
                object[key] = value
            } else {
                var child = object[key]
                if child == nil && value == nil { return }
                object[key] = .null
                defer { object[key] = child }
                try set(value, at: position + 1, of: components, in: &child, path: path)
            }
        case .index(let index):
            guard case .array(var elements)? = container else {
                if value == nil, container == nil || container == .null { return }
                throw FieldPathError(path: path, blocking: describe(components[..<position]), reason: .notAnArray)
            }
            guard index < elements.count else {
                if value == nil { return }
                throw FieldPathError(
                    path: path, blocking: describe(components[..<position]), reason: .noElement(index))
            }
            container = .null
            defer { container = .array(elements) }
            if last {
                if let value { elements[index] = value } else { elements.remove(at: index) }
            } else {
                var child: JSONValue? = elements[index]
                elements[index] = .null
                defer { elements[index] = child ?? .null }
                try set(value, at: position + 1, of: components, in: &child, path: path)
            }
        }
    }
}

/// A write through a path whose intermediate level does not hold what the path needs.
public struct FieldPathError: Error, CustomStringConvertible, Sendable {
    /// What the blocking level holds instead.
    public enum Reason: Sendable, Equatable {
        /// A key follows, but the level is a scalar or an array.
        case notAnObject
        /// An index follows, but the level is not an array.
        case notAnArray
        /// An index follows that is past the end of the array.
        case noElement(Int)
    }

    /// The path being written.
    public var path: FieldPath
    /// The prefix of the path that blocks the write.
    public var blocking: String
    /// Why it blocks.
    public var reason: Reason = .notAnObject

    /// "cannot write 'a.b.c': 'a.b' is not an object", for rejection reasons.
    public var description: String {
        switch reason {
        case .notAnObject: return "cannot write '\(path)': '\(blocking)' is not an object"
        case .notAnArray: return "cannot write '\(path)': '\(blocking)' is not an array"
        case .noElement(let index): return "cannot write '\(path)': '\(blocking)' has no element \(index)"
        }
    }
}
