/// One output of a fan-out pipeline (`outputs:`): a destination table fed from each
/// source record, or from each element of an array in it (`explode:`), with its own
/// transforms, key and write mode. docs/fan-out.md tells the whole story.
public struct OutputConfig: Sendable, Equatable {
    /// The output's name: unique in its pipeline, it names the output in dead letters,
    /// logs and state (letters, digits, `_` and `-`).
    public var name: String
    /// Where its rows go.
    public var destination: PipelineConfig.Endpoint
    /// Its write mode (upsert: fan-out refuses append and mirror, see docs/fan-out.md).
    public var write: PipelineConfig.WriteMode
    /// Its rows' key fields; nil for a top-level output means the pipeline's key.
    public var primaryKey: [String]?
    /// Its own transform steps, run on each row after the pipeline's.
    public var transforms: [TransformStep]
    /// The array (or nested arrays) whose elements become rows; nil: the record itself is the row.
    public var explode: ExplodePath?
    /// Parents' values copied into each row.
    public var parentKeys: [ParentKeyField]
    /// A field to receive the row's 0-based position in its (innermost) array, when set.
    public var indexAs: String?
    /// Fields to receive the 0-based positions in the outer levels, outermost first (`index_as` as a list).
    public var outerIndexesAs: [String] = []
    /// A field to receive the entry key of an innermost object level (`key_as`).
    public var keyAs: String?
    /// One row per 1…count of each element (`repeat`).
    public var repetition: ExplodeRepetition?
    /// A field to receive the row's 1-based number among its record's rows (`number_as`).
    public var numberAs: String?
    /// Delete the rows of the parents in the batch that are no longer present (replace-children).
    public var replaceChildren: Bool
    /// Fields its rows carry for `id_map_mirrors:` columns that the destination never receives.
    public var mirrorOnly: [String] = []
    /// Where the output is written.
    public var location: SourceLocation

    /// Creates an output.
    ///
    /// - Parameters:
    ///   - name: The output's name.
    ///   - destination: Where its rows go.
    ///   - write: Its write mode.
    ///   - primaryKey: Its key fields, when declared.
    ///   - transforms: Its transform steps.
    ///   - explode: The array path its rows come from, if any.
    ///   - parentKeys: Parents' values copied into each row.
    ///   - indexAs: The field for the row's position, if any.
    ///   - replaceChildren: Whether vanished children are deleted.
    ///   - location: Where it is written.
    public init(
        name: String, destination: PipelineConfig.Endpoint, write: PipelineConfig.WriteMode = .upsert,
        primaryKey: [String]? = nil, transforms: [TransformStep] = [], explode: ExplodePath? = nil,
        parentKeys: [ParentKeyField] = [], indexAs: String? = nil, replaceChildren: Bool = false,
        location: SourceLocation = .unknown
    ) {
        self.name = name
        self.destination = destination
        self.write = write
        self.primaryKey = primaryKey
        self.transforms = transforms
        self.explode = explode
        self.parentKeys = parentKeys
        self.indexAs = indexAs
        self.replaceChildren = replaceChildren
        self.location = location
    }

    /// Whether a name can be an output's: letters, digits, `_` and `-` (it is part of state keys).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// One line for `ferry status` and `ferry check`: `jobs → warehouse/jobs (explode jobs[*])`.
    public var summary: String {
        "\(name) → \(destination.connection)/\(destination.stream)"
            + (explode.map { " (explode \($0)\(replaceChildren ? ", replace children" : ""))" } ?? "")
    }
}
