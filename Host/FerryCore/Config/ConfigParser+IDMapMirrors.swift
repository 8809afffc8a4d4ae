import FerryJSON

/// The top-level `id_map_mirrors:` block: ID-map scopes kept in step with tables.
extension ConfigParser {
    static let idMapMirrorKeys = [
        "connection", "stream", "source_field", "destination_field", "fields", "import", "export", "enabled",
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
            if let mode = fields.optional("import") {
                mirror.importMode = try choice(mode, IDMapMirrorConfig.ImportMode.self)
            }
            if let export = fields.optional("export") { mirror.export = try boolean(export) }
            if let enabled = fields.optional("enabled") { mirror.enabled = try boolean(enabled) }
            if !mirror.export && mirror.importMode == .never {
                throw failure(
                    .invalidValue, entry, "with export: false and import: never this mirror would do nothing")
            }
            return mirror
        }
    }
}
