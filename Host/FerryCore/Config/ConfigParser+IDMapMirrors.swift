import FerryJSON

/// The top-level `id_map_mirrors:` block: ID-map scopes kept in step with tables.
extension ConfigParser {
    static let idMapMirrorKeys = [
        "connection", "stream", "source_field", "destination_field", "fields", "import", "export", "enabled",
        "columns", "removed",
    ]

    /// Parses `id_map_mirrors:`, a mapping from scope to its table.
    func idMapMirrors(_ field: Field, connections: [String]) throws -> [IDMapMirrorConfig] {
        try named(field, what: "ID-map scope") { scope, entry in
            let fields = try mapping(entry, allowed: Self.idMapMirrorKeys)
            let connectionField = try required(fields, "connection")
            let connection = try string(connectionField)
            guard connections.contains(connection) else {
                throw unknownReference(connectionField, "connection", connection, known: connections)
            }
            var mirror = IDMapMirrorConfig(
                scope: scope,
                table: PipelineConfig.Endpoint(
                    connection: connection, stream: try string(required(fields, "stream")), location: entry.location),
                sourceField: try string(required(fields, "source_field")),
                destinationField: try string(required(fields, "destination_field")),
                location: entry.location)
            if let constants = fields.optional("fields") {
                mirror.fields = try object(constants)
                for name in [mirror.sourceField, mirror.destinationField] where mirror.fields[name] != nil {
                    throw failure(
                        .invalidValue, constants, "'\(name)' is the pair's own column; it cannot be a constant")
                }
            }
            if let columns = fields.optional("columns") { mirror.columns = try mirrorColumns(columns, of: mirror) }
            if let removed = fields.optional("removed") {
                mirror.removed = try object(removed)
                for name in [mirror.sourceField, mirror.destinationField] where mirror.removed[name] != nil {
                    throw failure(.invalidValue, removed, "'\(name)' is the pair's own column; the row keeps it")
                }
            }
            if let mode = fields.optional("import") {
                mirror.importMode = try choice(mode, IDMapMirrorConfig.ImportMode.self)
            }
            if let export = fields.optional("export") { mirror.export = try boolean(export) }
            if let enabled = fields.optional("enabled") { mirror.enabled = try boolean(enabled) }
            if !mirror.export && (!mirror.columns.isEmpty || !mirror.removed.isEmpty) {
                throw failure(
                    .invalidValue, entry, "columns and removed are written to the table: they need export: true")
            }
            if !mirror.export && mirror.importMode == .never {
                throw failure(
                    .invalidValue, entry, "with export: false and import: never this mirror would do nothing")
            }
            return mirror
        }
    }

    /// `columns:`, table column → record field; a column already written otherwise is refused.
    private func mirrorColumns(_ field: Field, of mirror: IDMapMirrorConfig) throws -> [IDMapMirrorConfig.Column] {
        try object(field).map { column, value in
            guard let name = value.stringValue, !name.isEmpty else {
                throw failure(
                    .invalidValue, field, "column '\(column)' must name a field of the records, e.g. \(column): name")
            }
            guard column != mirror.sourceField, column != mirror.destinationField, mirror.fields[column] == nil else {
                throw failure(.invalidValue, field, "'\(column)' is already written as the pair's or a constant column")
            }
            return IDMapMirrorConfig.Column(column: column, field: name)
        }
    }
}
