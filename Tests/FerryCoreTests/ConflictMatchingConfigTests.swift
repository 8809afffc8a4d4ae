import FerryCore
import Testing

/// `conflicts.destination_id_field` and `conflicts.destination_transforms` parsed, and a bad
/// step named by its key path.
@Suite struct ConflictMatchingConfigTests {
    /// A VCOM → Yuman sites pipeline whose `conflicts:` block is `conflicts` (indented six spaces).
    static func yaml(_ conflicts: String) -> String {
        "connections: { vcom: { plugin: rest }, yuman: { plugin: rest } }\npipelines:\n  sites:\n"
            + "    source: { connection: vcom, stream: systems }\n    destination: { connection: yuman, stream: sites }\n"
            + "    write: upsert\n    conflicts:\n" + conflicts
    }

    @Test func theIDFieldAndTheStepsAreKept() throws {
        let config = try FerryConfig.parse(
            yaml: Self.yaml(
                """
                      read_from: { connection: yuman, stream: site_records }
                      destination_id_field: id
                      destination_transforms:
                        - { op: compute, field: project_number, expr: "pick(fields, 'blueprint_id', 13582, 'value')" }
                      policies: { project_number: fill_if_empty }
                """), file: "ferry.yaml")
        let settings = try #require(config.pipelines.first?.conflicts)
        #expect(settings.destinationIDField == "id")
        #expect(settings.destinationTransforms.count == 1)
        #expect(settings.policy(of: "project_number") == .fillIfEmpty)
    }

    @Test func aStepThatIsNotAListIsRefusedByItsPath() throws {
        let error = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: Self.yaml("      destination_transforms: { op: compute }\n"), file: "ferry.yaml")
        }
        #expect(error.description.contains("ferry.yaml:8"), "\(error)")
        #expect(error.description.contains("conflicts.destination_transforms: expected a list"), "\(error)")
    }
}
