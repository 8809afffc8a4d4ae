import FerryCore
import FerryJSON

/// Turns one source record into the rows of one output of a fan-out pipeline: the record
/// itself, or every element of the array (or nested arrays) the output's `explode:` names,
/// each carrying its parents' keys and, when asked, its position.
///
/// Pure and without I/O, so the rules are tested alone (`RowExplosionTests`):
/// - a missing or null array gives no rows (a repair order without jobs has none);
/// - an object where the innermost array would be is one row: a one-to-one part of the
///   record (the customer fetched with a repair order) written as a table of its own;
/// - anything else that is not an array, or an element of an outer array that is not an
///   object, rejects the record: the source's shape is not what the config says;
/// - an element that is not an object becomes `{"value": element}` (a list of tags);
/// - parent keys and the index come first in the row and replace fields of the same name;
/// - a parent key that is missing or null rejects the record: a child row must name its parent.
struct RowExplosion {
    var explode: ExplodePath?
    var parentKeys: [ParentKeyField] = []
    var indexAs: String?

    /// The rows of `record`, in array order (outer arrays first).
    func rows(of record: JSONObject) throws(RowExplosionError) -> [JSONObject] {
        guard let explode else { return [record] }
        var rows: [JSONObject] = []
        try collect(level: 0, ancestors: [record], place: "", explode: explode, into: &rows)
        return rows
    }

    /// Walks the arrays of level `level + 1` in `ancestors[level]`, appending the rows found.
    private func collect(
        level: Int, ancestors: [JSONObject], place: String, explode: ExplodePath, into rows: inout [JSONObject]
    ) throws(RowExplosionError) {
        let path = explode.levels[level]
        let here = place.isEmpty ? "\(path)" : "\(place).\(path)"
        let elements: [JSONValue]
        let innermost = level + 1 == explode.depth
        switch path.value(in: ancestors[level]) {
        case nil, .null?: return
        case .array(let array)?: elements = array
        case .object(let object)? where innermost:
            rows.append(try row(from: .object(object), index: 0, ancestors: ancestors, place: here))
            return
        case let other?:
            throw RowExplosionError(
                "explode \(explode): '\(here)' is \(Self.kind(of: other)), not an array")
        }
        for (index, element) in elements.enumerated() {
            let position = "\(here)[\(index)]"
            if innermost {
                rows.append(try row(from: element, index: index, ancestors: ancestors, place: position))
                continue
            }
            guard case .object(let object) = element else {
                throw RowExplosionError(
                    "explode \(explode): '\(position)' is \(Self.kind(of: element)), not an object holding "
                        + "'\(explode.levels[level + 1])'")
            }
            try collect(
                level: level + 1, ancestors: ancestors + [object], place: position, explode: explode, into: &rows)
        }
    }

    private func row(from element: JSONValue, index: Int, ancestors: [JSONObject], place: String)
        throws(RowExplosionError) -> JSONObject
    {
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
        if let indexAs { members.append((indexAs, .int(Int64(index)))) }
        let own: JSONObject
        if case .object(let object) = element { own = object } else { own = JSONObject([("value", element)]) }
        let fixed = Set(members.map(\.key))
        members += own.members.filter { !fixed.contains($0.key) }
        return JSONObject(members)
    }

    private static func kind(of value: JSONValue) -> String {
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

/// A record whose shape does not fit an output's `explode:` or `parent_key:`.
struct RowExplosionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
