import FerryTesting
import Foundation
import Testing

/// `ferry run` runs pipelines after the ones their `after:` names, skips the
/// dependents of one that failed (exit 1), and refuses a cycle as a config error.
@Suite struct PipelineDependencyTests {
    /// `failingParent`: the sites pipeline stops at its first rejected record (`on_error: fail`).
    static func sandbox(failingParent: Bool = false) throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write(
            "data/sites.jsonl", failingParent ? #"{"id":"S1","bad":true}"# + "\n" : #"{"id":"S1"}"# + "\n")
        try sandbox.write("data/equipment.jsonl", #"{"id":"E1","site":"S1"}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              sites: { plugin: file, config: { path: data/sites.jsonl, primary_key: id } }
              equipment: { plugin: file, config: { path: data/equipment.jsonl, primary_key: id } }
              yuman: { plugin: demo, config: { reject_field: bad } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              equipment:
                after: [sites]
                source: { connection: equipment, stream: equipment }
                destination: { connection: db, stream: equipment }
                write: upsert
                transforms:
                  - { op: lookup, field: site, scope: yuman/sites, to: site_id, required: true }
              sites:
                source: { connection: sites, stream: sites }
                destination: { connection: yuman, stream: sites }
                write: upsert
                on_error: fail
            """)
        return sandbox
    }

    @Test func aChildListedFirstRunsAfterItsParentAndFindsItsID() throws {
        let sandbox = try Self.sandbox()
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try sandbox.sql("out/db.sqlite", "SELECT id, site_id FROM equipment;") == [#"E1|demo-"S1""#])
    }

    @Test func theDependentsOfAFailedPipelineAreSkipped() throws {
        let sandbox = try Self.sandbox(failingParent: true)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("equipment: skipped: runs after 'sites', which failed"), "\(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("out/db.sqlite")), "the child must not run")
    }

    @Test func aCycleIsAConfigErrorNamingIt() throws {
        let sandbox = try Self.sandbox()
        let text = try sandbox.read("ferry.yaml").replacingOccurrences(
            of: "    on_error: fail", with: "    on_error: fail\n    after: [equipment]")
        try sandbox.write("ferry.yaml", String(text))
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("cycle: equipment → sites → equipment"), "\(run.stderr)")
        let unknown = try sandbox.read("ferry.yaml").replacingOccurrences(
            of: "after: [equipment]", with: "after: [stes]")
        try sandbox.write("ferry.yaml", unknown)
        let typo = try sandbox.ferry(["check"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("unknown pipeline 'stes'"), "\(typo.stderr)")
    }
}
