import FerryJSON

/// Checks that a value has the shape of a JSON Schema, as far as Ferry uses one: an
/// object whose `type` names JSON Schema types, whose `properties` are schemas,
/// whose `required` lists strings and whose `items` is a schema. The config schema
/// itself must describe an object. Not a full meta-schema validation: enough to
/// catch a spec a host could not read keys from.
enum SchemaShape {
    static let types: Set<String> = ["object", "array", "string", "integer", "number", "boolean", "null"]

    /// What is wrong with `schema` (at the JSON path `path`), or nil.
    static func problem(_ schema: JSONValue, at path: String, root: Bool = true) -> String? {
        guard let object = schema.objectValue else { return "\(path) is not a JSON Schema object" }
        if let type = object["type"] {
            let names = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue)
            guard let names, !names.isEmpty, names.allSatisfy(types.contains) else {
                return "\(path).type is not a JSON Schema type: \(JSONWriter().encodeString(type))"
            }
            if root, !names.contains("object") { return "\(path).type is not \"object\" (a config is an object)" }
        } else if root {
            return "\(path) has no \"type\": \"object\""
        }
        if let properties = object["properties"] {
            guard let members = properties.objectValue else { return "\(path).properties is not an object" }
            for (name, property) in members {
                if let problem = problem(property, at: "\(path).properties.\(name)", root: false) { return problem }
            }
        }
        if let required = object["required"] {
            guard let names = required.arrayValue, names.allSatisfy({ $0.stringValue != nil }) else {
                return "\(path).required is not an array of strings"
            }
        }
        if let items = object["items"], let problem = problem(items, at: "\(path).items", root: false) {
            return problem
        }
        return nil
    }
}
