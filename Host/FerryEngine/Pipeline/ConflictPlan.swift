import FerryCore
import FerryJSON

/// A pipeline's two-way settings, ready to run: the merge rules and the connection the
/// destination's current records are read from.
///
/// The destination stream is read whole once per run, on the first batch that needs it,
/// and indexed by primary key (the C ABI's `ReadRequest` cannot filter by keys); the
/// records the run writes replace their entries, so a key met twice in a run compares
/// with what the run wrote. Memory grows with the destination stream, not the batch.
public final class ConflictPlan {
    public let settings: ConflictSettings
    /// Where the destination's records are read.
    public let connection: PluginConnection
    public let stream: String
    let merge: RecordMerge
    /// The `destination_transforms` steps, run on each destination record as read (nil: none).
    public var destinationTransform: RecordTransform?
    /// The destination's records by key (exact JSON text), once read.
    var destinationRecords: [String: JSONObject]?

    /// Creates a plan.
    ///
    /// - Parameters:
    ///   - settings: The config's `conflicts:` block.
    ///   - connection: The connection to read the destination's records from.
    ///   - stream: Its stream.
    ///   - keyFields: The pipeline's primary key.
    public init(settings: ConflictSettings, connection: PluginConnection, stream: String, keyFields: [String]) {
        self.settings = settings
        self.connection = connection
        self.stream = stream
        merge = RecordMerge(settings: settings, keyFields: keyFields)
    }
}
