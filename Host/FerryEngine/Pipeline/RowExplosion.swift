import FerryCore
import FerryJSON

/// Turns one source record into the rows of one output of a fan-out pipeline: the record
/// itself, or every element of the array (or nested arrays, or an object's entries) the
/// output's `explode:` names, each carrying its parents' keys and, when asked, its position,
/// its entry key, its repetition and its running number.
///
/// Pure and without I/O, so the rules are tested alone (`RowExplosionTests`):
/// - a missing or null array or object gives no rows (a repair order without jobs has none);
/// - an object where the innermost array would be is one row: a one-to-one part of the
///   record (the customer fetched with a repair order) written as a table of its own;
/// - an object level (`inputs{}`) gives its entries in numeric key order when every key is an
///   integer ("9" before "10"), else in the order written; an array there rejects the record;
/// - anything else that is not an array, or an element of an outer level that is not an
///   object, rejects the record: the source's shape is not what the config says;
/// - an element that is not an object becomes `{"value": element}` (a list of tags);
/// - with `repeat`, each element gives one row per 1…count, count read from the element; a
///   count of 0 gives none, a missing, null, negative or non-integer count rejects the record;
/// - parent keys, positions, the entry key, the repetition and the running number come first
///   in the row and replace fields of the same name;
/// - a parent key that is missing or null rejects the record: a child row must name its parent.
struct RowExplosion {
    var explode: ExplodePath?
    var parentKeys: [ParentKeyField] = []
    /// The field for the 0-based position in the innermost level.
    var indexAs: String?
    /// The fields for the 0-based positions in the outer levels, outermost first (none, or one each).
    var outerIndexesAs: [String] = []
    /// The field for the entry key of an innermost object level.
    var keyAs: String?
    /// One row per 1…count of each element.
    var repetition: ExplodeRepetition?
    /// The field for the row's 1-based number among the record's rows in this output.
    var numberAs: String?

    /// The rows of `record`, in order (outer levels first, then repetitions).
    func rows(of record: JSONObject) throws(RowExplosionError) -> [JSONObject] {
        guard let explode else { return [record] }
        var rows: [JSONObject] = []
        try collect(level: 0, ancestors: [record], positions: [], place: "", explode: explode, into: &rows)
        guard let numberAs else { return rows }
        return rows.enumerated().map { number, row in
            Self.leading([(numberAs, .int(Int64(number + 1)))], before: row)
        }
    }

    /// One element of a level: its position, its entry key when the level is an object, its value.
    private typealias Element = (position: Int, key: String?, value: JSONValue)

    /// Walks the elements of level `level + 1` in `ancestors[level]`, appending the rows found.
    private func collect(
        level: Int, ancestors: [JSONObject], positions: [Int], place: String, explode: ExplodePath,
        into rows: inout [JSONObject]
    ) throws(RowExplosionError) {
        let path = explode.levels[level]
        let here = place.isEmpty ? "\(path)" : "\(place).\(path)"
        let innermost = level + 1 == explode.depth
        let elements: [Element]
        switch (explode.kinds[level], path.value(in: ancestors[level])) {
        case (_, nil), (_, .null?): return
        case (.array, .array(let array)?): elements = array.enumerated().map { ($0, nil, $1) }
        case (.array, .object(let object)?) where innermost:
            try append(.object(object), position: 0, key: nil, ancestors, positions, here, into: &rows)
            return
        case (.entries, .object(let object)?): elements = Self.entries(of: object)
        case (let kind, let other?):
            throw RowExplosionError(
                "explode \(explode): '\(here)' is \(Self.kind(of: other)), not \(kind == .array ? "an array" : "an object")"
            )
        }
        for element in elements {
            let position = element.key.map { "\(here).\($0)" } ?? "\(here)[\(element.position)]"
            if innermost {
                try append(
                    element.value, position: element.position, key: element.key, ancestors, positions, position,
                    into: &rows)
                continue
            }
            guard case .object(let object) = element.value else {
                throw RowExplosionError(
                    "explode \(explode): '\(position)' is \(Self.kind(of: element.value)), not an object holding "
                        + "'\(explode.levels[level + 1])'")
            }
            try collect(
                level: level + 1, ancestors: ancestors + [object], positions: positions + [element.position],
                place: position, explode: explode, into: &rows)
        }
    }

    /// An object's entries in numeric key order when every key is an integer, else as written.
    private static func entries(of object: JSONObject) -> [Element] {
        var members = object.members
        let numbers = members.compactMap { Int($0.key) }
        if numbers.count == members.count {
            members = zip(numbers, members).sorted { $0.0 < $1.0 }.map(\.1)
        }
        return members.enumerated().map { ($0, $1.key, $1.value) }
    }

    /// Appends the row (or, with `repeat`, the rows) of one innermost element.
    private func append(
        _ element: JSONValue, position: Int, key: String?, _ ancestors: [JSONObject], _ positions: [Int],
        _ place: String, into rows: inout [JSONObject]
    ) throws(RowExplosionError) {
        var members: [(key: String, value: JSONValue)] = []
        for parent in parentKeys {
            guard let value = parent.path.value(in: ancestors[parent.level]), !value.isNull else {
                let owner = parent.level == 0 ? "the record" : "the element of \(place) at level \(parent.level)"
                throw RowExplosionError(
                    "parent key '\(parent.path)' (as \(parent.name)) is missing or null in \(owner), so \(place) "
                        + "cannot name its parent")
            }
            members.append((parent.name, value))
        }
        for (name, outer) in zip(outerIndexesAs, positions) { members.append((name, .int(Int64(outer)))) }
        if let indexAs { members.append((indexAs, .int(Int64(position)))) }
        if let keyAs, let key { members.append((keyAs, .string(key))) }
        let own: JSONObject
        if case .object(let object) = element { own = object } else { own = JSONObject([("value", element)]) }
        guard let repetition else {
            rows.append(Self.leading(members, before: own))
            return
        }
        let count = try repetition.count(in: own, at: place)
        for number in stride(from: 1, through: count, by: 1) {
            rows.append(Self.leading(members + [(repetition.name, .int(Int64(number)))], before: own))
        }
    }

    /// `members` first, then the fields of `row` they do not replace.
    private static func leading(_ members: [(key: String, value: JSONValue)], before row: JSONObject) -> JSONObject {
        let fixed = Set(members.map(\.key))
        return JSONObject(members + row.members.filter { !fixed.contains($0.key) })
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension ExplodeRepetition {
    /// The element's count: a whole number ≥ 0, else an error naming where and what it is.
    func count(in element: JSONObject, at place: String) throws(RowExplosionError) -> Int {
        let value = count.value(in: element)
        switch value {
        case .int(let number)? where number >= 0: return Int(number)
        case .double(let number)? where number >= 0 && number.rounded() == number && number < 1e9: return Int(number)
        default:
            let found =
                value.map { $0.isNull ? "null" : "\(RowExplosion.kind(of: $0)) (\(JSONWriter().encodeString($0)))" }
                ?? "missing"
            throw RowExplosionError(
                "repeat: count '\(count)' of '\(place)' is \(found), not a whole number of 0 or more")
        }
    }
}

/// A record whose shape does not fit an output's `explode:` or `parent_key:`.
struct RowExplosionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
