import FerryJSON
import Foundation

extension TransformOperation {
    static let names = [
        "select", "drop", "rename", "set", "template", "default", "cast", "filter", "clean_numbers", "lookup",
        "compute", "validate",
    ]

    /// Compiles one `transforms:` entry (1-based `index`) into an operation.
    static func compile(_ step: JSONValue, index: Int) throws(TransformConfigError) -> TransformOperation {
        guard case .object(let object) = step else {
            throw TransformConfigError(
                stepIndex: index, op: nil, key: nil, message: "expected an object with an 'op' key")
        }
        guard let opValue = object["op"] else {
            throw TransformConfigError(
                stepIndex: index, op: nil, key: "op",
                message: "is required; expected one of \(names.joined(separator: ", "))")
        }
        guard case .string(let op) = opValue, names.contains(op) else {
            throw TransformConfigError(
                stepIndex: index, op: nil, key: "op",
                message: "expected one of \(names.joined(separator: ", ")), got \(opValue.encodedString())")
        }
        var reader = StepReader(index: index, op: op, object: object)
        let operation: TransformOperation
        switch op {
        case "select", "drop":
            guard let paths = try reader.paths("fields"), !paths.isEmpty else {
                throw reader.error("fields", "is required (a list of field paths)")
            }
            if op == "select",
                let partial = paths.first(where: {
                    $0.components.contains { if case .index = $0 { true } else { false } }
                })
            {
                throw reader.error("fields", "'\(partial)': select cannot keep part of an array; use compute")
            }
            if op == "select" {
                operation = .select(paths)
            } else {
                operation = .drop(paths, onlyIfEmpty: try reader.bool("if_empty", default: false))
            }
        case "rename":
            var pairs: [(from: FieldPath, to: FieldPath)] = []
            if reader.has("fields") {
                for (from, to) in try pathMap(&reader, key: "fields") {
                    guard case .string(let text) = to, let target = FieldPath(text) else {
                        throw reader.error("fields.\(from)", "expected the new field path as a string")
                    }
                    pairs.append((from, target))
                }
            } else {
                pairs.append((try reader.requiredPath("from"), try reader.requiredPath("to")))
            }
            operation = .rename(pairs)
        case "set", "default":
            var assignments: [(path: FieldPath, value: JSONValue)] = []
            if reader.has("fields") {
                assignments = try pathMap(&reader, key: "fields").map { (path: $0.0, value: $0.1) }
            } else {
                assignments.append((try reader.requiredPath("field"), try reader.requiredValue("value")))
            }
            operation = op == "set" ? .set(assignments) : .fillDefault(assignments)
        case "template":
            let field = try reader.requiredPath("field")
            let source = try reader.requiredString("template")
            let template: TransformTemplate
            do {
                template = try TransformTemplate(source)
            } catch {
                throw reader.error("template", error.message)
            }
            operation = .template(field: field, template: template, fallback: try reader.string("default"))
        case "cast":
            operation = try compileCast(&reader)
        case "filter":
            let condition = try reader.requiredValue("where")
            if case .string(let text) = condition {
                operation = .filterExpression(try compileExpression(text, key: "where", reader: reader))
            } else {
                operation = .filter(try TransformCondition.compile(condition, key: "where", reader: reader))
            }
        case "compute":
            var assignments: [(path: FieldPath, expression: CompiledExpression)] = []
            if reader.has("fields") {
                for (path, value) in try pathMap(&reader, key: "fields") {
                    guard case .string(let text) = value else {
                        throw reader.error("fields.\(path)", "expected an expression as text")
                    }
                    assignments.append((path, try compileExpression(text, key: "fields.\(path)", reader: reader)))
                }
            } else {
                let path = try reader.requiredPath("field")
                assignments.append(
                    (path, try compileExpression(try reader.requiredString("expr"), key: "expr", reader: reader)))
            }
            operation = .compute(assignments)
        case "validate":
            operation = .validate(try compileRules(&reader))
        case "clean_numbers":
            operation = .cleanNumbers(try reader.paths("fields"))
        default: // lookup
            let field = try reader.requiredPath("field")
            let scope = try reader.requiredString("scope")
            guard !scope.isEmpty else { throw reader.error("scope", "must not be empty") }
            let to = try reader.requiredPath("to")
            let required = try reader.bool("required", default: false)
            let limit = try reader.int("defer_limit")
            var onMissing: LookupMissing = required ? .deadLetter : .skip
            let choices = ["skip", "null", "dead_letter", "defer", "fail"]
            let missingChoice: String?
            switch reader.value("on_missing") {
            case nil: missingChoice = nil
            case .null?: missingChoice = "null" // YAML reads a bare `null` as null, not as the word
            case .string(let text)? where choices.contains(text): missingChoice = text
            case let other?:
                throw reader.error(
                    "on_missing", "expected one of \(choices.joined(separator: ", ")), got \(other.encodedString())")
            }
            if let choice = missingChoice {
                guard !required else {
                    throw reader.error("on_missing", "give either required or on_missing, not both")
                }
                switch choice {
                case "null": onMissing = .null
                case "dead_letter": onMissing = .deadLetter
                case "defer": onMissing = .deferRecord(limit: limit ?? LookupMissing.defaultDeferLimit)
                case "fail": onMissing = .fail
                default: onMissing = .skip
                }
            }
            if limit != nil, case .deferRecord = onMissing {
            } else if limit != nil {
                throw reader.error("defer_limit", "only goes with on_missing: defer")
            }
            if let limit, !(1...1000).contains(limit) {
                throw reader.error("defer_limit", "must be between 1 and 1000 runs, got \(limit)")
            }
            operation = .lookup(field: field, scope: scope, to: to, onMissing: onMissing)
        }
        try reader.finish()
        return operation
    }

    /// Parses and compiles one expression; its errors name `key` and the column.
    private static func compileExpression(_ text: String, key: String, reader: StepReader) throws(TransformConfigError)
        -> CompiledExpression
    {
        do {
            return try CompiledExpression(text)
        } catch {
            throw reader.error(key, error.description)
        }
    }

    /// `rules: [{expr: "...", reason: "..."}, ...]`, or one rule as `expr` and `reason` on the step.
    private static func compileRules(_ reader: inout StepReader) throws(TransformConfigError) -> [(
        expression: CompiledExpression, reason: String
    )] {
        guard reader.has("rules") else {
            let expression = try compileExpression(try reader.requiredString("expr"), key: "expr", reader: reader)
            return [(expression, try reader.requiredString("reason"))]
        }
        guard case .array(let list)? = reader.value("rules"), !list.isEmpty else {
            throw reader.error("rules", "expected a non-empty list of {expr: \"...\", reason: \"...\"}")
        }
        var rules: [(expression: CompiledExpression, reason: String)] = []
        for (offset, item) in list.enumerated() {
            let key = "rules[\(offset)]"
            guard case .object(let rule) = item else {
                throw reader.error(key, "expected {expr: \"...\", reason: \"...\"}")
            }
            for name in rule.keys where name != "expr" && name != "reason" {
                throw reader.error("\(key).\(name)", "unknown option for a rule; expected expr and reason")
            }
            guard case .string(let text)? = rule["expr"] else {
                throw reader.error("\(key).expr", "is required (text)")
            }
            guard case .string(let reason)? = rule["reason"], !reason.isEmpty else {
                throw reader.error("\(key).reason", "is required (the dead letter's reason)")
            }
            rules.append((try compileExpression(text, key: "\(key).expr", reader: reader), reason))
        }
        return rules
    }

    /// `fields: {path: value, ...}` with each key checked as a path.
    private static func pathMap(_ reader: inout StepReader, key: String) throws(TransformConfigError) -> [(
        FieldPath, JSONValue
    )] {
        guard case .object(let map)? = reader.value(key), !map.isEmpty else {
            throw reader.error(key, "expected a non-empty mapping of field paths")
        }
        var pairs: [(FieldPath, JSONValue)] = []
        for (name, value) in map {
            guard let path = FieldPath(name) else { throw reader.error("\(key).\(name)", "is not a field path") }
            pairs.append((path, value))
        }
        return pairs
    }

    private static let castTargets = ["integer", "decimal", "money_cents", "boolean", "string", "timestamp"]

    private static func compileCast(_ reader: inout StepReader) throws(TransformConfigError) -> TransformOperation {
        let paths: [FieldPath]
        if reader.has("fields") {
            guard let list = try reader.paths("fields"), !list.isEmpty else {
                throw reader.error("fields", "expected a list of field paths")
            }
            paths = list
        } else {
            paths = [try reader.requiredPath("field")]
        }
        guard let target = try reader.choice("to", of: castTargets) else {
            throw reader.error("to", "is required; expected one of \(castTargets.joined(separator: ", "))")
        }
        func separator(_ reader: inout StepReader) throws(TransformConfigError) -> Character {
            guard let text = try reader.choice("decimal_separator", of: [".", ","]) else { return "." }
            return Character(text)
        }
        let cast: ValueCast
        switch target {
        case "integer": cast = .integer
        case "decimal":
            cast = .decimal(asString: try reader.bool("as_string", default: false), separator: try separator(&reader))
        case "money_cents": cast = .moneyCents(separator: try separator(&reader))
        case "boolean": cast = .boolean
        case "string": cast = .string
        default:
            var timeZone: TimeZone?
            if let name = try reader.string("timezone") {
                guard let zone = TimeZone(identifier: name) else {
                    throw reader.error(
                        "timezone", "unknown time zone \"\(name)\"; expected an IANA name like Europe/Helsinki or UTC")
                }
                timeZone = zone
            }
            var format: TimestampFormat?
            if let pattern = try reader.string("format") {
                do {
                    format = try TimestampFormat(pattern)
                } catch {
                    throw reader.error(
                        "format", "unknown directive '\(error.directive)'; expected %Y %m %d %H %M %S %f %z %b or %%")
                }
            }
            let epoch = try reader.choice("epoch", of: ["seconds", "milliseconds"]) ?? "seconds"
            let fold = try reader.choice("fold", of: ["earlier", "later"]) ?? "earlier"
            cast = .timestamp(
                TimestampCast(
                    timeZone: timeZone, format: format, epoch: epoch == "seconds" ? .seconds : .milliseconds,
                    preferLater: fold == "later"))
        }
        var nullIf: [JSONValue] = []
        if let markers = reader.value("null_if") {
            guard case .array(let list) = markers else {
                throw reader.error("null_if", "expected a list of values that mean 'no value'")
            }
            nullIf = list
        }
        return .cast(paths, cast, nullIf: nullIf)
    }
}
