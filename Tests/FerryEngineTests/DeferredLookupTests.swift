import FerryTesting
import Foundation
import Testing

/// `lookup` with `on_missing: defer`: a child whose parent has no mapping yet waits in
/// the state store and is written on a later run once the parent's run stored the id;
/// after `defer_limit` runs it becomes a dead letter. `fail` stops the run; `null` writes null.
@Suite struct DeferredLookupTests {
    static func sandbox(onMissing: String, deferLimit: Int? = nil) throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write("data/sites.jsonl", "")
        try sandbox.write(
            "data/equipment.jsonl", #"{"id":"E1","site":"S1"}"# + "\n" + #"{"id":"E2","site":"S2"}"# + "\n")
        let limit = deferLimit.map { ", defer_limit: \($0)" } ?? ""
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              sites: { plugin: file, config: { path: data/sites.jsonl, primary_key: id } }
              equipment: { plugin: file, config: { path: data/equipment.jsonl, primary_key: id } }
              yuman: { plugin: demo, config: {} }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              sites:
                source: { connection: sites, stream: sites }
                destination: { connection: yuman, stream: sites }
                write: upsert
              equipment:
                after: [sites]
                source: { connection: equipment, stream: equipment }
                destination: { connection: db, stream: equipment }
                write: upsert
                transforms:
                  - { op: lookup, field: site, scope: yuman/sites, to: site_id, on_missing: \(onMissing)\(limit) }
            """)
        return sandbox
    }

    @Test func aChildWaitsForItsParentAndIsWrittenOnceTheMappingExists() throws {
        let sandbox = try Self.sandbox(onMissing: "defer")
        try sandbox.write("data/sites.jsonl", #"{"id":"S1"}"# + "\n")
        let first = try sandbox.ferry(["run"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try sandbox.sql("out/db.sqlite", "SELECT id, site_id FROM equipment;") == [#"E1|demo-"S1""#])
        let status = try sandbox.ferry(["status", "--json"])
        #expect(status.stdout.filter { !$0.isWhitespace }.contains(#""waiting_for_mapping":1"#), "\(status.stdout)")

        // The parent arrives; the next run takes the waiting child up without the source sending it again.
        try sandbox.write("data/sites.jsonl", #"{"id":"S1"}"# + "\n" + #"{"id":"S2"}"# + "\n")
        let second = try sandbox.ferry(["run"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT id, site_id FROM equipment ORDER BY id;") == [
                #"E1|demo-"S1""#, #"E2|demo-"S2""#,
            ])
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM parked_records;") == ["0"])
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM dead_letters;") == ["0"])
    }

    @Test func aChildWhoseParentNeverComesBecomesADeadLetterAfterTheLimit() throws {
        let sandbox = try Self.sandbox(onMissing: "defer", deferLimit: 2)
        #expect(try sandbox.ferry(["run"]).status == 0)
        #expect(try sandbox.sql("state.db", "SELECT attempts FROM parked_records ORDER BY id;") == ["1", "1"])
        #expect(try sandbox.ferry(["run"]).status == 0)
        #expect(try sandbox.sql("state.db", "SELECT attempts FROM parked_records ORDER BY id;") == ["2", "2"])
        let third = try sandbox.ferry(["run"])
        #expect(third.status == 3, "dead letters now: \(third.stdout)\(third.stderr)")
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM parked_records;") == ["0"])
        let errors = try sandbox.sql("state.db", "SELECT error FROM dead_letters;")
        #expect(errors.count == 2 && errors.allSatisfy { $0.contains("still no mapping after 2 runs") }, "\(errors)")
    }

    @Test func failStopsTheRunAndNullWritesNull() throws {
        let failing = try Self.sandbox(onMissing: "fail")
        let run = try failing.ferry(["run"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("no 'yuman/sites' mapping for field 'site' value \"S1\""), "\(run.stdout)")

        let nulls = try Self.sandbox(onMissing: "null")
        #expect(try nulls.ferry(["run"]).status == 0)
        #expect(
            try nulls.sql("out/db.sqlite", "SELECT id, site_id IS NULL FROM equipment ORDER BY id;") == [
                "E1|1", "E2|1",
            ])
    }

    @Test func deferLimitWithoutDeferIsAConfigError() throws {
        let sandbox = try Self.sandbox(onMissing: "null", deferLimit: 3)
        let check = try sandbox.ferry(["check"])
        #expect(check.status == 2)
        #expect(check.stderr.contains("defer_limit"), "\(check.stderr)")
    }
}
