import FerryCore
import Testing

/// `enabled: false` leaves a pipeline out: it is not in the configuration, the pipelines
/// `after:` it no longer wait for it, and a site listing it runs the others.
@Suite struct PipelineEnabledConfigTests {
    /// Three pipelines, the second turned off when `TABLES` is false, and a site listing all three.
    static let yaml = """
        connections:
          api: { plugin: demo }
          supabase: { plugin: postgrest }
        pipelines:
          tickets: { source: { connection: api, stream: t }, destination: { connection: api, stream: u } }
          work_orders:
            after: [tickets]
            source: { connection: api, stream: w }
            destination: { connection: supabase, stream: work_orders }
            enabled: ${TABLES:-true}
          report:
            after: [work_orders, tickets]
            source: { connection: api, stream: r }
            destination: { connection: api, stream: s }
        sites:
          all: { pipelines: [tickets, work_orders, report] }
        """

    static func parse(_ tables: String) throws -> FerryConfig {
        try FerryConfig.parse(yaml: yaml, file: "ferry.yaml", environment: ["TABLES": tables])
    }

    @Test func aDisabledPipelineIsLeftOutAndNothingWaitsForIt() throws {
        let off = try Self.parse("false")
        #expect(off.pipelines.map(\.name).sorted() == ["report", "tickets"])
        #expect(off.pipelines.first { $0.name == "report" }?.after == ["tickets"])
        #expect(off.sites["all"]?.pipelines == ["tickets", "report"])
        let on = try Self.parse("true")
        #expect(on.pipelines.map(\.name).sorted() == ["report", "tickets", "work_orders"])
        #expect(on.pipelines.first { $0.name == "report" }?.after == ["work_orders", "tickets"])
    }

    @Test func aValueThatIsNotABooleanIsNamed() throws {
        let error = try #require(throws: ConfigError.self) { try Self.parse("maybe") }
        #expect(error.description.contains("pipelines.work_orders.enabled"), "\(error.description)")
    }
}
