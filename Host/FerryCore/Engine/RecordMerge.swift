import FerryJSON
import Foundation

/// A three-way merge of one record, field by field, with no I/O: the rules of two-way
/// sync (docs/relational.md, "Two-way sync and conflicts").
///
/// The inputs are the record the source sends now, the versions of the last sync (what
/// the source sent then and what Ferry wrote then) and the destination's current record.
/// Only the fields the source sends are decided (an upsert writes no others):
/// - the destination has no such record, or a key field → the source's value;
/// - a field with a resolution whose source value is still the source's → the resolution;
/// - `fill_if_empty` → the source's value where the destination's is empty, else the destination's;
/// - equal on both sides, or changed only on the source → the source's value;
/// - unchanged on the source → the destination's value (its own edit is never overwritten);
/// - changed on both → the field's policy; `record` (or `newest_wins` without two
///   comparable times) keeps the destination's value and reports a conflict;
/// - `destination_wins_reported` → the destination's value whenever it changed, reported as
///   a conflict even when the source did not change.
///
/// Without a last-synced version (the record was never synced by this pipeline) every
/// field counts as changed on both sides, except where one side's value is empty: then
/// the other side's value is taken.
/// Values compare as the destination reads them back: `true` equals 1, a JSON object
/// equals the text holding it, 2 equals 2.0, null equals missing.
public struct RecordMerge {
    /// The versions of the last sync of one record.
    public struct Base: Sendable, Equatable {
        /// The record as the source sent it (after transforms).
        public var source: JSONObject
        /// The record as Ferry wrote it.
        public var written: JSONObject

        /// Creates a base.
        ///
        /// - Parameters:
        ///   - source: What the source sent at the last sync.
        ///   - written: What Ferry wrote at the last sync.
        public init(source: JSONObject, written: JSONObject) {
            self.source = source
            self.written = written
        }
    }

    /// A person's decision on a recorded conflict, applied while the source still sends
    /// the value the conflict saw.
    public struct Resolution: Sendable, Equatable {
        /// The source's value when the conflict was recorded (nil: missing).
        public var sourceValue: JSONValue?
        /// The value to write (nil: null).
        public var value: JSONValue?

        /// Creates a resolution.
        ///
        /// - Parameters:
        ///   - sourceValue: The source's value the conflict recorded.
        ///   - value: The value chosen.
        public init(sourceValue: JSONValue?, value: JSONValue?) {
            self.sourceValue = sourceValue
            self.value = value
        }
    }

    /// A field nobody decided.
    public struct Conflict: Sendable, Equatable {
        public var field: String
        /// The value Ferry wrote at the last sync (nil: none).
        public var base: JSONValue?
        public var source: JSONValue?
        public var destination: JSONValue?

        /// Creates a conflict.
        ///
        /// - Parameters:
        ///   - field: The field.
        ///   - base: What Ferry wrote at the last sync.
        ///   - source: The source's value now.
        ///   - destination: The destination's value now.
        public init(field: String, base: JSONValue?, source: JSONValue?, destination: JSONValue?) {
            self.field = field
            self.base = base
            self.source = source
            self.destination = destination
        }
    }

    /// What a merge decided.
    public struct Outcome: Sendable, Equatable {
        /// The record to write.
        public var merged: JSONObject
        /// Fields left to a person; `merged` holds the destination's value for each.
        public var conflicts: [Conflict] = []
        /// Fields whose resolution was written.
        public var appliedResolutions: [String] = []
        /// Fields whose resolution no longer applies (the source sent another value since).
        public var staleResolutions: [String] = []
        /// Fields where the destination's value was kept instead of the source's.
        public var keptDestination: [String] = []
    }

    public var settings: ConflictSettings
    /// The primary-key fields, always the source's.
    public var keyFields: [String]

    /// Creates a merge for one pipeline.
    ///
    /// - Parameters:
    ///   - settings: The pipeline's policies.
    ///   - keyFields: Its primary-key fields.
    public init(settings: ConflictSettings, keyFields: [String]) {
        self.settings = settings
        self.keyFields = keyFields
    }

    /// Merges one record.
    ///
    /// - Parameters:
    ///   - source: The record the source sends now.
    ///   - base: The versions of the last sync, if any.
    ///   - destination: The destination's current record, nil when it holds none.
    ///   - resolutions: Decisions on this record's conflicts, by field.
    /// - Returns: The record to write and what was decided.
    public func merge(
        source: JSONObject, base: Base?, destination: JSONObject?,
        resolutions: [String: Resolution] = [:]
    ) -> Outcome {
        var outcome = Outcome(merged: source)
        guard let destination else { return outcome }
        for (field, sourceValue) in source where !keyFields.contains(field) {
            let destinationValue = destination[field]
            if let resolution = resolutions[field] {
                if Self.same(resolution.sourceValue, sourceValue) {
                    outcome.merged[field] = resolution.value ?? .null
                    outcome.appliedResolutions.append(field)
                    continue
                }
                outcome.staleResolutions.append(field)
            }
            let keep: Bool
            switch decide(
                field, source: sourceValue, destination: destinationValue, base: base,
                sourceRecord: source, destinationRecord: destination)
            {
            case .source: keep = false
            case .destination: keep = true
            case .conflict:
                keep = true
                outcome.conflicts.append(
                    Conflict(
                        field: field, base: base?.written[field], source: sourceValue,
                        destination: destinationValue))
            }
            if keep && !Self.same(sourceValue, destinationValue) {
                outcome.merged[field] = destinationValue ?? .null
                outcome.keptDestination.append(field)
            }
        }
        return outcome
    }

    private enum Decision { case source, destination, conflict }

    private func decide(
        _ field: String, source: JSONValue, destination: JSONValue?, base: Base?,
        sourceRecord: JSONObject, destinationRecord: JSONObject
    ) -> Decision {
        let policy = settings.policy(of: field)
        if policy == .fillIfEmpty { return Self.isEmpty(destination) ? .source : .destination }
        if Self.same(source, destination) { return .source }
        let sourceChanged: Bool, destinationChanged: Bool
        if let base {
            sourceChanged = !Self.same(source, base.source[field])
            destinationChanged = !Self.same(destination, base.written[field])
        } else {
            // Never synced: a value one side lacks is no competing edit.
            if Self.isEmpty(destination) { return .source }
            if Self.isEmpty(source) { return .destination }
            (sourceChanged, destinationChanged) = (true, true)
        }
        // Its own edit is the destination's, but a person hears of it.
        if policy == .destinationWinsReported && destinationChanged { return .conflict }
        // Unchanged on the source: the destination's value is the agreed one (or its own edit).
        if !sourceChanged { return .destination }
        if !destinationChanged { return .source }
        switch policy {
        case .sourceWins: return .source
        case .destinationWins: return .destination
        case .newestWins:
            guard let field = settings.timestampField,
                let order = Self.order(sourceRecord[field], destinationRecord[field])
            else { return .conflict }
            return order == .orderedAscending ? .destination : .source
        case .record, .fillIfEmpty, .destinationWinsReported: return .conflict
        }
    }

    // MARK: Comparing values

    /// Null, missing or the empty string.
    public static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: return true
        case .string(let text)?: return text.isEmpty
        default: return false
        }
    }

    /// Equality as a destination reads values back (see the type's notes).
    public static func same(_ lhs: JSONValue?, _ rhs: JSONValue?) -> Bool {
        switch (lhs ?? .null, rhs ?? .null) {
        case (.null, .null): return true
        case (.bool(let flag), .int(let number)), (.int(let number), .bool(let flag)): return number == (flag ? 1 : 0)
        case (.int, .double), (.double, .int), (.double, .double): return lhs?.doubleValue == rhs?.doubleValue
        case (.string(let text), let structured), (let structured, .string(let text)):
            switch structured {
            case .array, .object:
                guard let parsed = try? JSONParser().parse(Array(text.utf8)) else { return false }
                return same(parsed, structured)
            default: return lhs == rhs
            }
        case (.array(let left), .array(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { same($0, $1) }
        case (.object(let left), .object(let right)):
            return left.count == right.count && left.allSatisfy { same($0.value, right[$0.key]) }
        default: return lhs ?? .null == rhs ?? .null
        }
    }

    /// The order of two change times: numbers, or ISO 8601 texts; nil when they do not compare.
    static func order(_ lhs: JSONValue?, _ rhs: JSONValue?) -> ComparisonResult? {
        if let left = lhs?.doubleValue, let right = rhs?.doubleValue {
            return left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
        }
        guard let left = lhs?.stringValue.flatMap(date), let right = rhs?.stringValue.flatMap(date) else { return nil }
        return left.compare(right)
    }

    private static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        // SQLite's `datetime()` form: UTC with a space.
        formatter.formatOptions = [.withFullDate, .withSpaceBetweenDateAndTime, .withTime, .withColonSeparatorInTime]
        return formatter.date(from: text)
    }
}
