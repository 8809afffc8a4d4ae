import FerryJSON

/// One entry of `id_map_mirrors:`: an ID-map scope kept in step with a table another tool
/// reads (vysync's `sites_mapping` in Supabase), and optionally filled from it.
///
/// Each run writes the scope's new or changed pairs to the table as upserts keyed by
/// `source_field`, and, when the table is the older record (the first run of a tool that
/// replaces another), imports its pairs first. docs/relational.md, "Mapping tables".
public struct IDMapMirrorConfig: Sendable, Equatable {
    /// When the table's pairs are read into the scope.
    public enum ImportMode: String, Sendable, CaseIterable {
        /// Once, before the scope is first mirrored: the table is where the pairs began.
        case firstRun = "first_run"
        /// Before every run, the table's values replacing the scope's: the table is the
        /// record, edited by people (flags such as vysync's `ignore_site`).
        case everyRun = "every_run"
        /// Never: Ferry's ID map is the only record.
        case never
    }

    /// The ID-map scope (`yuman/sites`), as pipelines and `ferry idmap` name it.
    public var scope: String
    /// The table: a connection and its stream (written with upserts, read as a source).
    public var table: PipelineConfig.Endpoint
    /// The table's column holding the source key (the upserts' conflict column).
    public var sourceField: String
    /// The table's column holding the destination id.
    public var destinationField: String
    /// Constant columns written with every pair (`category_id: 11382`).
    public var fields: JSONObject
    /// When the table's pairs are imported.
    public var importMode: ImportMode
    /// Whether the scope's pairs are written to the table (false: the table is only read).
    public var export: Bool
    /// False turns the mirror off (`enabled: ${SUPABASE_MAPPING_TABLES:-true}`).
    public var enabled: Bool
    /// Columns taken from the records pipelines write under the scope (`name: name`): a
    /// pair's row is written again when they change.
    public var columns: [Column] = []
    /// Columns written to the row of a pair that left the scope (`is_obsolete: true`): the row
    /// stays, marked, instead of still looking live. Empty: such a row is left as it is.
    public var removed: JSONObject = [:]
    /// Where it is written.
    public var location: SourceLocation

    /// A table column filled from a field of the records written under the scope.
    public struct Column: Sendable, Equatable {
        /// The table's column.
        public var column: String
        /// The record's field (top level).
        public var field: String

        public init(column: String, field: String) {
            self.column = column
            self.field = field
        }
    }

    /// Creates a mirror.
    ///
    /// - Parameters:
    ///   - scope: The ID-map scope.
    ///   - table: The table's connection and stream.
    ///   - sourceField: The source-key column.
    ///   - destinationField: The destination-id column.
    ///   - fields: Constant columns.
    ///   - importMode: When the table is read into the scope.
    ///   - export: Whether the scope is written to the table.
    ///   - enabled: Whether the mirror runs at all.
    ///   - location: Where it is written.
    public init(
        scope: String, table: PipelineConfig.Endpoint, sourceField: String, destinationField: String,
        fields: JSONObject = [:], importMode: ImportMode = .firstRun, export: Bool = true, enabled: Bool = true,
        location: SourceLocation = .unknown
    ) {
        self.scope = scope; self.table = table
        self.sourceField = sourceField; self.destinationField = destinationField; self.fields = fields
        self.importMode = importMode; self.export = export; self.enabled = enabled; self.location = location
    }
}
