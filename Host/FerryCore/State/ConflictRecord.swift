import Foundation

/// A field that both sides changed since the last sync and no policy decided, kept for
/// a person (`ferry conflicts list|resolve`). Values are JSON texts; nil means missing.
public struct ConflictRecord: Sendable, Equatable {
    /// Where a conflict stands.
    public enum Status: String, Sendable, CaseIterable {
        /// Waiting for a person; the destination's value stays.
        case open
        /// Decided; the decision is written the next time the record passes.
        case resolved
        /// The decision was written.
        case applied
        /// The source sent another value before the decision was written: the field was decided again.
        case superseded
    }

    public var id: Int64 // assigned by the store; 0 before it is stored
    public var pipeline: PipelineID
    /// The source stream (as hashes and checkpoints are filed).
    public var stream: String
    /// The record's primary key as exact JSON text.
    public var key: String
    public var field: String
    /// The value Ferry wrote at the last sync.
    public var base: String?
    public var sourceValue: String?
    public var destinationValue: String?
    public var seenAt: Double
    public var status: Status
    /// The value chosen (JSON text; `null` for null), when resolved.
    public var resolution: String?
    public var resolvedAt: Double?

    public init(
        id: Int64 = 0, pipeline: PipelineID, stream: String, key: String, field: String, base: String?,
        sourceValue: String?, destinationValue: String?, seenAt: Double, status: Status = .open,
        resolution: String? = nil, resolvedAt: Double? = nil
    ) {
        self.id = id; self.pipeline = pipeline; self.stream = stream; self.key = key; self.field = field
        self.base = base; self.sourceValue = sourceValue; self.destinationValue = destinationValue
        self.seenAt = seenAt; self.status = status; self.resolution = resolution; self.resolvedAt = resolvedAt
    }
}

/// The last synced versions of one record (two-way sync): what the source sent and
/// what Ferry wrote, as JSON texts, by primary key.
public struct SyncedVersion: Sendable, Equatable {
    public var key: String
    public var sourceRecord: String
    public var writtenRecord: String

    public init(key: String, sourceRecord: String, writtenRecord: String) {
        self.key = key
        self.sourceRecord = sourceRecord
        self.writtenRecord = writtenRecord
    }
}

extension StateStore {
    /// How many of `pipeline`'s conflicts wait for a person now.
    public func openConflictCount(of pipeline: PipelineID) throws -> Int {
        try conflicts(for: pipeline, includeClosed: false, limit: Int.max)
            .filter { $0.pipeline == pipeline && $0.status == .open }.count
    }
}
