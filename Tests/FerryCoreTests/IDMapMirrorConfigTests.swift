import FerryCore
import Testing

/// `id_map_mirrors:` parsed, with its defaults, and bad entries named by line and key.
@Suite struct IDMapMirrorConfigTests {
    static let connections = """
        connections:
          supabase: { plugin: postgrest }
        pipelines: {}

        """

    @Test func anEntryIsParsedWithItsDefaultsAndAVariableCanTurnItOff() throws {
        let config = try FerryConfig.parse(
            yaml: Self.connections + """
                id_map_mirrors:
                  yuman/sites: { connection: supabase, stream: sites_mapping, source_field: vcom_system_key, destination_field: yuman_site_id }
                  yuman/sims:
                    connection: supabase
                    stream: equipments_mapping
                    source_field: serial_number
                    destination_field: yuman_material_id
                    fields: { category_id: 11382 }
                    import: every_run
                    export: false
                    enabled: ${TABLES:-true}
                """, file: "ferry.yaml", environment: ["TABLES": "false"])
        #expect(config.idMapMirrors.count == 2)
        let sites = config.idMapMirrors[0]
        #expect(sites.scope == "yuman/sites" && sites.table.stream == "sites_mapping")
        #expect(sites.sourceField == "vcom_system_key" && sites.destinationField == "yuman_site_id")
        #expect(sites.importMode == .firstRun && sites.export && sites.enabled && sites.fields.isEmpty)
        let sims = config.idMapMirrors[1]
        #expect(sims.fields["category_id"] == .int(11382))
        #expect(sims.importMode == .everyRun && !sims.export && !sims.enabled)
    }

    @Test func badEntriesAreNamedByLineAndKey() throws {
        func problem(_ entry: String) throws -> String {
            let error = try #require(throws: ConfigError.self) {
                try FerryConfig.parse(
                    yaml: Self.connections + "id_map_mirrors:\n  yuman/sites: " + entry, file: "ferry.yaml")
            }
            return error.description
        }
        let unknown = try problem("{ connection: supabse, stream: s, source_field: a, destination_field: b }")
        #expect(unknown.contains("ferry.yaml:5") && unknown.contains("unknown connection 'supabse'"), "\(unknown)")
        #expect(unknown.contains("did you mean 'supabase'"), "\(unknown)")
        let missing = try problem("{ connection: supabase, stream: s, source_field: a }")
        #expect(missing.contains("id_map_mirrors.yuman/sites") && missing.contains("destination_field"), "\(missing)")
        let mode = try problem(
            "{ connection: supabase, stream: s, source_field: a, destination_field: b, import: always }")
        #expect(mode.contains("first_run, every_run, never"), "\(mode)")
        let constant = try problem(
            "{ connection: supabase, stream: s, source_field: a, destination_field: b, fields: { a: 1 } }")
        #expect(constant.contains("'a' is the pair's own column"), "\(constant)")
        let idle = try problem(
            "{ connection: supabase, stream: s, source_field: a, destination_field: b, import: never, export: false }")
        #expect(idle.contains("would do nothing"), "\(idle)")
        let key = try problem("{ connection: supabase, stream: s, source_field: a, destination_field: b, table: t }")
        #expect(key.contains("table"), "\(key)")
    }
}
