import Foundation

/// Who decides a field that both sides changed since the last sync (`conflicts.policies`).
public enum FieldPolicy: String, Sendable, CaseIterable {
    /// The source's value is written.
    case sourceWins = "source_wins"
    /// The destination's value is kept.
    case destinationWins = "destination_wins"
    /// The value of the side whose `timestamp_field` is later is kept (the source's on a tie).
    case newestWins = "newest_wins"
    /// The source's value is written only where the destination's is empty (null, missing or
    /// `""`), whichever side changed: the source fills gaps and never overwrites.
    case fillIfEmpty = "fill_if_empty"
    /// Nothing is decided: the field keeps the destination's value and a conflict is
    /// recorded for a person (`ferry conflicts list|resolve`).
    case record
    /// The destination's value is kept, and every change the destination made to it is
    /// recorded as a conflict for a person, even when the source did not change: the field
    /// belongs to the destination, but a change made there alone is not taken silently (a
    /// site moved to another client in Yuman while the mapping still names the old one).
    case destinationWinsReported = "destination_wins_reported"
}

/// A pipeline's two-way settings (`conflicts:`): where the destination's current
/// records are read, and the policy of each field.
public struct ConflictSettings: Sendable, Equatable {
    /// The stream the destination's current records are read from; nil reads the
    /// pipeline's destination connection and stream.
    public var readFrom: PipelineConfig.Endpoint?
    /// Policies by field name (the field as written to the destination).
    public var policies: [String: FieldPolicy]
    /// The policy of fields not in `policies`.
    public var defaultPolicy: FieldPolicy
    /// The field holding each record's last change time, for `newest_wins`.
    public var timestampField: String?
    /// The destination records' field holding the id the destination assigned (`id`): records
    /// are then matched through the ID map (the id filed under the record's key) rather than
    /// by primary key, for an API whose objects do not carry the source's key.
    public var destinationIDField: String?
    /// Transform steps run on each destination record as read, before the merge compares it:
    /// to bring a value the destination keeps elsewhere to the field the source sends (a custom
    /// field in a list: `pick(fields, 'blueprint_id', 13582, 'value')`).
    public var destinationTransforms: [TransformStep] = []

    /// Creates settings.
    ///
    /// - Parameters:
    ///   - readFrom: Where the destination's records are read; nil for the pipeline's destination.
    ///   - policies: Policies by field.
    ///   - defaultPolicy: The policy of every other field.
    ///   - timestampField: The change-time field `newest_wins` compares.
    public init(
        readFrom: PipelineConfig.Endpoint? = nil, policies: [String: FieldPolicy] = [:],
        defaultPolicy: FieldPolicy = .record, timestampField: String? = nil
    ) {
        self.readFrom = readFrom
        self.policies = policies
        self.defaultPolicy = defaultPolicy
        self.timestampField = timestampField
    }

    /// The policy of `field`.
    public func policy(of field: String) -> FieldPolicy { policies[field] ?? defaultPolicy }

    /// Whether a field's destination-side changes are reported (`destination_wins_reported`),
    /// so records the source did not change are still compared with the destination.
    public var reportsDestinationChanges: Bool {
        defaultPolicy == .destinationWinsReported || policies.values.contains(.destinationWinsReported)
    }

    /// Whether any field may need `timestamp_field`.
    public var usesTimestamps: Bool { defaultPolicy == .newestWins || policies.values.contains(.newestWins) }
}
