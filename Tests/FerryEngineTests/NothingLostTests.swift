import FerryTesting
import Foundation
import Testing

/// Regression tests for the paths that once lost or duplicated records while the
/// run said "succeeded" (issue "Nothing lost, nothing doubled"). Each runs the real
/// `ferry` against a misbehaving C source (`Tests/Fixtures/flaky_source.c`) or the
/// bundled connectors, and checks the destination.
@Suite(.serialized) struct NothingLostTests {
    /// A sandbox with the flaky source feeding SQLite. `commitRecords` 1 commits every batch,
    /// the points these tests kill at; `CommitGroupTests` uses larger commits.
    static func flakySandbox(
        write: String = "upsert", destinationStream: String = "records", sync: String = "incremental",
        batchSize: Int = 10, commitRecords: Int = 1, commitSeconds: String = "1h", _ name: String = #function
    ) throws -> Sandbox {
        let sandbox = try FlakySource.sandbox(name)
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              api: { plugin: flaky, config: { path: \(sandbox.path("data/records.txt")) } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              copy:
                source: { connection: api, stream: records }
                destination: { connection: db, stream: \(destinationStream) }
                write: \(write)
                sync: \(sync)
                primary_key: [seq]
                batch_size: \(batchSize)
                commit_records: \(commitRecords)
                commit_seconds: \(commitSeconds)
            """)
        return sandbox
    }

    static func faults(_ sandbox: Sandbox, _ lines: String) throws {
        try sandbox.write("data/records.txt.faults", lines + "\n")
    }

    static func rowCount(_ sandbox: Sandbox, table: String = "records") throws -> Int {
        Int(try sandbox.sql("out/db.sqlite", "SELECT COUNT(*) FROM \(table);").first ?? "") ?? -1
    }

    /// Mirror: a batch a killed run wrote (the destination committed it, the state did not),
    /// then one of its records vanishes from the source before the rerun. The rerun's snapshot
    /// does not hold it, so the mirror must delete it: the keys a batch is about to write are
    /// known to the state before the write.
    @Test(arguments: ["after_write", "after_commit"])
    func aRecordAKilledRunWroteAndTheSourceThenDroppedIsDeletedByTheMirror(point: String) throws {
        let sandbox = try Self.flakySandbox(write: "mirror", sync: "incremental", batchSize: 7)
        try sandbox.write("data/records.txt", FlakySource.records(1...20))
        let killed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "\(point):kill:1"])
        #expect(killed.status == -SIGKILL, "\(killed.stderr)")
        #expect(try Self.rowCount(sandbox) == 7)
        try sandbox.write("data/records.txt", FlakySource.records(Array(1...6) + Array(8...20)))
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let seqs = try sandbox.sql("out/db.sqlite", "SELECT seq FROM records ORDER BY seq;").compactMap { Int($0) }
        #expect(seqs == Array(1...6) + Array(8...20), "\(seqs)")
    }

    /// Written records split into created (new keys) and updated, per run, through
    /// `ferry run --json` and the runs the state keeps; every appended record is created.
    @Test func writtenRecordsAreCountedAsCreatedOrUpdated() throws {
        let sandbox = try Self.flakySandbox(write: "upsert", sync: "full", batchSize: 4)
        try sandbox.write("data/records.txt", FlakySource.records(1...10))
        func run(status: Int32 = 0) throws -> (written: Int, created: Int) {
            let outcome = try sandbox.ferry(["run", "--json"])
            #expect(outcome.status == status, "\(outcome.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
            let report = (json?["runs"] as? [[String: Any]])?.first
            return (report?["written"] as? Int ?? -1, report?["created"] as? Int ?? -1)
        }
        #expect(try run() == (10, 10))
        // Three change, two arrive: five written, two of them created.
        try sandbox.write(
            "data/records.txt",
            FlakySource.records(1...7) + FlakySource.records(8...10, tag: "b") + FlakySource.records(11...12))
        #expect(try run() == (5, 2))
        #expect(try run() == (0, 0))
        // Two more arrive, one of them a record the destination refuses (two fields that SQLite's
        // column names cannot tell apart): one written, one created, the refused one not created.
        try sandbox.write(
            "data/records.txt",
            FlakySource.records(1...7) + FlakySource.records(8...10, tag: "b") + FlakySource.records(11...13)
                + #"{"seq":14,"value":"x","VALUE":"y"}"# + "\n")
        #expect(try run(status: 3) == (1, 1), "a run that dead-lettered a record exits 3")
        #expect(
            try sandbox.sql("state.db", "SELECT written_count, created_count FROM runs ORDER BY id")
                == ["10|10", "5|2", "0|0", "1|1"])

        let appended = try Self.flakySandbox(write: "append", batchSize: 4)
        try appended.write("data/records.txt", FlakySource.records(1...6))
        let outcome = try appended.ferry(["run"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(try appended.sql("state.db", "SELECT written_count, created_count FROM runs") == ["6|6"])
    }

    // MARK: Reads

    @Test func aRetryableReadErrorAfterProgressLosesNoPage() throws {
        let sandbox = try Self.flakySandbox()
        try Self.faults(sandbox, "fail_after_progress 3")
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.rowCount(sandbox) == 100, "the page the failed call moved past must be read again")
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT COUNT(DISTINCT seq), MIN(seq), MAX(seq) FROM records;") == [
                "100|1|100"
            ])
    }

    @Test(arguments: [
        ("malformed 2", "is not a JSON object"), ("count_mismatch 2", "record_count is 11"),
        ("no_newline 2", "does not end with a newline"),
    ])
    func aSourceThatBreaksTheProtocolFailsTheBatchAndKeepsTheCheckpoint(fault: String, message: String) throws {
        let sandbox = try Self.flakySandbox()
        try Self.faults(sandbox, fault)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("'api' (plugin flaky) stream 'records' broke the batch protocol"), "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints;") == [#"{"after":10}"#])
        #expect(
            try sandbox.sql("state.db", "SELECT COUNT(*) FROM dead_letters;") == ["0"],
            "a source's bad line is no dead letter")
        try Self.faults(sandbox, "")
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.rowCount(sandbox) == 100)
    }

    @Test func appendAfterACrashBetweenTheTwoCommitsLosesNothingWhenTheSourceChanged() throws {
        let sandbox = try Self.flakySandbox(write: "append")
        try sandbox.write("data/records.txt", FlakySource.records(1...20))
        // Batches of 10: die after the destination committed the second batch (11–20), before the state did.
        let killed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "after_write:kill:2"])
        #expect(killed.status == -SIGKILL)
        // Meanwhile record 15 vanished and 21–25 arrived: a re-read from the state's checkpoint would
        // return 11–14, 16–21 under the batch id the destination already holds.
        try sandbox.write("data/records.txt", FlakySource.records(Array(1...14) + Array(16...25)))
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let seqs = try sandbox.sql("out/db.sqlite", "SELECT seq FROM records ORDER BY seq;").compactMap { Int($0) }
        #expect(seqs == Array(1...25), "each record once, 21 included: \(seqs)")
    }

    // MARK: Mirror

    @Test func mirrorDeletesOnlyAfterAFullSnapshotAndWithinMaxDelete() throws {
        let sandbox = try Self.flakySandbox(write: "mirror")
        #expect(try sandbox.ferry(["run"]).status == 0)
        #expect(try Self.rowCount(sandbox) == 100)

        // An end the source does not vouch for (a short or empty page) deletes nothing.
        try sandbox.write("data/records.txt", FlakySource.records(1...30))
        try Self.faults(sandbox, "incomplete")
        let undeclared = try sandbox.ferry(["run"])
        #expect(undeclared.status == 1)
        #expect(undeclared.stderr.contains("without declaring the snapshot complete"), "\(undeclared.stderr)")
        #expect(try Self.rowCount(sandbox) == 100)

        // A complete but empty snapshot would delete everything: refused by max_delete (50% by default).
        try Self.faults(sandbox, "empty")
        let mass = try sandbox.ferry(["run"])
        #expect(mass.status == 1)
        #expect(mass.stderr.contains("refused to delete 100 of the 100 records"), "\(mass.stderr)")
        #expect(mass.stderr.contains("--max-delete"), "\(mass.stderr)")
        #expect(try Self.rowCount(sandbox) == 100)

        // A real, declared clean-up within the limit deletes what vanished.
        try sandbox.write("data/records.txt", FlakySource.records(1...80))
        try Self.faults(sandbox, "")
        let cleanup = try sandbox.ferry(["run"])
        #expect(cleanup.status == 0, "\(cleanup.stderr)")
        #expect(cleanup.stdout.contains("20"), "\(cleanup.stdout)")
        #expect(try Self.rowCount(sandbox) == 80)

        // And the operator may allow a larger one for one run.
        try Self.faults(sandbox, "empty")
        let allowed = try sandbox.ferry(["run", "--max-delete", "100%"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try Self.rowCount(sandbox) == 0)
    }

    @Test func mirrorAndChangeDetectionWorkWithARenamedDestinationStream() throws {
        let sandbox = try Self.flakySandbox(write: "mirror", destinationStream: "copied")
        #expect(try sandbox.ferry(["run"]).status == 0)
        let second = try sandbox.ferry(["run", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let compact = second.stdout.filter { !$0.isWhitespace }
        #expect(compact.contains(#""unchanged":100"#), "unchanged records are skipped: \(second.stdout)")
        try sandbox.write("data/records.txt", FlakySource.records(1...90))
        #expect(try sandbox.ferry(["run"]).status == 0)
        #expect(try Self.rowCount(sandbox, table: "copied") == 90, "mirror deletes under the renamed stream")
    }

    // MARK: Ranged runs, status, dead letters

    @Test func aRangedRunLeavesTheStoredCheckpointAsItWas() throws {
        let sandbox = try Sandbox()
        var lines = ""
        for day in 1...9 { lines += #"{"id":\#(day),"updated_at":"2025-01-0\#(day)T00:00:00Z"}"# + "\n" }
        try sandbox.write("data/input.jsonl", lines)
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              input: { plugin: file, config: { path: data/input.jsonl, primary_key: id, cursor_field: updated_at } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              copy:
                source: { connection: input, stream: input }
                destination: { connection: db, stream: rows }
                write: upsert
                cursor_field: updated_at
            """)
        #expect(try sandbox.ferry(["run"]).status == 0)
        let before = try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints;")
        let ranged = try sandbox.ferry(["run", "--since", "2025-01-02", "--until", "2025-01-04"])
        #expect(ranged.status == 0, "\(ranged.stderr)")
        #expect(try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints;") == before)
    }

    @Test func statusShowsAKilledRunAsInterrupted() throws {
        let sandbox = try Self.flakySandbox()
        let killed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "after_commit:kill:2"])
        #expect(killed.status == -SIGKILL)
        let status = try sandbox.ferry(["status"])
        #expect(status.stdout.contains("interrupted"), "\(status.stdout)")
        #expect(!status.stdout.contains("running"), "\(status.stdout)")
        #expect(try sandbox.ferry(["run"]).status == 0)
        #expect(try Self.rowCount(sandbox) == 100)
    }

    /// A sandbox whose transform rejects records with a non-numeric amount, appending to a file.
    static func deadLetterSandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        var lines = ""
        for id in 1...40 { lines += #"{"id":\#(id),"amount":"\#(id % 4 == 0 ? "n/a" : String(id))"}"# + "\n" }
        try sandbox.write("data/input.jsonl", lines)
        try sandbox.write("ferry.yaml", Self.deadLetterConfig(transforms: "[{ op: cast, field: amount, to: integer }]"))
        return sandbox
    }

    static func deadLetterConfig(transforms: String) -> String {
        """
        state: state.db
        connections:
          input: { plugin: file, config: { path: data/input.jsonl, primary_key: id } }
          copy: { plugin: file, config: { path: out/copy.jsonl } }
        pipelines:
          copy:
            source: { connection: input, stream: input }
            destination: { connection: copy, stream: rows }
            write: append
            batch_size: 4
            transforms: \(transforms)
        """
    }

    @Test func aReplayKilledBetweenTheWriteAndTheCommitDuplicatesNothing() throws {
        let sandbox = try Self.deadLetterSandbox()
        #expect(try sandbox.ferry(["run"]).status == 3)
        #expect(try sandbox.read("out/copy.jsonl").split(separator: "\n").count == 30)
        try sandbox.write(
            "ferry.yaml",
            Self.deadLetterConfig(transforms: "[{ op: cast, field: amount, to: integer, null_if: [n/a] }]"))
        // Dead letters are replayed in batches of 4: die after the second batch is written, before its commit.
        let killed = try sandbox.ferry(["errors", "replay"], environment: ["FERRY_FAILPOINTS": "after_write:kill:2"])
        #expect(killed.status == -SIGKILL)
        let replay = try sandbox.ferry(["errors", "replay"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let copied = try sandbox.read("out/copy.jsonl").split(separator: "\n")
        #expect(copied.count == 40, "every record once: \(copied.count)")
        #expect(Set(copied).count == 40)
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM dead_letters WHERE replayed_at IS NULL;") == ["0"])
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM dead_letters;") == ["10"], "no phantom dead letters")
    }

    @Test func aLetterThatFailsAgainStaysOpen() throws {
        let sandbox = try Self.deadLetterSandbox()
        #expect(try sandbox.ferry(["run"]).status == 3)
        let replay = try sandbox.ferry(["errors", "replay"])
        #expect(replay.status == 3, "they fail again: \(replay.stdout)\(replay.stderr)")
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM dead_letters WHERE replayed_at IS NULL;") == ["10"])
    }

    @Test func errorsDiscardDeletesTheNamedDeadLetters() throws {
        let sandbox = try Self.deadLetterSandbox()
        #expect(try sandbox.ferry(["run"]).status == 3)
        let ids = try sandbox.sql("state.db", "SELECT id FROM dead_letters ORDER BY id LIMIT 2;")
        let discard = try sandbox.ferry(["errors", "discard", "--id", ids[0], "--id", ids[1]])
        #expect(discard.status == 0, "\(discard.stderr)")
        #expect(discard.stdout.contains("Discarded 2"))
        #expect(
            discard.stderr.contains(#""discarded":\#(ids[0])"#), "the discarded records are printed: \(discard.stderr)")
        #expect(try sandbox.sql("state.db", "SELECT COUNT(*) FROM dead_letters;") == ["8"])
        let unknown = try sandbox.ferry(["errors", "discard", "--id", "99999"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("No dead letter with id 99999"))
        #expect(try sandbox.ferry(["errors", "discard"]).status == 64, "nothing named: refused")
    }

    @Test func aDeadLetterThatIsNotUTF8ReplaysByteForByte() throws {
        let sandbox = try Sandbox()
        var input: [UInt8] = Array(#"{"id":1,"name":"ok"}"#.utf8) + [0x0A]
        input += Array(#"{"id":2,"reject":true,"name":"caf"#.utf8) + [0xE9, 0xFF] + Array(#""}"#.utf8) + [0x0A]
        try Data(input).write(to: URL(fileURLWithPath: sandbox.path("input.jsonl")))
        func config(_ destination: String) -> String {
            """
            state: state.db
            connections:
              input: { plugin: file, config: { path: input.jsonl } }
              strict: { plugin: demo, config: { reject_field: reject } }
              copy: { plugin: file, config: { path: out/copy.jsonl } }
            pipelines:
              copy:
                source: { connection: input, stream: input }
                destination: { connection: \(destination), stream: rows }
            """
        }
        try sandbox.write("ferry.yaml", config("strict"))
        #expect(try sandbox.ferry(["run"]).status == 3)
        #expect(try sandbox.sql("state.db", "SELECT hex(record) FROM dead_letters;").first?.contains("E9FF") == true)
        try sandbox.write("ferry.yaml", config("copy"))
        let replay = try sandbox.ferry(["errors", "replay"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let copied = try Data(contentsOf: URL(fileURLWithPath: sandbox.path("out/copy.jsonl")))
        #expect(Array(copied) == Array(input[(input.firstIndex(of: 0x0A)! + 1)...]), "the replayed record's bytes")
    }

    // MARK: The state database

    @Test func twoFirstRunsOnANewStateDatabaseBothStart() throws {
        for round in 1...5 {
            let sandbox = try Self.flakySandbox()
            let first = try sandbox.start(["run"])
            let second = try sandbox.ferry(["run"])
            first.waitUntilExit()
            #expect(!second.stderr.contains("database is locked"), "round \(round): \(second.stderr)")
            #expect(second.status != 2, "round \(round): \(second.stderr)")
            #expect(try sandbox.ferry(["run"]).status == 0)
            #expect(try Self.rowCount(sandbox) == 100)
        }
    }

    @Test func aStateDatabaseDeletedDuringARunStopsIt() throws {
        let sandbox = try Self.flakySandbox()
        let process = try sandbox.start(
            ["run"], environment: sandbox.failPoints("after_commit:sleep:150,after_commit:mark:1"))
        try sandbox.waitForMark("after_commit")
        try FileManager.default.removeItem(atPath: sandbox.path("state.db"))
        process.waitUntilExit()
        #expect(process.terminationStatus == 1, "a run must not go on committing into a deleted file")
    }

    // MARK: Keys and ID maps

    @Test func keysThatAreNotExactBecomeDeadLettersAndTextAndIntegerKeysStayApart() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "data/input.jsonl",
            """
            {"id":1,"v":"int"}
            {"id":"1","v":"text"}
            {"id":1.5,"v":"fraction"}
            {"id":true,"v":"boolean"}
            {"id":18446744073709551616,"v":"too large"}
            {"id":"VC1","v":"text"}

            """)
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              input: { plugin: file, config: { path: data/input.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              copy:
                source: { connection: input, stream: input }
                destination: { connection: db, stream: rows }
                write: upsert
            """)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 3, "\(run.stderr)")
        // The engine refuses the inexact keys; the destination, whose key column became INTEGER with the
        // first record, refuses the text keys rather than merging "1" into 1.
        let errors = try sandbox.sql("state.db", "SELECT error FROM dead_letters ORDER BY id;")
        #expect(errors.count == 5, "\(errors)")
        #expect(errors.filter { $0.contains("primary key field 'id' is") }.count == 3, "\(errors)")
        #expect(try sandbox.sql("out/db.sqlite", "SELECT id, v FROM rows;") == ["1|int"])
        #expect(try sandbox.sql("state.db", "SELECT key FROM record_hashes ORDER BY key;") == ["1"])
    }

    @Test func idMappingsAreFoundByTextKeysAndKeptPerSite() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "data/systems.jsonl", #"{"id":"VC1","name":"Plant one"}"# + "\n" + #"{"id":7,"name":"Plant seven"}"# + "\n")
        try sandbox.write(
            "data/tickets.jsonl", #"{"ticket":1,"system":"VC1"}"# + "\n" + #"{"ticket":2,"system":7}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              systems: { plugin: file, config: { path: data/systems.jsonl, primary_key: id } }
              tickets: { plugin: file, config: { path: data/tickets.jsonl, primary_key: ticket } }
              yuman: { plugin: demo, config: {} }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              sites:
                source: { connection: systems, stream: systems }
                destination: { connection: yuman, stream: sites }
                write: upsert
              work_orders:
                source: { connection: tickets, stream: tickets }
                destination: { connection: db, stream: work_orders }
                write: upsert
                transforms:
                  - { op: lookup, field: system, scope: yuman/sites, to: site_id, required: false }
            sites:
              north: {}
              south: { connections: { db: { path: out/south.sqlite } } }
            """)
        #expect(try sandbox.ferry(["run", "sites", "--site", "north"]).status == 0)
        let north = try sandbox.ferry(["run", "work_orders", "--site", "north"])
        #expect(north.status == 0, "\(north.stderr)")
        let south = try sandbox.ferry(["run", "work_orders", "--site", "south"])
        #expect(south.status == 0, "\(south.stderr)")
        let southColumns = try sandbox.sql(
            "out/south.sqlite", "SELECT group_concat(name) FROM pragma_table_info('work_orders');")
        #expect(southColumns == ["ticket,system"], "south must not see north's mappings: \(southColumns)")
        let mapped = try sandbox.sql(
            "state.db", "SELECT scope, source_id, destination_id FROM id_map ORDER BY source_id;")
        #expect(mapped == [#"north::yuman/sites|7|demo-7"#, #"north::yuman/sites|VC1|demo-"VC1""#], "\(mapped)")
        let northRows = try sandbox.sql("out/db.sqlite", "SELECT ticket, site_id FROM work_orders ORDER BY ticket;")
        #expect(northRows == [#"1|demo-"VC1""#, "2|demo-7"], "\(northRows)")
    }
}

/// `ferry plugins info` tells what each destination guarantees per write mode after a crash.
@Suite struct DeliveryGuaranteeTests {
    @Test func destinationsThatKeepCheckpointsSayExactlyOnceAndTheOthersSayAtLeastOnce() throws {
        let sandbox = try Sandbox()
        let sqlite = try sandbox.ferry(["plugins", "info", "sqlite"])
        #expect(sqlite.status == 0, "\(sqlite.stderr)")
        #expect(sqlite.stdout.contains("append: exactly once"), "\(sqlite.stdout)")
        let file = try sandbox.ferry(["plugins", "info", "file"])
        #expect(file.stdout.contains("append: at least once"), "\(file.stdout)")
        let json = try sandbox.ferry(["plugins", "info", "postgres", "--json"])
        #expect(json.stdout.contains(#""append" : "exactly once"#), "\(json.stdout)")
    }

    @Test func appendToAnAtLeastOnceDestinationWarns() throws {
        let sandbox = try Sandbox()
        try sandbox.write("input.jsonl", #"{"id":1}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              input: { plugin: file, config: { path: input.jsonl } }
              copy: { plugin: file, config: { path: out/copy.jsonl } }
            pipelines:
              copy: { source: { connection: input, stream: input }, destination: { connection: copy, stream: rows } }
            """)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("Append to this destination is at least once"), "\(run.stderr)")
    }
}

/// `destination_cursor` reads the field the destination's catalog declares as the
/// stream's cursor; a destination without such a stream is a clear error.
@Suite struct DestinationCursorTests {
    @Test func aDestinationWithoutTheCursorStreamSaysSo() throws {
        let sandbox = try Sandbox()
        try sandbox.write("input.jsonl", #"{"id":1}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              input: { plugin: file, config: { path: input.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              copy:
                source: { connection: input, stream: input }
                destination: { connection: db, stream: rows }
                write: upsert
                destination_cursor: latest
            """)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 1)
        #expect(
            run.stdout.contains("connection 'db' offers no stream 'latest' with a cursor_field"),
            "\(run.stdout)\(run.stderr)")
    }
}
