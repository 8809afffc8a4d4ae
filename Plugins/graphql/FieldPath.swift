import FerryJSON
import FerryPluginSDK

/// A dotted path into a GraphQL response or a variables object: `data.allClients.nodes`,
/// or with `[]` after a segment to step into every element of a list, as Relay's
/// `data.allClients.edges[].node` needs.
struct FieldPath: Equatable, CustomStringConvertible {
    struct Segment: Equatable {
        var name: String
        /// True for `name[]`: the value is a list and each element is followed further.
        var eachElement: Bool
    }

    var segments: [Segment]

    /// Parses `text`; an empty segment (`a..b`) or an empty path is refused, naming `place`.
    init(_ text: String, at place: String) throws {
        segments = try text.split(separator: ".", omittingEmptySubsequences: false).map { part in
            let each = part.hasSuffix("[]")
            let name = each ? String(part.dropLast(2)) : String(part)
            guard !name.isEmpty, !name.contains("["), !name.contains("]") else {
                throw PluginError.invalid("\(place): '\(text)' is not a dotted path (like data.allClients.nodes)")
            }
            return Segment(name: name, eachElement: each)
        }
    }

    init(segments: [Segment]) { self.segments = segments }

    var description: String {
        segments.map { $0.eachElement ? $0.name + "[]" : $0.name }.joined(separator: ".")
    }

    /// True when some segment steps into list elements.
    var expandsLists: Bool { segments.contains(where: \.eachElement) }

    /// The path without its last `count` segments.
    func dropping(last count: Int) -> FieldPath { FieldPath(segments: Array(segments.dropLast(count))) }

    /// The path with `name` appended.
    func appending(_ name: String) -> FieldPath {
        FieldPath(segments: segments + [Segment(name: name, eachElement: false)])
    }

    /// The single value at the path (no `[]`), nil when a step is missing or null.
    func value(in root: JSONValue) -> JSONValue? {
        var value = root
        for segment in segments {
            guard let next = value[segment.name], !next.isNull else { return nil }
            value = next
        }
        return value
    }

    /// Every value the path reaches, following `[]` into each element.
    /// - Throws: A description of the first step that is missing, null or not a list
    ///   where one is expected (the caller adds the stream's name).
    func values(in root: JSONValue) throws(PathError) -> [JSONValue] {
        var current = [root]
        var walked: [String] = []
        for segment in segments {
            walked.append(segment.name)
            var next: [JSONValue] = []
            for value in current {
                guard let child = value[segment.name], !child.isNull else {
                    throw PathError(path: walked.joined(separator: "."), problem: "is missing or null")
                }
                if segment.eachElement {
                    guard let items = child.arrayValue else {
                        throw PathError(path: walked.joined(separator: "."), problem: "is not a list")
                    }
                    next.append(contentsOf: items)
                } else {
                    next.append(child)
                }
            }
            current = next
        }
        return current
    }

    /// `root` with `value` put at the path, creating the objects on the way.
    func setting(_ value: JSONValue, in root: JSONObject) -> JSONObject {
        guard let first = segments.first else { return root }
        var copy = root
        if segments.count == 1 {
            copy[first.name] = value
        } else {
            let inner = copy[first.name]?.objectValue ?? JSONObject()
            copy[first.name] = .object(FieldPath(segments: Array(segments.dropFirst())).setting(value, in: inner))
        }
        return copy
    }

    struct PathError: Error {
        var path: String
        var problem: String
    }
}
