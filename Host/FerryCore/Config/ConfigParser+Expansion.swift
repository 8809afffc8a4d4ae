import Yams

extension ConfigParser {
    /// The most nodes a document may have once its aliases are expanded.
    ///
    /// A YAML alias (`*name`) repeats a whole anchored value, and aliases of aliases
    /// multiply: 1.3 KB can stand for 10^7 values (48 s and 810 MB to walk). A real
    /// Ferry configuration has a few thousand nodes, so the limit leaves ample room.
    static let expandedNodeLimit = 100_000

    /// Throws when `root`, with its aliases expanded, has more than `expandedNodeLimit` nodes,
    /// pointing at the first value whose expansion alone is too large.
    ///
    /// Yams shares an aliased value rather than copying it, so the tree is cheap until
    /// something walks it; this counts each written value once (an alias's copy keeps its
    /// anchor's position, which identifies it) and refuses before anything walks it.
    func checkExpansion(_ root: Node) throws {
        var sizes: [Position: Int] = [:]
        _ = try expandedSize(of: root, sizes: &sizes)
    }

    private struct Position: Hashable {
        let line: Int
        let column: Int
    }

    private func expandedSize(of node: Node, sizes: inout [Position: Int]) throws -> Int {
        let position = node.mark.map { Position(line: $0.line, column: $0.column) }
        if let position, let known = sizes[position] { return known }
        var size = 1
        switch node {
        case .scalar, .alias:
            break
        case .sequence(let sequence):
            for element in sequence { size += try expandedSize(of: element, sizes: &sizes) }
        case .mapping(let mapping):
            for (key, value) in mapping {
                size += try expandedSize(of: key, sizes: &sizes) + expandedSize(of: value, sizes: &sizes)
            }
        }
        if size > Self.expandedNodeLimit {
            throw ConfigError(
                .invalidValue, at: location(node.mark, or: SourceLocation(file: file, line: 1, column: 1)),
                message:
                    "this value expands to more than \(Self.expandedNodeLimit) values through YAML aliases (*name); "
                    + "Ferry refuses to expand it: write the repeated parts out, or use fewer nested aliases")
        }
        if let position { sizes[position] = size }
        return size
    }
}
