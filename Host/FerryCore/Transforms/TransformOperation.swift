import FerryJSON

/// One compiled transform step; see `docs/transforms.md` for the config form of each.
enum TransformOperation: Sendable {
    /// Keep only these fields (nested paths keep their parents, nothing else).
    case select([FieldPath])
    /// Remove these fields; with `onlyIfEmpty`, only where the value is null, `""` or `[]`
    /// (a source's blank title must not overwrite the stored one).
    case drop([FieldPath], onlyIfEmpty: Bool)
    /// Move each field's value to a new path; a missing source field is skipped.
    case rename([(from: FieldPath, to: FieldPath)])
    /// Write constants.
    case set([(path: FieldPath, value: JSONValue)])
    /// Render a string from other fields.
    case template(field: FieldPath, template: TransformTemplate, fallback: String?)
    /// Write constants only where the field is missing or null.
    case fillDefault([(path: FieldPath, value: JSONValue)])
    /// Convert fields to a type; values equal to one of `nullIf` become null first
    /// (legacy systems' "no value" markers such as 4D's `0!0!0` date).
    case cast([FieldPath], ValueCast, nullIf: [JSONValue])
    /// Drop records for which the condition does not hold.
    case filter(TransformCondition)
    /// Replace NaN and infinite doubles with null, in these fields or everywhere (nil).
    case cleanNumbers([FieldPath]?)
    /// Map a source id to a destination id through the ID-mapping store.
    case lookup(field: FieldPath, scope: String, to: FieldPath, onMissing: LookupMissing)
    /// Write each expression's value, in order (a later one sees the earlier ones' results).
    case compute([(path: FieldPath, expression: CompiledExpression)])
    /// Reject the record with the first rule's reason whose expression is not true.
    case validate([(expression: CompiledExpression, reason: String)])
    /// Drop records for which the expression is not true (`filter` with `where: "text"`).
    case filterExpression(CompiledExpression)

    /// Runs the step on `record`; returns false when the record is filtered out.
    /// - Parameters:
    ///   - lookup: the ID map, for `lookup` steps.
    ///   - now: what `now()` gives in expressions: the run's start.
    func apply(to record: inout JSONObject, lookup: TransformChain.Lookup?, now: String) throws(StepFailure) -> Bool {
        switch self {
        case .compute(let assignments):
            for (path, expression) in assignments {
                let value: ExpressionValue
                do {
                    value = try expression.evaluate(ExpressionScope(record: record, now: now))
                } catch {
                    throw StepFailure("field '\(path)': column \(error.column): \(error.message)")
                }
                try write(value.json, at: path, in: &record)
            }
        case .validate(let rules):
            let scope = ExpressionScope(record: record, now: now)
            for (offset, (expression, reason)) in rules.enumerated() {
                let holds: Bool
                do {
                    holds = try expression.holds(scope)
                } catch {
                    throw StepFailure("rule \(offset + 1): column \(error.column): \(error.message)")
                }
                if !holds { throw StepFailure(reason) }
            }
        case .filterExpression(let expression):
            do {
                return try expression.holds(ExpressionScope(record: record, now: now))
            } catch {
                throw StepFailure("'where': column \(error.column): \(error.message)")
            }
        case .select(let paths):
            var selected = JSONObject()
            for path in paths {
                if let value = path.value(in: record) { try write(value, at: path, in: &selected) }
            }
            record = selected
        case .drop(let paths, let onlyIfEmpty):
            for path in paths where !onlyIfEmpty || Self.isEmpty(path.value(in: record)) {
                path.removeValue(in: &record)
            }
        case .rename(let pairs):
            for (from, to) in pairs {
                guard let value = from.removeValue(in: &record) else { continue }
                try write(value, at: to, in: &record)
            }
        case .set(let assignments):
            for (path, value) in assignments { try write(value, at: path, in: &record) }
        case .template(let field, let template, let fallback):
            switch template.render(record, fallback: fallback) {
            case .success(let text): try write(.string(text), at: field, in: &record)
            case .failure(let missing):
                throw StepFailure(
                    "field '\(missing.path)' used by the template is missing (set 'default' to allow this)")
            }
        case .fillDefault(let assignments):
            for (path, value) in assignments {
                let current = path.value(in: record)
                if current == nil || current == .null { try write(value, at: path, in: &record) }
            }
        case .cast(let paths, let cast, let nullIf):
            for path in paths {
                guard let value = path.value(in: record) else { continue }
                if nullIf.contains(value) {
                    try write(.null, at: path, in: &record)
                    continue
                }
                let converted: JSONValue
                do {
                    converted = try cast.apply(to: value)
                } catch {
                    throw StepFailure("field '\(path)' value \(Self.quote(value)) \(error.reason)")
                }
                try write(converted, at: path, in: &record)
            }
        case .filter(let condition):
            return condition.holds(for: record)
        case .cleanNumbers(let paths):
            if let paths {
                for path in paths {
                    guard let value = path.value(in: record) else { continue }
                    let cleaned = Self.clean(value)
                    if cleaned != value || Self.hasNonFinite(value) { try write(cleaned, at: path, in: &record) }
                }
            } else {
                for (key, value) in record where Self.hasNonFinite(value) { record[key] = Self.clean(value) }
            }
        case .lookup(let field, let scope, let to, let onMissing):
            guard let value = field.value(in: record), value != .null else {
                // A record without the parent's id will never find a mapping: waiting does not help.
                if onMissing != .skip && onMissing != .null {
                    throw StepFailure("field '\(field)' is missing, so no '\(scope)' mapping can be found")
                }
                if onMissing == .null { try write(.null, at: to, in: &record) }
                return true
            }
            let sourceID: String
            switch value {
            case .string(let text): sourceID = text
            case .int(let integer): sourceID = String(integer)
            default: throw StepFailure("field '\(field)' value \(Self.quote(value)) is not a string or integer id")
            }
            guard let lookup else { throw StepFailure("no ID-mapping store is available to look up '\(scope)'") }
            let found: String?
            do {
                found = try lookup(scope, sourceID)
            } catch {
                throw StepFailure("looking up \(Self.quote(value)) in '\(scope)' failed: \(error)")
            }
            if let found {
                try write(.string(found), at: to, in: &record)
            } else {
                let reason = "no '\(scope)' mapping for field '\(field)' value \(Self.quote(value))"
                switch onMissing {
                case .skip: break
                case .null: try write(.null, at: to, in: &record)
                case .deadLetter: throw StepFailure(reason)
                case .deferRecord(let limit): throw StepFailure(reason, kind: .deferral(limit: limit))
                case .fail: throw StepFailure(reason, kind: .fatal)
                }
            }
        }
        return true
    }

    private func write(_ value: JSONValue, at path: FieldPath, in record: inout JSONObject) throws(StepFailure) {
        do {
            try path.setValue(value, in: &record)
        } catch {
            throw StepFailure(error.description)
        }
    }

    /// What `drop` with `if_empty` removes: missing, null, `""` and `[]` (as `is_empty`).
    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: return true
        case .string(let text)?: return text.isEmpty
        case .array(let elements)?: return elements.isEmpty
        default: return false
        }
    }

    private static func hasNonFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .double(let double): return !double.isFinite
        case .array(let elements): return elements.contains(where: hasNonFinite)
        case .object(let object): return object.contains { hasNonFinite($0.value) }
        default: return false
        }
    }

    private static func clean(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let double) where !double.isFinite: return .null
        case .array(let elements) where hasNonFinite(value): return .array(elements.map(clean))
        case .object(let object) where hasNonFinite(value):
            var copy = object
            for (key, member) in object where hasNonFinite(member) { copy[key] = clean(member) }
            return .object(copy)
        default: return value
        }
    }

    /// The value as JSON text, shortened for a dead-letter reason.
    static func quote(_ value: JSONValue) -> String {
        let text = value.encodedString()
        guard text.count > 80 else { return text }
        return String(text.prefix(77)) + "..."
    }

    /// The config name of the op, for messages.
    var name: String {
        switch self {
        case .select: return "select"
        case .drop: return "drop"
        case .rename: return "rename"
        case .set: return "set"
        case .template: return "template"
        case .fillDefault: return "default"
        case .cast: return "cast"
        case .filter: return "filter"
        case .cleanNumbers: return "clean_numbers"
        case .lookup: return "lookup"
        case .compute: return "compute"
        case .validate: return "validate"
        case .filterExpression: return "filter"
        }
    }
}

/// Why a step could not process a record; the chain prefixes the step.
struct StepFailure: Error {
    enum Kind { case reject, deferral(limit: Int), fatal }
    var reason: String
    var kind: Kind
    init(_ reason: String, kind: Kind = .reject) {
        self.reason = reason
        self.kind = kind
    }
}

/// What a `lookup` step does when the ID map has no mapping (`on_missing`).
public enum LookupMissing: Equatable, Sendable {
    /// Leave the target field out (the default).
    case skip
    /// Write null into the target field.
    case null
    /// Reject the record: a dead letter (`required: true` means this).
    case deadLetter
    /// Park the record and try it again on the next runs, until the parent's mapping
    /// exists; after `limit` runs it becomes a dead letter.
    case deferRecord(limit: Int)
    /// Stop the run.
    case fail

    /// How many runs a deferred record waits by default.
    public static let defaultDeferLimit = 10
}
