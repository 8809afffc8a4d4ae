import FerryCore

extension NotificationPolicy {
    /// What the policy remembers between runs (which pipelines are failing, over the
    /// dead-letter threshold, and how many conflicts were told), so that runs in separate
    /// processes (`ferry run` from cron) tell a failure once, not at every run.
    public struct Memory: Codable, Equatable, Sendable {
        struct Key: Codable, Hashable {
            var site: String
            var pipeline: String
        }
        var failing: [Key] = []
        var overThreshold: [Key] = []
        var conflicts: [Key: Int] = [:]

        /// Nothing remembered: the state of a first run.
        public init() {}
    }

    /// The policy's memory (the summary's counts are not part of it).
    public var memory: Memory {
        get {
            func key(_ id: PipelineID) -> Memory.Key { Memory.Key(site: id.site, pipeline: id.pipeline) }
            var memory = Memory()
            memory.failing = failing.map(key).sorted { ($0.site, $0.pipeline) < ($1.site, $1.pipeline) }
            memory.overThreshold = overThreshold.map(key).sorted { ($0.site, $0.pipeline) < ($1.site, $1.pipeline) }
            memory.conflicts = Dictionary(uniqueKeysWithValues: knownConflicts.map { (key($0.key), $0.value) })
            return memory
        }
        set {
            func id(_ key: Memory.Key) -> PipelineID { PipelineID(site: key.site, pipeline: key.pipeline) }
            failing = Set(newValue.failing.map(id))
            overThreshold = Set(newValue.overThreshold.map(id))
            knownConflicts = Dictionary(uniqueKeysWithValues: newValue.conflicts.map { (id($0.key), $0.value) })
        }
    }
}
