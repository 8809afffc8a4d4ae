import FerryTesting
import Foundation
import Testing

/// The sqlite destination's record rules through the real `ferry`: a JSONL file with
/// keys of every JSON type and field names no column can have lands what it can,
/// dead-letters the rest on every run, and fills the ID map from `assigned_id`.
@Suite struct SQLiteEndToEndTests {
    static let records = [
        #"{"external_id":"VC1","name":"a"}"#,
        #"{"external_id":1.0,"name":"float"}"#,
        #"{"external_id":"VC2","name":"b","bad\u0000name":1}"#,
        #"{"external_id":true,"name":"flag"}"#,
        #"{"external_id":"VC3","name":"c"}"#,
        "{" + (0...2000).map { #""f\#($0)":\#($0)"# }.joined(separator: ",") + #","external_id":"VC4"}"#,
    ]

    @Test func badKeysAndFieldNamesAreDeadLettersAndTheIDMapIsFilled() throws {
        let sandbox = try Sandbox()
        _ = try sandbox.write("sites.jsonl", Self.records.joined(separator: "\n") + "\n")
        _ = try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              file: { plugin: file, config: { path: sites.jsonl, primary_key: external_id } }
              db: { plugin: sqlite, config: { path: out.db, assigned_id: id } }
            pipelines:
              sites: { source: { connection: file, stream: sites }, destination: { connection: db }, write: upsert, sync: full }
            """)
        for _ in 0..<2 {
            let run = try sandbox.ferry(["run"])
            #expect(
                run.status != 0 && !run.stdout.isEmpty, "dead letters make the run partial: \(run.stdout)\(run.stderr)")
            #expect(
                try sandbox.sql("out.db", "SELECT id, external_id, name FROM sites ORDER BY id") == [
                    "1|VC1|a", "2|VC3|c",
                ])
        }
        let reasons = try sandbox.sql("state.db", "SELECT error FROM dead_letters ORDER BY id LIMIT 4")
        #expect(reasons.count == 4)
        // Inexact keys are refused by the engine before the destination sees them; the rest by the destination.
        #expect(reasons.contains { $0.contains("primary key field 'external_id' is 1.0") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("primary key field 'external_id' is true") }, "\(reasons)")
        #expect(
            reasons.contains { $0.contains("holds NUL") } && reasons.contains { $0.contains("2002 fields") },
            "\(reasons)")
        #expect(
            try sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["4"],
            "each record once, though both runs rejected it")
        // The ID map holds the destination's ids for the source keys.
        #expect(try sandbox.sql("state.db", "SELECT destination_id FROM id_map ORDER BY destination_id") == ["1", "2"])
    }
}

/// A commit group larger than the merge stage's memory, through the real `ferry`: its rows are
/// spilled as sorted runs and merged back, and the table holds the last version of every key.
@Suite struct SQLiteSpilledRunsEndToEndTests {
    /// 8,000 lines of about 600 bytes, ids scattered and every tenth one repeated later on.
    static func lines(version: Int) -> String {
        let pad = String(repeating: "x", count: 560)
        return (0..<8_000).map { index in
            let id = index % 10 == 9 ? (index * 7_919) % 5_000 : (index * 7_919) % 8_000
            return #"{"id":\#(id),"version":\#(version),"line":\#(index),"pad":"\#(pad)"}"#
        }.joined(separator: "\n") + "\n"
    }

    /// Each id's last line in `lines`.
    static func expected(version: Int) -> [String] {
        var last: [Int: Int] = [:]
        for index in 0..<8_000 {
            last[index % 10 == 9 ? (index * 7_919) % 5_000 : (index * 7_919) % 8_000] = index
        }
        return last.keys.sorted().map { "\($0)|\(version)|\(last[$0]!)" }
    }

    @Test func aGroupLargerThanTheStagesMemoryIsMergedFromSpilledRuns() throws {
        let sandbox = try Sandbox()
        _ = try sandbox.write("items.jsonl", Self.lines(version: 1))
        _ = try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              file: { plugin: file, config: { path: items.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out.db, merge_memory_mib: 1 } }
            pipelines:
              items: { source: { connection: file, stream: items }, destination: { connection: db }, write: upsert, commit_records: 100000 }
            """)
        let run = try sandbox.ferry(["run", "--log-level", "debug"])
        #expect(run.status == 0, "\(run.stderr)")
        let log = run.stdout + run.stderr
        let spilled = log.split(separator: "\n").filter { $0.contains("Merged the staged upserts") }
        #expect(
            spilled.contains { $0.range(of: #"spilled_runs\W+[1-9]"#, options: .regularExpression) != nil },
            "\(spilled)")
        #expect(
            try sandbox.sql("out.db", "SELECT id, version, line FROM items ORDER BY id") == Self.expected(version: 1))
        // Every record changed: the next run merges them all again, over the rows of the first.
        _ = try sandbox.write("items.jsonl", Self.lines(version: 2))
        let again = try sandbox.ferry(["run"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(
            try sandbox.sql("out.db", "SELECT id, version, line FROM items ORDER BY id") == Self.expected(version: 2))
    }
}

/// A value that passes the source's checks but that SQLite cannot take exactly (a number past a
/// double's range) in the middle of a commit group's staged upserts: the real `ferry` refuses
/// that record into the dead letters and lands the rest, instead of failing the group on every run.
@Suite struct SQLiteRefusedValueEndToEndTests {
    @Test func aValueOutOfRangeIsDeadLetteredAndTheGroupLands() throws {
        let sandbox = try Sandbox()
        let lines = (0..<3_000).map { index in
            #"{"id":\#(index),"f":\#(index == 1_500 ? "1e400" : "1.5"),"s":"line \#(index)"}"#
        }
        _ = try sandbox.write("items.jsonl", lines.joined(separator: "\n") + "\n")
        _ = try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              file: { plugin: file, config: { path: items.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out.db } }
            pipelines:
              items: { source: { connection: file, stream: items }, destination: { connection: db }, write: upsert, commit_records: 100000 }
            """)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 3, "finished with dead letters: \(run.stderr)")
        #expect(try sandbox.sql("out.db", "SELECT count(*), sum(id = 1500) FROM items") == ["2999|0"])
        #expect(
            try sandbox.sql(
                "state.db", "SELECT stage, error LIKE '%not valid JSON%', record LIKE '%1e400%' FROM dead_letters")
                == ["destination|1|1"])
    }
}
