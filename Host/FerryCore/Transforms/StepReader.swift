import FerryJSON

/// Reads the options of one `transforms:` entry and turns every mistake into a
/// `TransformConfigError` naming the step and key; `finish()` refuses keys the
/// op does not know, so a misspelt option fails loudly instead of being ignored.
struct StepReader {
    let index: Int
    let op: String
    private let object: JSONObject
    private var used: Set<String> = ["op"]

    init(index: Int, op: String, object: JSONObject) {
        self.index = index
        self.op = op
        self.object = object
    }

    func error(_ key: String?, _ message: String) -> TransformConfigError {
        TransformConfigError(stepIndex: index, op: op, key: key, message: message)
    }

    func has(_ key: String) -> Bool { object[key] != nil }

    mutating func value(_ key: String) -> JSONValue? {
        used.insert(key)
        return object[key]
    }

    mutating func requiredValue(_ key: String) throws(TransformConfigError) -> JSONValue {
        guard let value = value(key) else { throw error(key, "is required") }
        return value
    }

    mutating func string(_ key: String) throws(TransformConfigError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw error(key, "expected a string") }
        return text
    }

    mutating func requiredString(_ key: String) throws(TransformConfigError) -> String {
        guard let text = try string(key) else { throw error(key, "is required") }
        return text
    }

    mutating func bool(_ key: String, default defaultValue: Bool) throws(TransformConfigError) -> Bool {
        guard let value = value(key) else { return defaultValue }
        guard case .bool(let flag) = value else { throw error(key, "expected true or false") }
        return flag
    }

    mutating func int(_ key: String) throws(TransformConfigError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .int(let number) = value, let integer = Int(exactly: number) else {
            throw error(key, "expected a whole number")
        }
        return integer
    }

    mutating func path(_ key: String) throws(TransformConfigError) -> FieldPath? {
        guard let text = try string(key) else { return nil }
        guard let path = FieldPath(text) else {
            throw error(key, "expected a field path like 'a' or 'a.b', got \"\(text)\"")
        }
        return path
    }

    mutating func requiredPath(_ key: String) throws(TransformConfigError) -> FieldPath {
        guard let path = try path(key) else { throw error(key, "is required") }
        return path
    }

    /// A list of field paths; a single string is accepted as a list of one.
    mutating func paths(_ key: String) throws(TransformConfigError) -> [FieldPath]? {
        guard let value = value(key) else { return nil }
        let texts: [JSONValue]
        switch value {
        case .string: texts = [value]
        case .array(let elements): texts = elements
        default: throw error(key, "expected a list of field paths")
        }
        var paths: [FieldPath] = []
        for element in texts {
            guard case .string(let text) = element, let path = FieldPath(text) else {
                throw error(key, "expected a list of field paths, got \(element.encodedString())")
            }
            paths.append(path)
        }
        return paths
    }

    /// One of a fixed set of words.
    mutating func choice(_ key: String, of choices: [String]) throws(TransformConfigError) -> String? {
        guard let text = try string(key) else { return nil }
        guard choices.contains(text) else {
            throw error(key, "expected one of \(choices.joined(separator: ", ")), got \"\(text)\"")
        }
        return text
    }

    func finish() throws(TransformConfigError) {
        for key in object.keys where !used.contains(key) {
            throw error(key, "unknown option for '\(op)'")
        }
    }
}
