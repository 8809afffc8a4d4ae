import FerryCore
import FerryJSON
import FerryPluginSDK
import Foundation

/// A pipeline ready to run: its open connections and every setting resolved.
/// `Workspace.plan(_:)` makes one from the configuration; tests may build one by hand.
public struct PipelinePlan {
    /// How records reach the destination.
    public enum WriteMode: String, Sendable { case append, upsert, mirror }

    public var id: PipelineID
    public var source: PluginConnection
    public var sourceStream: String
    public var destination: PluginConnection
    public var destinationStream: String
    /// Read everything, ignoring the checkpoint (config `sync: full`).
    public var fullSync: Bool
    public var writeMode: WriteMode
    public var primaryKey: [String]
    public var cursorField: String?
    public var lookback: Int?
    public var batchSize: Int
    /// Stop the run at the first rejected record instead of dead-lettering it.
    public var failOnReject: Bool
    /// The config-declared transforms, or nil when there are none.
    public var transform: RecordTransform?
    public var transformPlugins: [PluginConnection]
    /// JSON Schema of the records, handed to the destination.
    public var schema: JSONValue?
    /// Scope of the ID mappings the destination assigns (source key → destination id), as
    /// stored: qualified by the site.
    public var idMapScope: String
    /// The same scope as a plugin names it to `id_map_get` (the host adds the site).
    public var idMapScopeName: String
    /// A destination stream telling where the stored data ends (`{"time": …}`); when set,
    /// runs start there (less the lookback) rather than at the checkpoint.
    public var destinationCursor: String?
    /// Skip records whose content hash is unchanged (upsert and mirror with a key).
    public var changeDetection = true
    /// How many batches one commit may span (config `commit_records`, `commit_seconds`).
    public var commitLimits = CommitLimits()
    /// The most bytes of source batches read ahead of the one being written (config
    /// `read_ahead_mib`; `SourceReadAhead`); 0 reads each batch when the run takes it up.
    public var readAheadBytes = PipelineConfig.defaultReadAheadMiB << 20
    /// The most records one mirror run may delete.
    public var maxDelete = DeleteLimit.default
    /// Two-way sync (config `conflicts:`), or nil.
    public var conflicts: ConflictPlan?
    /// The config's `since:`/`until:` as written (``DateBound``), used when the run's options
    /// give none, and the time zone their relative days count in (nil: the host's).
    public var since: String?
    public var until: String?
    public var timeZone: TimeZone?
    /// Fan-out (config `outputs:`): the outputs, parents first; empty for one destination.
    /// With outputs, `destination` is the first output's connection (whose stored checkpoint
    /// is reconciled on start), `writeMode` is upsert and `primaryKey` the source record's key.
    public var outputs: [OutputPlan] = []
    /// Whether the source stream reads single records by id (its catalog's `reads_by_id`).
    public var sourceReadsByID = false
    /// ID-map scopes kept in step with tables (config `id_map_mirrors:`), synced before and
    /// after the run (PipelineRunner+IDMapMirrors.swift).
    public var idMapMirrors: [IDMapMirror] = []
    /// Fields removed from the records just before the destination receives them, kept for the
    /// mirrors' columns and the change hash (config `mirror_only:`).
    public var mirrorOnly = MirrorOnlyFields()

    public init(
        id: PipelineID, source: PluginConnection, sourceStream: String, destination: PluginConnection,
        destinationStream: String, fullSync: Bool = false, writeMode: WriteMode = .append, primaryKey: [String] = [],
        cursorField: String? = nil, lookback: Int? = nil, batchSize: Int = 1000, failOnReject: Bool = false,
        transform: RecordTransform? = nil, transformPlugins: [PluginConnection] = [], schema: JSONValue? = nil,
        idMapScope: String? = nil
    ) {
        self.id = id; self.source = source; self.sourceStream = sourceStream
        self.destination = destination; self.destinationStream = destinationStream
        self.fullSync = fullSync; self.writeMode = writeMode; self.primaryKey = primaryKey
        self.cursorField = cursorField; self.lookback = lookback; self.batchSize = batchSize
        self.failOnReject = failOnReject; self.transform = transform; self.transformPlugins = transformPlugins
        self.schema = schema
        idMapScopeName = idMapScope ?? "\(destination.connectionName)/\(destinationStream)"
        self.idMapScope = IDMapScope.qualified(idMapScopeName, site: id.site)
    }

    /// Where the destination keeps this pipeline's checkpoints (`WriteRequest.checkpoint`).
    var checkpointScope: String { "\(id)/\(sourceStream)" }

    /// Whether the pipeline writes several outputs (docs/fan-out.md).
    var fansOut: Bool { !outputs.isEmpty }

    /// Change detection needs a key to hash records by.
    var detectsChanges: Bool { changeDetection && writeMode != .append && !primaryKey.isEmpty }
}

/// A per-record transform: returns the record to pass on, nil to drop it, or
/// throws `RecordRejected` to dead-letter it. The builder wraps the config's
/// transform chain in one of these.
public struct RecordTransform {
    public var apply: (JSONObject) throws -> JSONObject?
    /// The ID-map scopes its `lookup` steps read, as the config names them.
    public var lookupScopes: [String]
    public init(lookupScopes: [String] = [], _ apply: @escaping (JSONObject) throws -> JSONObject?) {
        self.lookupScopes = lookupScopes
        self.apply = apply
    }
}

/// A record a transform refused, with the reason stored in its dead letter.
public struct RecordRejected: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A record that waits for a parent's mapping (`lookup` with `on_missing: defer`):
/// parked in the state store and tried again on the next runs, at most `limit` of them.
public struct RecordDeferred: Error, CustomStringConvertible {
    public var reason: String
    public var limit: Int
    public var description: String { reason }
    public init(reason: String, limit: Int) {
        self.reason = reason
        self.limit = limit
    }
}

/// A transform step that stops the run (`lookup` with `on_missing: fail`).
public struct TransformStopped: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Per-invocation options from the command line.
public struct RunOptions: Sendable {
    public var fullRefresh = false
    public var since: String?
    public var until: String?
    public var dryRun = false
    /// Stop after this many source records.
    public var limit: Int?
    /// Replaces the pipelines' `max_delete` for this run.
    public var maxDelete: DeleteLimit?
    /// A dry run collects a diff (`PipelineDiff`) listing at most this many changes.
    public var diffLimit: Int?
    /// Only these source records, by primary key (`--id`, serve's `record_ids`): read through
    /// a stream that declares `reads_by_id`; empty: the stream as usual.
    public var recordIDs: [String] = []
    /// Only source records whose fields equal these values (`--filter`, serve's `filters`):
    /// a partial run, like `recordIDs` (see `isRanged`); empty: every record.
    public var filters: [RecordFilter] = []
    public init(
        fullRefresh: Bool = false, since: String? = nil, until: String? = nil, dryRun: Bool = false, limit: Int? = nil,
        maxDelete: DeleteLimit? = nil, diffLimit: Int? = nil, recordIDs: [String] = [], filters: [RecordFilter] = []
    ) {
        self.fullRefresh = fullRefresh; self.since = since; self.until = until; self.dryRun = dryRun; self.limit = limit
        self.maxDelete = maxDelete; self.diffLimit = diffLimit; self.recordIDs = recordIDs; self.filters = filters
    }

    /// A run over an explicit range (`--since`, with or without `--until`): it reads what it
    /// is told and leaves the stored checkpoint as it was, since storing its end would skip
    /// whatever lies between the stored checkpoint and `--since`. `--until` alone continues
    /// from the checkpoint, so its progress is stored as usual.
    /// A run of single records (`--id`) is ranged too: it must not move the stream's cursor.
    /// So is a filtered run (`--filter`): it skips records, and a checkpoint past them would
    /// lose them for every later incremental run.
    public var isRanged: Bool { since != nil || !recordIDs.isEmpty || !filters.isEmpty }

    /// These options with the pipeline's own `since`/`until` where they give none, relative
    /// values resolved against `now` in the pipeline's zone: once per run, so every reader
    /// the run opens (after a retry, too) reads the same window.
    /// - Throws: A value that is none of ``DateBound/forms`` (the CLI and the config parser
    ///   check them first, so only a caller that skipped them gets here).
    public func resolved(for plan: PipelinePlan, now: Date) throws -> RunOptions {
        var options = self
        func resolve(_ text: String?, _ name: String) throws -> String? {
            guard let text else { return nil }
            guard let bound = DateBound(parsing: text) else {
                throw RunOptionError("\(name) must be \(DateBound.forms), got '\(text)'")
            }
            // Only a bound needs the zone: looking up the local one starts ICU (milliseconds, MiBs).
            return bound.resolved(now: now, timeZone: plan.timeZone ?? .current)
        }
        if !filters.isEmpty {
            try RecordFilter.validate(filters)
            // A mirror run deletes what it did not see: a filtered one sees almost nothing.
            guard plan.writeMode != .mirror else {
                throw RunOptionError(
                    "a filtered run (--filter) reads only the matching records: pipeline '\(plan.id.pipeline)' "
                        + "mirrors its source (write: mirror) and would delete every other record; run it without --filter"
                )
            }
        }
        if !recordIDs.isEmpty {
            // Single records: no window, no full read; the source fetches exactly these.
            guard plan.sourceReadsByID else {
                throw RunOptionError(
                    "stream '\(plan.sourceStream)' of connection '\(plan.source.connectionName)' cannot read single "
                        + "records (its catalog entry does not declare reads_by_id; for rest, configure detail:)")
            }
            guard plan.writeMode != .mirror, since == nil, until == nil, !fullRefresh else {
                throw RunOptionError(
                    "a run of single records (--id) reads only those records: it cannot be combined with --full, "
                        + "--since, --until or a mirror pipeline")
            }
            return options
        }
        options.since = try resolve(since ?? plan.since, "since")
        options.until = try resolve(until ?? plan.until, "until")
        return options
    }
}

/// A run option no source can use.
public struct RunOptionError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
