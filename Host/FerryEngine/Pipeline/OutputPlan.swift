import FerryCore
import FerryJSON

/// One output of a fan-out pipeline, ready to run: where its rows go, how they are cut out
/// of a source record, their own transforms and key. `Workspace.plan(_:)` makes them from
/// `outputs:`, parents first (by explode depth, then as written).
public struct OutputPlan {
    /// The output's name: in dead letters, logs, and the keys of its rows' stored hashes.
    public var name: String
    public var destination: PluginConnection
    public var destinationStream: String
    /// The key of the output's rows (upsert by it; its hash, ID mapping and deletes use it).
    public var primaryKey: [String]
    /// How rows are cut out of a source record.
    var explosion: RowExplosion
    /// The output's own transforms, run on each row.
    public var transform: RecordTransform?
    /// Delete the stored rows of a source record that its new version no longer has.
    public var replaceChildren: Bool
    /// Scope of the ids the destination assigns to this output's rows, as stored (with the site).
    public var idMapScope: String
    /// The same scope as a plugin names it.
    public var idMapScopeName: String
    /// Fields removed from its rows just before the destination receives them (`mirror_only:`).
    public var mirrorOnly = MirrorOnlyFields()

    /// Creates an output plan.
    ///
    /// - Parameters:
    ///   - name: The output's name.
    ///   - destination: The connection its rows go to.
    ///   - destinationStream: The stream (table) within it.
    ///   - primaryKey: The rows' key fields.
    ///   - explosion: How rows are cut out of a source record (none: the record is the row).
    ///   - transform: The output's transforms, if any.
    ///   - replaceChildren: Whether vanished rows are deleted.
    ///   - site: The site, which qualifies the ID-map scope.
    init(
        name: String, destination: PluginConnection, destinationStream: String, primaryKey: [String],
        explosion: RowExplosion = RowExplosion(), transform: RecordTransform? = nil, replaceChildren: Bool = false,
        site: String = ""
    ) {
        self.name = name
        self.destination = destination
        self.destinationStream = destinationStream
        self.primaryKey = primaryKey
        self.explosion = explosion
        self.transform = transform
        self.replaceChildren = replaceChildren
        idMapScopeName = "\(destination.connectionName)/\(destinationStream)"
        idMapScope = IDMapScope.qualified(idMapScopeName, site: site)
    }

    /// How deep its rows sit in a source record (0: the record itself); parents are shallower.
    public var depth: Int { explosion.explode?.depth ?? 0 }
}

/// The keys fan-out files its rows' content hashes under, in the pipeline's source stream:
/// `<output>\t<source record key>\t<row key>`. The output keeps each output's rows apart
/// (change detection per output row); the source record's key groups a record's children,
/// which replace-children needs. A tab cannot occur inside the JSON texts of the keys (JSON
/// escapes it), so the three parts split back exactly.
enum FanOutHashKey {
    static func make(output: String, root: String, row: String) -> String { "\(output)\t\(root)\t\(row)" }

    static func parse(_ text: String) -> (output: String, root: String, row: String)? {
        let parts = text.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }
}

extension PipelinePlan {
    /// The outputs in the order they are written, for `ferry check`:
    /// `orders → warehouse/repair_orders, jobs → warehouse/jobs (explode jobs[*])`.
    public var outputSummary: String {
        outputs.map { output in
            "\(output.name) → \(output.destination.connectionName)/\(output.destinationStream)"
                + (output.explosion.explode.map {
                    " (explode \($0)\(output.replaceChildren ? ", replace children" : ""))"
                }
                    ?? "")
        }.joined(separator: ", ")
    }
}
