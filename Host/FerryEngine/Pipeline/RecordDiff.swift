import FerryCore
import FerryJSON

/// What a run would do to one record of the destination, as `ferry run --dry-run --diff` shows it.
public struct RecordDiff: Sendable, Equatable {
    /// The kinds of change, with the stable names the JSON form uses.
    public enum Kind: String, Sendable {
        /// The destination has no such record: it would be created.
        case create
        /// The destination's record differs: `changes` lists the fields (empty when the
        /// destination could not be read, so only the ID map or the stored hash said so).
        case update
        /// Mirror mode: the record vanished from a complete snapshot and would be deleted.
        case delete
        /// The destination changed the record since Ferry's last write. A hook for the
        /// conflicts feature: nothing produces it yet (docs/relational.md).
        case conflict
    }

    public var kind: Kind
    /// The primary key as exact JSON text (`42`, `"VC1"`, `[1,"a"]`); nil without a key.
    public var key: String?
    /// The fields that differ (updates read from the destination).
    public var changes: [FieldChange]
    /// The record as it would be sent (creates only).
    public var record: JSONValue?
    /// The output the change belongs to, in a fan-out pipeline (`outputs:`); nil otherwise.
    public var output: String?

    public init(
        kind: Kind, key: String?, changes: [FieldChange] = [], record: JSONValue? = nil, output: String? = nil
    ) {
        self.kind = kind; self.key = key; self.changes = changes; self.record = record; self.output = output
    }
}

/// One field of an update: its dotted path, and its value before and after (nil: absent).
public struct FieldChange: Sendable, Equatable {
    public var path: String
    public var old: JSONValue?
    public var new: JSONValue?

    public init(path: String, old: JSONValue?, new: JSONValue?) {
        self.path = path; self.old = old; self.new = new
    }
}

/// Everything a dry run found for one pipeline: counts of each kind, and the first
/// `limit` changes listed (creates, updates, deletes in the order met). Unchanged
/// records are counted, never listed.
public struct PipelineDiff: Sendable {
    /// What became of mirror mode's deletes.
    public enum Deletes: Sendable, Equatable {
        /// Not a mirror pipeline.
        case none
        /// Mirror, but the run stopped before a complete snapshot (nothing would be deleted).
        case notReached
        /// The vanished records were counted and would be deleted.
        case computed
        /// More than `max_delete` vanished: a real run would refuse and delete nothing.
        case refused(String)
    }

    public let pipeline: PipelineID
    /// The most changes listed; the rest are only counted.
    public let limit: Int
    public private(set) var listed: [RecordDiff] = []
    public private(set) var created = 0
    public private(set) var updated = 0
    public private(set) var deleted = 0
    public private(set) var conflicts = 0
    /// Same content hash as stored, or equal to the destination's record.
    public internal(set) var unchanged = 0
    public internal(set) var deletes: Deletes
    /// Whether the destination's connector reads the destination stream (asked once, on the
    /// first batch to classify).
    var readable: Bool?
    /// The destination's records were read to compare fields (false: its connector is not
    /// a source of the stream, so creates and updates come from the ID map and stored hashes).
    public var destinationRead: Bool { readable == true }

    public init(pipeline: PipelineID, limit: Int, mirror: Bool) {
        self.pipeline = pipeline
        self.limit = max(0, limit)
        deletes = mirror ? .notReached : .none
    }

    /// Changes counted but not listed.
    public var omitted: Int { created + updated + deleted + conflicts - listed.count }

    /// Counts a change, and lists it while fewer than `limit` are.
    public mutating func add(_ change: RecordDiff) {
        switch change.kind {
        case .create: created += 1
        case .update: updated += 1
        case .delete: deleted += 1
        case .conflict: conflicts += 1
        }
        if listed.count < limit { listed.append(change) }
    }
}

/// Compares a record as it would be sent with the destination's copy, field by field.
///
/// Destinations store values in their own types, so values that mean the same are equal:
/// 1 and 1.0, `true` and 1 (SQLite has no booleans), an object or array and the JSON text a
/// column keeps it as, null and absent. The new record's fields are compared; columns only
/// the destination has (an assigned id) are not changes. Nested objects are compared member
/// by member, with dotted paths (`customer.address.city`); arrays as a whole.
public enum FieldComparison {
    /// The fields of `new` that differ from `old`.
    public static func changes(from old: JSONObject, to new: JSONObject) -> [FieldChange] {
        var changes: [FieldChange] = []
        for (name, value) in new { compare(path: name, old: old[name], new: value, into: &changes) }
        return changes
    }

    static func compare(path: String, old: JSONValue?, new: JSONValue?, into changes: inout [FieldChange]) {
        if case .object(let newObject)? = new, let oldObject = structured(old)?.objectValue {
            var names = newObject.keys
            for name in oldObject.keys where newObject[name] == nil { names.append(name) }
            for name in names {
                compare(path: path + "." + name, old: oldObject[name], new: newObject[name], into: &changes)
            }
            return
        }
        if !equivalent(old, new) { changes.append(FieldChange(path: path, old: old, new: new)) }
    }

    /// Whether two values mean the same once stored.
    public static func equivalent(_ old: JSONValue?, _ new: JSONValue?) -> Bool {
        switch (old ?? .null, new ?? .null) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .bool(let b)), (.bool(let b), .int(let a)): return a == (b ? 1 : 0)
        case (.string(let a), .string(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.int, .double), (.double, .int), (.double, .double):
            return old?.doubleValue == new?.doubleValue
        case (let a, .array(let b)):
            guard case .array(let items)? = structured(a), items.count == b.count else { return false }
            return zip(items, b).allSatisfy { equivalent($0, $1) }
        case (let a, .object(let b)):
            guard case .object(let object)? = structured(a), object.count == b.count else { return false }
            return b.allSatisfy { equivalent(object[$0.key], $0.value) }
        default: return false
        }
    }

    /// A structured value, or the JSON text a column stores one as, parsed.
    private static func structured(_ value: JSONValue?) -> JSONValue? {
        switch value {
        case .array?, .object?: return value
        case .string(let text)?:
            guard let first = text.first, first == "{" || first == "[" else { return nil }
            return try? JSONParser().parse(Array(text.utf8))
        default: return nil
        }
    }
}
