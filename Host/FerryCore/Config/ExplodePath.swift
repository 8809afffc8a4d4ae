/// Where an output of a fan-out pipeline finds its rows in a source record: an array,
/// or arrays nested in the elements of arrays (`jobs`, `jobs[*].parts`).
///
/// Each level is a dotted path from the element of the level above (the record itself
/// at the top) to an array; every element of the innermost array becomes one row.
/// `[*]` marks a level; the last one may be left out (`jobs` means `jobs[*]`).
public struct ExplodePath: Sendable, Equatable, CustomStringConvertible {
    /// The array paths, outermost first, each relative to an element of the level above.
    public let levels: [FieldPath]

    /// Parses `jobs`, `jobs[*]`, `jobs[*].parts`, `detail.jobs[*].parts[*]`; nil when a level
    /// is empty or a `[*]` is misplaced.
    /// - Parameter text: the path as written in the config.
    public init?(_ text: String) {
        var body = Substring(text)
        if body.hasSuffix("[*]") { body = body.dropLast(3) }
        var levels: [FieldPath] = []
        for (offset, part) in body.components(separatedBy: "[*]").enumerated() {
            var segment = Substring(part)
            if offset > 0 {
                guard segment.hasPrefix(".") else { return nil }
                segment = segment.dropFirst()
            }
            guard !segment.contains("["), !segment.contains("]"), let path = FieldPath(String(segment)) else {
                return nil
            }
            levels.append(path)
        }
        guard !levels.isEmpty else { return nil }
        self.levels = levels
    }

    /// The path as written in the config's long form (`jobs[*].parts[*]`).
    public var description: String { levels.map { "\($0)[*]" }.joined(separator: ".") }

    /// How deep the rows are: 1 for `jobs`, 2 for `jobs[*].parts`. The source record is level 0.
    public var depth: Int { levels.count }
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
        let parts = from.components(separatedBy: "[*].")
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
