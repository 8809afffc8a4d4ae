import Foundation

/// One pipeline: read a stream from a source connection, transform it, write it to a destination.
public struct PipelineConfig: Sendable, Equatable {
    /// One end of a pipeline: a connection and a stream in it.
    public struct Endpoint: Sendable, Equatable {
        /// The connection's name (a key under `connections:`).
        public var connection: String
        /// The stream (table, collection, endpoint) within the connection.
        public var stream: String
        /// Where the endpoint is written.
        public var location: SourceLocation

        /// Creates an endpoint.
        ///
        /// - Parameters:
        ///   - connection: The connection's name.
        ///   - stream: The stream's name.
        ///   - location: Where it is written.
        public init(connection: String, stream: String, location: SourceLocation = .unknown) {
            self.connection = connection
            self.stream = stream
            self.location = location
        }
    }

    /// How much of the source is read on each run.
    public enum SyncMode: String, Sendable, CaseIterable {
        /// Only what changed since the saved cursor (the default).
        case incremental
        /// Everything, every run.
        case full
    }

    /// How records are written to the destination.
    public enum WriteMode: String, Sendable, CaseIterable {
        /// Insert every record (the default).
        case append
        /// Insert or update by primary key.
        case upsert
        /// Upsert, then delete what vanished from a full snapshot.
        case mirror

        /// Whether the mode needs a primary key (from the config or the source's catalog).
        public var needsPrimaryKey: Bool { self != .append }
    }

    /// What happens to a record that a transform or the destination rejects.
    public enum ErrorPolicy: String, Sendable, CaseIterable {
        /// Store it as a dead letter and go on (the default).
        case deadLetter = "dead_letter"
        /// Stop the run.
        case fail
    }

    /// The default number of records per batch.
    public static let defaultBatchSize = 1000
    /// The allowed batch sizes.
    public static let batchSizeRange = 1...1_000_000

    /// The default most records one commit spans (several batches, when the destination
    /// keeps a transaction open across writes).
    public static let defaultCommitRecords = 100_000
    /// The allowed `commit_records`.
    public static let commitRecordsRange = 1...10_000_000
    /// The default most seconds a commit group stays open.
    public static let defaultCommitSeconds = 10
    /// The default most MiB of source batches read ahead of the one being written. 4 rather than 8:
    /// 4.2 MiB less at the 1M benchmark's peak at 1.03× the time, which keeps the defaults within
    /// 64 MiB (docs/performance.md, *Start-up pages given back*).
    public static let defaultReadAheadMiB = 4
    /// The allowed `read_ahead_mib`.
    public static let readAheadMiBRange = 0...1024

    /// The pipeline's name, its key under `pipelines:`.
    public var name: String
    /// Where records come from.
    public var source: Endpoint
    /// Where records go; its stream defaults to the source's.
    public var destination: Endpoint
    /// Incremental or full reads.
    public var sync: SyncMode
    /// Append, upsert or mirror writes.
    public var write: WriteMode
    /// The key fields, when given in the config; otherwise the source's catalog decides.
    public var primaryKey: [String]?
    /// The field that orders records for incremental reads, when given.
    public var cursorField: String?
    /// How far before the saved cursor to start reading again, in seconds.
    public var lookback: Int?
    /// Records per batch (the unit of transfer, transaction and checkpoint).
    public var batchSize: Int
    /// The most records one commit spans: batches are written into one destination
    /// transaction and committed to state together until they hold this many (only with a
    /// destination that keeps a transaction open across writes, ABI 1.2).
    public var commitRecords = PipelineConfig.defaultCommitRecords
    /// The most seconds one commit group stays open (checked as each batch arrives).
    public var commitSeconds = PipelineConfig.defaultCommitSeconds
    /// The most MiB of source batches read (and keyed) ahead while earlier ones are written; 0 reads
    /// each batch only when the run takes it up.
    public var readAheadMiB = PipelineConfig.defaultReadAheadMiB
    /// Dead-letter or fail on rejected records.
    public var onError: ErrorPolicy
    /// Built-in transform steps, in order.
    public var transforms: [TransformStep]
    /// Names of connections whose transform plugins run after ``transforms``, in order.
    public var transformPlugins: [String]
    /// A five-field cron expression for serve mode, if any.
    public var schedule: String?
    /// A five-field cron expression at which serve mode runs the pipeline in full (as
    /// `ferry run --full`), if any; when it and ``schedule`` are due together, the full run
    /// wins and the pipeline runs once.
    public var fullSchedule: String?
    /// A stream of the destination connection whose record says where the data stored
    /// there ends (`{"time": "<ISO 8601>"}`, e.g. the `influxdb` plugin's `latest`): the
    /// run then reads from that time minus ``lookback`` instead of from its checkpoint.
    public var destinationCursor: String?
    /// Whether upserts skip records whose content hash has not changed since they were last
    /// written (the default). Off saves the hash bookkeeping where re-sending is cheap, such
    /// as a local database; mirror mode needs it.
    public var changeDetection = true
    /// Pipelines that must run first (parents whose ids this pipeline looks up); when one
    /// fails, this one is skipped.
    public var after: [String] = []
    /// False leaves the pipeline out of the configuration (`enabled: ${SUPABASE_MAPPING_TABLES:-true}`):
    /// it never runs, and others' `after:` no longer wait for it.
    public var enabled = true
    /// The most records one mirror run may delete; more fails the run with nothing deleted.
    public var maxDelete = DeleteLimit.default
    /// Two-way sync: merge each record with the destination's current one, field by field.
    public var conflicts: ConflictSettings?
    /// Fields the records carry for `id_map_mirrors:` columns (and their change hash) that
    /// the destination never receives (`mirror_only:`): a mapping table's column the
    /// destination's body has no place for.
    public var mirrorOnly: [String] = []
    /// Where each run starts reading (`since:`), as written: a date, a date-time, or a
    /// relative time such as `-30d` (``DateBound``); `--since` replaces it.
    public var since: String?
    /// Where each run stops reading (`until:`, exclusive), in the same forms; `--until` replaces it.
    public var until: String?
    /// The IANA time zone relative `since`/`until` days are counted in (`timezone:`);
    /// nil: the host's.
    public var timeZone: String?
    /// Fan-out (`outputs:`): several destination tables fed from each source record, parents
    /// first. Empty for a pipeline with one `destination:`; otherwise ``destination`` is the
    /// first output's.
    public var outputs: [OutputConfig] = []
    /// Where the pipeline is defined.
    public var location: SourceLocation

    /// Creates a pipeline with the documented defaults.
    ///
    /// - Parameters:
    ///   - name: The pipeline's name.
    ///   - source: Where records come from.
    ///   - destination: Where records go.
    ///   - sync: Incremental or full.
    ///   - write: Append, upsert or mirror.
    ///   - primaryKey: The key fields, if given.
    ///   - cursorField: The cursor field, if given.
    ///   - lookback: The lookback in seconds, if given.
    ///   - batchSize: Records per batch.
    ///   - onError: What to do with rejected records.
    ///   - transforms: Built-in transform steps.
    ///   - transformPlugins: Transform connections applied after `transforms`.
    ///   - schedule: A cron expression, if any.
    ///   - location: Where it is defined.
    public init(
        name: String, source: Endpoint, destination: Endpoint, sync: SyncMode = .incremental,
        write: WriteMode = .append, primaryKey: [String]? = nil, cursorField: String? = nil,
        lookback: Int? = nil, batchSize: Int = PipelineConfig.defaultBatchSize,
        onError: ErrorPolicy = .deadLetter, transforms: [TransformStep] = [], transformPlugins: [String] = [],
        schedule: String? = nil, location: SourceLocation = .unknown
    ) {
        self.name = name
        self.source = source
        self.destination = destination
        self.sync = sync
        self.write = write
        self.primaryKey = primaryKey
        self.cursorField = cursorField
        self.lookback = lookback
        self.batchSize = batchSize
        self.onError = onError
        self.transforms = transforms
        self.transformPlugins = transformPlugins
        self.schedule = schedule
        self.location = location
    }

    /// Every connection this pipeline uses (source, destination, transform plugins), without repeats.
    ///
    /// The host loads only these connections' plugins, so one broken connector cannot stop another site.
    public var connectionNames: [String] {
        var names: [String] = []
        let twoWay = conflicts?.readFrom.map { [$0.connection] } ?? []
        let fanOut = outputs.map(\.destination.connection)
        for name in [source.connection, destination.connection] + fanOut + transformPlugins + twoWay
        where !names.contains(name) {
            names.append(name)
        }
        return names
    }
}

/// How many records a mirror run may delete (`max_delete`), like rsync's
/// `--max-delete`: a source that suddenly returns little or nothing must not
/// empty the destination. A share of the records the destination held, or a count.
public enum DeleteLimit: Sendable, Equatable, CustomStringConvertible {
    /// At most this share (0...1) of the records known before the run.
    case share(Double)
    /// At most this many records.
    case count(Int)

    /// Half of what the destination held: a real clean-up rarely deletes more at once.
    public static let `default` = DeleteLimit.share(0.5)

    /// Parses `N%` (a share, 0–100) or a whole number of records; nil for anything else.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let percent = Double(trimmed.dropLast()), (0...100).contains(percent) else { return nil }
            self = .share(percent / 100)
        } else {
            guard let count = Int(trimmed), count >= 0 else { return nil }
            self = .count(count)
        }
    }

    /// Whether deleting `deletions` of `known` records stays within the limit.
    public func allows(deleting deletions: Int, of known: Int) -> Bool {
        switch self {
        case .count(let limit): return deletions <= limit
        case .share(let share): return Double(deletions) <= share * Double(known)
        }
    }

    public var description: String {
        switch self {
        case .count(let limit): return "\(limit)"
        case .share(let share): return "\((share * 1000).rounded() / 10)%"
        }
    }
}
