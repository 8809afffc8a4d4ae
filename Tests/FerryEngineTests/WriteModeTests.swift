import FerryCore
import FerryTesting
import Foundation
import Testing

@testable import FerryEngine

/// Append, upsert and mirror end to end: a JSONL file into SQLite, with the
/// change detection that keeps unchanged records from being sent again.
@Suite struct WriteModeTests {
    static func setUp(write: String, sync: String = "incremental", extra: String = "") throws -> (Sandbox, Workspace) {
        let sandbox = try Sandbox()
        try sandbox.write(
            "data/people.jsonl",
            """
            {"id":1,"name":"Aino","city":"Pori"}
            {"id":2,"name":"Eero","city":"Oulu"}
            {"id":3,"name":"Helmi","city":"Turku"}

            """)
        let config = try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              people: { plugin: file, config: { path: data/people.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              people:
                source: { connection: people, stream: people }
                destination: { connection: db, stream: people }
                write: \(write)
                sync: \(sync)
            \(extra)
            """)
        return (sandbox, try Workspace(configPath: config, site: nil, logLevel: .error))
    }

    static func run(_ workspace: Workspace) throws -> RunReport {
        let plan = try workspace.plan(try workspace.pipelines(named: ["people"])[0])
        return try PipelineRunner(plan: plan, store: workspace.store, logger: workspace.logger).run()
    }

    @Test func appendWritesEveryRecordOnce() throws {
        let (sandbox, workspace) = try Self.setUp(write: "append")
        #expect(try Self.run(workspace).counts.written == 3)
        #expect(try Self.run(workspace).counts.read == 0) // incremental: nothing new
        #expect(try sandbox.sql("out/db.sqlite", "SELECT COUNT(*) FROM people;") == ["3"])
    }

    @Test func upsertSendsOnlyChangedRecordsOnAFullRead() throws {
        let (sandbox, workspace) = try Self.setUp(write: "upsert", sync: "full")
        #expect(try Self.run(workspace).counts.written == 3)
        try sandbox.write(
            "data/people.jsonl",
            """
            {"id":1,"name":"Aino","city":"Pori"}
            {"id":2,"name":"Eero","city":"Vaasa"}
            {"id":3,"name":"Helmi","city":"Turku"}
            {"id":4,"name":"Onni","city":"Kemi"}

            """)
        let second = try Self.run(workspace)
        #expect(second.counts.read == 4)
        #expect(second.counts.unchanged == 2)
        #expect(second.counts.written == 2)
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT id, city FROM people ORDER BY id;") == [
                "1|Pori", "2|Vaasa", "3|Turku", "4|Kemi",
            ])
    }

    @Test func withoutChangeDetectionUpsertSendsEveryRecordAgain() throws {
        let (sandbox, workspace) = try Self.setUp(write: "upsert", sync: "full", extra: "    change_detection: false")
        #expect(try Self.run(workspace).counts.written == 3)
        let second = try Self.run(workspace)
        #expect(second.counts.unchanged == 0)
        #expect(second.counts.written == 3)
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM record_hashes;") == ["0"])
    }

    @Test func mirrorDeletesWhatVanishedFromTheSnapshot() throws {
        let (sandbox, workspace) = try Self.setUp(write: "mirror")
        #expect(try Self.run(workspace).counts.written == 3)
        try sandbox.write(
            "data/people.jsonl",
            """
            {"id":1,"name":"Aino","city":"Pori"}
            {"id":3,"name":"Helmi","city":"Turku"}

            """)
        let second = try Self.run(workspace)
        #expect(second.counts.deleted == 1)
        #expect(second.counts.unchanged == 2)
        #expect(try sandbox.sql("out/db.sqlite", "SELECT id FROM people ORDER BY id;") == ["1", "3"])
        // A third run with the same snapshot deletes nothing more.
        #expect(try Self.run(workspace).counts.deleted == 0)
    }

    @Test func upsertWithoutAnyPrimaryKeyIsAClearError() throws {
        let sandbox = try Sandbox()
        try sandbox.write("data/x.jsonl", "{\"a\":1}\n")
        let config = try sandbox.write(
            "ferry.yaml",
            """
            connections:
              x: { plugin: file, config: { path: data/x.jsonl } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              x:
                source: { connection: x, stream: x }
                destination: { connection: db, stream: x }
                write: upsert
            """)
        let workspace = try Workspace(configPath: config, site: nil, logLevel: .error)
        let error = try #require(throws: ConfigError.self) {
            try workspace.plan(try workspace.pipelines(named: ["x"])[0])
        }
        #expect(error.keyPath == "pipelines.x")
    }
}
