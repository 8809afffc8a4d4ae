import Foundation

/// Where an output of a fan-out pipeline finds its rows in a source record: an array,
/// or arrays nested in the elements of arrays (`jobs`, `jobs[*].parts`), or the entries of
/// an object keyed by name or number (`mpptInputs{}`).
///
/// Each level is a dotted path from the element of the level above (the record itself
/// at the top) to an array (`[*]`) or an object whose entries are the elements (`{}`); every
/// element of the innermost level becomes one row. The last `[*]` may be left out (`jobs`
/// means `jobs[*]`).
public struct ExplodePath: Sendable, Equatable, CustomStringConvertible {
    /// What a level's elements are.
    public enum Kind: Sendable, Equatable {
        /// The elements of an array (`[*]`).
        case array
        /// The values of an object's entries (`{}`), each with its key.
        case entries
    }

    /// The level paths, outermost first, each relative to an element of the level above.
    public let levels: [FieldPath]
    /// What each level holds, in the order of `levels`.
    public let kinds: [Kind]

    /// Parses `jobs`, `jobs[*]`, `jobs[*].parts`, `detail.jobs[*].parts[*]`,
    /// `configurations[*].inputs{}`; nil when a level is empty or a marker is misplaced.
    /// - Parameter text: the path as written in the config.
    public init?(_ text: String) {
        var rest = Substring(text)
        var levels: [FieldPath] = []
        var kinds: [Kind] = []
        while !rest.isEmpty || levels.isEmpty {
            let marker = [("[*]", Kind.array), ("{}", Kind.entries)]
                .compactMap { symbol, kind in rest.range(of: symbol).map { ($0, kind) } }
                .min { $0.0.lowerBound < $1.0.lowerBound }
            let segment = marker.map { rest[..<$0.0.lowerBound] } ?? rest
            guard !segment.contains(where: { "[]{}".contains($0) }), let path = FieldPath(String(segment)) else {
                return nil
            }
            levels.append(path)
            kinds.append(marker?.1 ?? .array)
            guard let marker else { break }
            rest = rest[marker.0.upperBound...]
            if !rest.isEmpty {
                guard rest.hasPrefix("."), rest.count > 1 else { return nil }
                rest = rest.dropFirst()
            }
        }
        self.levels = levels
        self.kinds = kinds
    }

    /// The path as written in the config's long form (`jobs[*].parts[*]`, `inputs{}`).
    public var description: String {
        zip(levels, kinds).map { "\($0)\($1 == .array ? "[*]" : "{}")" }.joined(separator: ".")
    }

    /// How deep the rows are: 1 for `jobs`, 2 for `jobs[*].parts`. The source record is level 0.
    public var depth: Int { levels.count }
}

/// `repeat: {count, as}` of an exploded output: each element gives one row per 1…count,
/// the count read from the element (a PV string per `stringCount` of an MPPT input).
public struct ExplodeRepetition: Sendable, Equatable {
    /// Where the element holds its count.
    public var count: FieldPath
    /// The field that receives the repetition's number (1…count).
    public var name: String

    /// Creates a repetition.
    /// - Parameters:
    ///   - count: Where the element holds its count.
    ///   - name: The field for the repetition's number.
    public init(count: FieldPath, name: String) {
        self.count = count
        self.name = name
    }
}

/// A value copied from a row's parent (the source record, or an element of an enclosing
/// array) into the row (`parent_key: {from: jobs[*].id, as: job_id}`), so every child row
/// names its parents.
public struct ParentKeyField: Sendable, Equatable {
    /// Which level holds the value: 0 is the source record (after the pipeline's
    /// transforms), 1 the element of the explode path's first array, and so on.
    public var level: Int
    /// The value's path within that level's object.
    public var path: FieldPath
    /// The field the row gets.
    public var name: String

    /// Creates a parent key.
    ///
    /// - Parameters:
    ///   - level: The level the value comes from (0: the source record).
    ///   - path: Its path within that level.
    ///   - name: The row's field.
    public init(level: Int, path: FieldPath, name: String) {
        self.level = level
        self.path = path
        self.name = name
    }

    /// Resolves `from` as written against an explode path: `id` is the source record's
    /// field, `jobs[*].id` the enclosing job's. Throws a message when `from` does not
    /// follow the explode path or names the row's own level.
    /// - Parameters:
    ///   - from: the `from` text.
    ///   - name: the `as` field.
    ///   - explode: the output's explode path.
    public static func resolving(from: String, as name: String, in explode: ExplodePath) throws(ParentKeyError)
        -> ParentKeyField
    {
        // A level is written as in the explode path, `[*]` or `{}` (an object's entries).
        let parts = from.replacingOccurrences(of: "{}.", with: "[*].").components(separatedBy: "[*].")
        let level = parts.count - 1
        guard let path = FieldPath(parts[level]), !parts[level].contains("[") else {
            throw ParentKeyError("'\(from)' is not a field path such as id or jobs[*].id")
        }
        guard level < explode.depth else {
            throw ParentKeyError(
                "'\(from)' names a field of the row itself; a parent key comes from the source record (id) "
                    + "or an enclosing array's element (\(explode.depth > 1 ? "\(explode.levels[0])[*].id" : "id"))")
        }
        for index in 0..<level where FieldPath(parts[index]) != explode.levels[index] {
            throw ParentKeyError(
                "'\(from)' does not follow explode: \(explode): its level \(index + 1) must be '\(explode.levels[index])'"
            )
        }
        return ParentKeyField(level: level, path: path, name: name)
    }
}

/// A `parent_key` entry that does not fit its output's explode path.
public struct ParentKeyError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
