import FerryJSON
import Foundation
import Yams

/// Turns a composed YAML tree into checked values, with file:line:column and a key path on every error.
///
/// The typed walk over the document lives in `ConfigParser+Document.swift`; the mapping of
/// Yams' own errors in `ConfigParser+Diagnostics.swift`.
final class ConfigParser {
    /// A YAML node with its dotted key path and the location errors point at (the key, or the list item).
    struct Field {
        let node: Node
        let path: String
        let location: SourceLocation
    }

    /// The entries of a YAML mapping, in order.
    struct Fields {
        let owner: Field
        let entries: [(key: String, field: Field)]

        /// The entry for `key`, even when its value is null.
        subscript(key: String) -> Field? { entries.first { $0.key == key }?.field }

        /// The entry for `key`, unless it is absent or null (`key:` or `key: ~`).
        func optional(_ key: String) -> Field? {
            guard let field = self[key], !ConfigParser.isNull(field.node) else { return nil }
            return field
        }
    }

    let file: String
    var interpolator: Interpolator
    /// Where each key and list item of the free-form objects read so far is written, by its dotted
    /// path (`connections.orders.config.streams[0].path`), for errors found after parsing.
    var valueLocations: [String: SourceLocation] = [:]

    init(file: String, environment: [String: String], dotEnv: [String: String]) {
        self.file = file
        self.interpolator = Interpolator(environment: environment, dotEnv: dotEnv)
        if let operatorList = EnvironmentAllowList(environmentValue: environment["FERRY_ALLOWED_ENV"]) {
            interpolator.allowLists.append(operatorList)
        }
    }

    // MARK: Locations and errors

    func location(_ mark: Mark?, or fallback: SourceLocation) -> SourceLocation {
        guard let mark else { return fallback }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func failure(_ kind: ConfigError.Kind, _ field: Field, _ message: String) -> ConfigError {
        ConfigError(kind, at: field.location, keyPath: field.path, message: message)
    }

    /// A tag's name (Yams exposes it only through `description`).
    static func name(of tag: Tag) -> Tag.Name {
        Tag.Name(rawValue: tag.description)
    }

    static func child(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return implicitTag(of: scalar) == .null
    }

    /// The type YAML gives an unquoted, untagged scalar (`nil` for quoted, block or explicitly tagged ones).
    ///
    /// An explicit tag that names the type the text has anyway (`!!int 5`) counts as untagged.
    static func implicitTag(of scalar: Node.Scalar) -> Tag.Name? {
        guard scalar.style == .plain || scalar.style == .any else { return nil }
        let current = name(of: scalar.tag)
        let resolved = YAMLScalarType.tag(of: scalar.string)
        return current == .implicit || current == resolved ? resolved : nil
    }

    /// How a node appears in "expected X, got Y" messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar): return isNull(node) ? "nothing" : "'\(scalar.string)'"
        }
    }

    func mismatch(_ field: Field, expected: String) -> ConfigError {
        failure(.typeMismatch, field, "expected \(expected), got \(Self.describe(field.node))")
    }

    /// An "unknown X" error with a did-you-mean hint or, failing that, the defined names.
    func unknownReference(_ field: Field, _ what: String, _ name: String, known: [String]) -> ConfigError {
        var message = "unknown \(what) '\(name)'"
        if let suggestion = Suggestion.closest(to: name, in: known) {
            message += "; did you mean '\(suggestion)'?"
        } else if known.isEmpty {
            message += "; none are defined"
        } else if known.count <= 12 {
            message += "; defined: \(known.joined(separator: ", "))"
        }
        return failure(.unknownReference, field, message)
    }

    // MARK: Shapes

    /// The entries of a mapping; with `allowed`, any other key is rejected by name.
    func mapping(_ field: Field, allowed: [String]? = nil) throws -> Fields {
        guard case .mapping(let mapping) = field.node else { throw mismatch(field, expected: "a mapping") }
        var entries: [(key: String, field: Field)] = []
        for (keyNode, value) in mapping {
            let keyLocation = location(keyNode.mark, or: field.location)
            guard case .scalar(let keyScalar) = keyNode else {
                throw ConfigError(
                    .typeMismatch, at: keyLocation, keyPath: field.path, message: "mapping keys must be strings")
            }
            let key = keyScalar.string
            let entry = Field(node: value, path: Self.child(field.path, key), location: keyLocation)
            if let allowed, !allowed.contains(key) {
                var message = "unknown key '\(key)'"
                if let suggestion = Suggestion.closest(to: key, in: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; valid keys are \(allowed.joined(separator: ", "))"
                }
                throw failure(.unknownKey, entry, message)
            }
            entries.append((key, entry))
        }
        return Fields(owner: field, entries: entries)
    }

    /// The entry for `key`, or a "missing required key" error pointing at the mapping.
    func required(_ fields: Fields, _ key: String) throws -> Field {
        guard let field = fields[key] else {
            throw failure(.missingKey, fields.owner, "missing required key '\(key)'")
        }
        return field
    }

    /// The elements of a list, each with its `[index]` path and its own location.
    func sequence(_ field: Field, expected: String = "a list") throws -> [Field] {
        guard case .sequence(let sequence) = field.node else { throw mismatch(field, expected: expected) }
        return sequence.enumerated().map { index, node in
            Field(node: node, path: "\(field.path)[\(index)]", location: location(node.mark, or: field.location))
        }
    }

    // MARK: Scalars

    /// The scalar's text after `${VAR}` expansion, and its YAML type.
    ///
    /// An unquoted scalar that changed during expansion is typed again from its new text, as if
    /// it had been written that way (`port: ${PORT}` is a number); quoting keeps it a string.
    /// A value that expands to nothing is the empty string, never null.
    func resolved(_ scalar: Node.Scalar, _ field: Field) throws -> (text: String, tag: Tag.Name) {
        let text: String
        do {
            text = try interpolator.expand(scalar.string)
        } catch Interpolator.Failure.unset(let name) {
            throw ConfigError(
                .unsetVariable, at: location(scalar.mark, or: field.location), keyPath: field.path,
                message:
                    "variable '\(name)' is not set in the environment or in .env (write ${\(name):-default} to give a default)"
            )
        } catch Interpolator.Failure.notAllowed(let name, let list) {
            throw ConfigError(
                .invalidValue, at: location(scalar.mark, or: field.location), keyPath: field.path,
                message: "variable '\(name)' may not be read here: the allowed variables are \(list) "
                    + "(allowed_env in the file, FERRY_ALLOWED_ENV in the environment)")
        } catch Interpolator.Failure.malformed(let problem) {
            throw ConfigError(
                .invalidValue, at: location(scalar.mark, or: field.location), keyPath: field.path, message: problem)
        }
        if text == scalar.string { return (text, YAMLScalarType.tag(of: scalar)) }
        guard Self.implicitTag(of: scalar) != nil, !text.isEmpty else { return (text, .str) }
        return (text, YAMLScalarType.tag(of: text))
    }

    /// A non-empty string; any non-null scalar counts (`stream: 2024` is the string "2024").
    func string(_ field: Field) throws -> String {
        guard case .scalar(let scalar) = field.node, !Self.isNull(field.node) else {
            throw mismatch(field, expected: "a string")
        }
        let text = try resolved(scalar, field).text
        guard !text.isEmpty else { throw failure(.invalidValue, field, "must not be empty") }
        return text
    }

    /// An integer written as a YAML integer (not quoted, unless it comes from `${VAR}`).
    /// An integer within `range`, or an error naming the range.
    func integer(_ field: Field, in range: ClosedRange<Int>) throws -> Int {
        let value = try integer(field)
        guard range.contains(value) else {
            throw failure(
                .invalidValue, field, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    func integer(_ field: Field) throws -> Int {
        guard case .scalar(let scalar) = field.node else { throw mismatch(field, expected: "an integer") }
        let (text, tag) = try resolved(scalar, field)
        guard tag == .int else { throw failure(.typeMismatch, field, "expected an integer, got '\(text)'") }
        guard let value = Int.construct(from: YAMLScalarType.plainScalar(text)) else { throw outOfRange(field, text) }
        return value
    }

    /// An integer too large for 64 bits: the error says the range rather than "not an integer".
    func outOfRange(_ field: Field, _ text: String) -> ConfigError {
        failure(
            .invalidValue, field,
            "integer \(text) is out of range: integers must be between \(Int64.min) and \(Int64.max)"
                + " (quote it to pass it as text)")
    }

    /// One of an enum's raw values, with a did-you-mean hint.
    func choice<Value: RawRepresentable & CaseIterable>(_ field: Field, _ type: Value.Type) throws -> Value
    where Value.RawValue == String {
        let options = Value.allCases.map(\.rawValue)
        guard case .scalar = field.node, !Self.isNull(field.node) else {
            throw mismatch(field, expected: "one of \(options.joined(separator: ", "))")
        }
        let text = try string(field)
        if let value = Value(rawValue: text) { return value }
        var message = "expected one of \(options.joined(separator: ", ")), got '\(text)'"
        if let suggestion = Suggestion.closest(to: text, in: options) { message += "; did you mean '\(suggestion)'?" }
        throw failure(.invalidValue, field, message)
    }

    /// A list of strings; a single string is accepted as a list of one.
    func strings(_ field: Field) throws -> [(value: String, field: Field)] {
        if case .scalar = field.node, !Self.isNull(field.node) { return [(try string(field), field)] }
        return try sequence(field, expected: "a string or a list of strings").map { element in
            guard case .scalar = element.node else { throw mismatch(element, expected: "a string") }
            return (try string(element), element)
        }
    }

    // MARK: Free-form JSON

    /// Any YAML value as JSON, with every scalar interpolated and typed as YAML types it.
    func json(_ field: Field) throws -> JSONValue {
        switch field.node {
        case .mapping:
            return .object(try object(field))
        case .sequence:
            let elements = try sequence(field)
            for element in elements { valueLocations[element.path] = element.location }
            return .array(try elements.map(json))
        case .alias:
            throw mismatch(field, expected: "a value")
        case .scalar(let scalar):
            let (text, tag) = try resolved(scalar, field)
            let plain = YAMLScalarType.plainScalar(text)
            switch tag {
            case .null: return .null
            case .bool: return Bool.construct(from: plain).map(JSONValue.bool) ?? .string(text)
            case .int:
                // Never silently a rounded double: 2^64 written as an id or a count is a mistake to report.
                guard let value = Int64.construct(from: plain) else { throw outOfRange(field, text) }
                return .int(value)
            case .float:
                if let value = Double.construct(from: plain), value.isFinite { return .double(value) }
                return .string(text)
            default:
                return .string(text)
            }
        }
    }

    /// A mapping as a JSON object, keys in the order written.
    func object(_ field: Field) throws -> JSONObject {
        let fields = try mapping(field)
        for entry in fields.entries { valueLocations[entry.field.path] = entry.field.location }
        return JSONObject(try fields.entries.map { (key: $0.key, value: try json($0.field)) })
    }
}
