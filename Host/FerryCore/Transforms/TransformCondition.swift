import FerryJSON

/// A compiled `where:` condition of a `filter` step.
///
/// `{field: f, equals: v}`, `not_equals`, `in: [..]`, `exists: true|false`,
/// `greater_than` / `less_than` (numbers compare numerically, strings by code
/// point; a value of the other kind never matches), and `all: [..]` / `any: [..]`
/// to combine conditions. Several tests on one field must all hold.
indirect enum TransformCondition: Sendable {
    case equals(FieldPath, JSONValue)
    case notEquals(FieldPath, JSONValue)
    case isIn(FieldPath, [JSONValue])
    case exists(FieldPath, Bool)
    case greaterThan(FieldPath, JSONValue)
    case lessThan(FieldPath, JSONValue)
    case all([TransformCondition])
    case any([TransformCondition])

    static func compile(_ value: JSONValue, key: String, reader: StepReader) throws(TransformConfigError)
        -> TransformCondition
    {
        guard case .object(let object) = value else {
            throw reader.error(key, "expected a condition object like {field: status, equals: active}")
        }
        if let list = object["all"] ?? object["any"] {
            let name = object["all"] != nil ? "all" : "any"
            guard object.count == 1, case .array(let items) = list, !items.isEmpty else {
                throw reader.error("\(key).\(name)", "expected a non-empty list of conditions and nothing beside it")
            }
            var conditions: [TransformCondition] = []
            for (offset, item) in items.enumerated() {
                conditions.append(try compile(item, key: "\(key).\(name)[\(offset)]", reader: reader))
            }
            return name == "all" ? .all(conditions) : .any(conditions)
        }
        guard case .string(let fieldText)? = object["field"] else {
            throw reader.error("\(key).field", "is required (the field to test)")
        }
        guard let path = FieldPath(fieldText) else { throw reader.error("\(key).field", "expected a field path") }
        var tests: [TransformCondition] = []
        for (name, operand) in object where name != "field" {
            switch name {
            case "equals": tests.append(.equals(path, operand))
            case "not_equals": tests.append(.notEquals(path, operand))
            case "in":
                guard case .array(let options) = operand else {
                    throw reader.error("\(key).in", "expected a list of values")
                }
                tests.append(.isIn(path, options))
            case "exists":
                guard case .bool(let flag) = operand else {
                    throw reader.error("\(key).exists", "expected true or false")
                }
                tests.append(.exists(path, flag))
            case "greater_than", "less_than":
                switch operand {
                case .int, .double, .string: break
                default: throw reader.error("\(key).\(name)", "expected a number or a string")
                }
                tests.append(name == "greater_than" ? .greaterThan(path, operand) : .lessThan(path, operand))
            default:
                throw reader.error(
                    "\(key).\(name)", "unknown test; expected equals, not_equals, in, exists, greater_than or less_than"
                )
            }
        }
        guard !tests.isEmpty else {
            throw reader.error(key, "needs a test: equals, not_equals, in, exists, greater_than or less_than")
        }
        return tests.count == 1 ? tests[0] : .all(tests)
    }

    func holds(for record: JSONObject) -> Bool {
        switch self {
        case .equals(let path, let expected): return Self.same(path.value(in: record) ?? .null, expected)
        case .notEquals(let path, let expected): return !Self.same(path.value(in: record) ?? .null, expected)
        case .isIn(let path, let options):
            let value = path.value(in: record) ?? .null
            return options.contains { Self.same(value, $0) }
        case .exists(let path, let expected):
            let value = path.value(in: record)
            return (value != nil && value != .null) == expected
        case .greaterThan(let path, let bound): return Self.compare(path.value(in: record), bound) == 1
        case .lessThan(let path, let bound): return Self.compare(path.value(in: record), bound) == -1
        case .all(let conditions): return conditions.allSatisfy { $0.holds(for: record) }
        case .any(let conditions): return conditions.contains { $0.holds(for: record) }
        }
    }

    /// Equality where 1 and 1.0 are the same number (config YAML does not keep the difference).
    private static func same(_ value: JSONValue, _ expected: JSONValue) -> Bool {
        if let left = numeric(value), let right = numeric(expected) { return left == right }
        return value == expected
    }

    private static func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let integer): return Double(integer)
        case .double(let double): return double
        default: return nil
        }
    }

    /// -1, 0 or 1, or nil when the two cannot be ordered.
    private static func compare(_ value: JSONValue?, _ bound: JSONValue) -> Int? {
        guard let value else { return nil }
        if case .int(let left) = value, case .int(let right) = bound { return left < right ? -1 : left > right ? 1 : 0 }
        if let left = numeric(value), let right = numeric(bound) {
            guard !left.isNaN else { return nil }
            return left < right ? -1 : left > right ? 1 : 0
        }
        if case .string(let left) = value, case .string(let right) = bound {
            if left.unicodeScalars.elementsEqual(right.unicodeScalars) { return 0 }
            return left.unicodeScalars.lexicographicallyPrecedes(right.unicodeScalars) ? -1 : 1
        }
        return nil
    }
}
