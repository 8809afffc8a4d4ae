import FerryCore
import FerryJSON
import Testing

/// `columns:` and `removed:` of an `id_map_mirrors:` entry, parsed, and refused where they
/// would clash with the pair's own columns or could never be written.
@Suite struct IDMapMirrorColumnsConfigTests {
    static func parse(_ entry: String) throws -> FerryConfig {
        try FerryConfig.parse(
            yaml: """
                connections:
                  supabase: { plugin: postgrest }
                pipelines: {}
                id_map_mirrors:
                  yuman/sims:
                    connection: supabase
                    stream: equipments_mapping
                    source_field: serial_number
                    destination_field: yuman_material_id
                    fields: { is_obsolete: false }
                """ + "\n" + entry.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"),
            file: "ferry.yaml")
    }

    @Test func columnsAndRemovedAreParsed() throws {
        let mirror = try Self.parse("columns: { name: name, brand: vendor }\nremoved: { is_obsolete: true }")
            .idMapMirrors[0]
        #expect(
            mirror.columns == [
                IDMapMirrorConfig.Column(column: "name", field: "name"),
                IDMapMirrorConfig.Column(column: "brand", field: "vendor"),
            ])
        #expect(mirror.removed["is_obsolete"] == .bool(true))
        #expect(mirror.fields["is_obsolete"] == .bool(false))
    }

    @Test func clashesAndUnwritableColumnsAreNamed() throws {
        func problem(_ entry: String) throws -> String {
            try #require(throws: ConfigError.self) { try Self.parse(entry) }.description
        }
        #expect(try problem("columns: { serial_number: name }").contains("'serial_number' is already written"))
        #expect(try problem("columns: { is_obsolete: gone }").contains("'is_obsolete' is already written"))
        #expect(try problem("columns: { name: 3 }").contains("column 'name' must name a field"))
        #expect(try problem("removed: { yuman_material_id: 0 }").contains("the row keeps it"))
        #expect(
            try problem("columns: { name: name }\nexport: false\nimport: every_run").contains("they need export: true"))
    }
}
