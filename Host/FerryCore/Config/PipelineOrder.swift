/// The order pipelines run in: each after the pipelines its `after:` names,
/// otherwise in the order the file lists them.
///
/// Related entities move parent first (sites before equipment before work
/// orders), so a child pipeline's lookups find the ids its parent's run stored.
public enum PipelineOrder {
    /// `pipelines` sorted so that every pipeline comes after those it names in
    /// `after` that are among `pipelines` (others are ignored: a site may run a
    /// child without its parent). Stable: independent pipelines keep their order.
    /// - Throws: `PipelineCycle` naming the pipelines of a cycle.
    public static func sorted(_ pipelines: [PipelineConfig]) throws -> [PipelineConfig] {
        let present = Set(pipelines.map(\.name))
        var done = Set<String>()
        var ordered: [PipelineConfig] = []
        var waiting = pipelines
        while !waiting.isEmpty {
            guard
                let next = waiting.firstIndex(where: { pipeline in
                    pipeline.after.allSatisfy { !present.contains($0) || done.contains($0) }
                })
            else {
                throw PipelineCycle(names: cycle(in: waiting))
            }
            let pipeline = waiting.remove(at: next)
            done.insert(pipeline.name)
            ordered.append(pipeline)
        }
        return ordered
    }

    /// One cycle among `pipelines` (each of which waits for another of them), first name repeated last.
    static func cycle(in pipelines: [PipelineConfig]) -> [String] {
        let byName = Dictionary(pipelines.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var path: [String] = []
        var current = pipelines[0].name
        while !path.contains(current) {
            path.append(current)
            guard let next = byName[current]?.after.first(where: { byName[$0] != nil }) else { break }
            current = next
        }
        let start = path.firstIndex(of: current) ?? 0
        return Array(path[start...]) + [current]
    }
}

/// Pipelines whose `after:` lists wait for each other in a circle.
public struct PipelineCycle: Error, CustomStringConvertible, Equatable {
    /// The cycle, its first pipeline repeated at the end: `["a", "b", "a"]`.
    public var names: [String]
    public init(names: [String]) { self.names = names }
    public var description: String {
        "pipelines wait for each other in a cycle: \(names.joined(separator: " → ")); remove one of these 'after' entries"
    }
}
