import Foundation

/// The `conflicts:` block of a pipeline (two-way sync).
extension ConfigParser {
    static let conflictKeys = [
        "read_from", "policies", "default", "timestamp_field", "destination_id_field", "destination_transforms",
    ]

    /// Parses `conflicts:` for `pipeline`, whose other keys are already parsed.
    func conflicts(_ field: Field, pipeline: PipelineConfig, connections: [String]) throws -> ConflictSettings {
        let fields = try mapping(field, allowed: Self.conflictKeys)
        guard pipeline.write != .append else {
            throw failure(.invalidValue, field, "needs write: upsert or mirror: records are merged by primary key")
        }
        guard pipeline.changeDetection else {
            throw failure(
                .invalidValue, field,
                "needs change_detection: true, which sends a record again once its conflict is resolved")
        }
        var settings = ConflictSettings()
        if let readFrom = fields.optional("read_from") {
            settings.readFrom = try endpoint(
                readFrom, connections: connections, defaultStream: pipeline.destination.stream)
        }
        if let policies = fields.optional("policies") {
            for (name, entry) in try mapping(policies).entries {
                settings.policies[name] = try choice(entry, FieldPolicy.self)
            }
        }
        if let policy = fields.optional("default") { settings.defaultPolicy = try choice(policy, FieldPolicy.self) }
        settings.timestampField = try fields.optional("timestamp_field").map(string)
        settings.destinationIDField = try fields.optional("destination_id_field").map(string)
        if let steps = fields.optional("destination_transforms") {
            settings.destinationTransforms = try transformSteps(steps)
        }
        if settings.usesTimestamps && settings.timestampField == nil {
            throw failure(
                .missingKey, field,
                "newest_wins needs timestamp_field: the field holding each record's last change time")
        }
        return settings
    }
}
