import FerryTesting
import Foundation
import Testing

/// Commits that span several source batches (`commit_records`): the real `ferry` with the
/// flaky C source feeding SQLite records 1–100 in pages of 10, committed in groups of 30
/// records (three pages). A kill anywhere in a group loses and duplicates nothing: the destination keeps the
/// group's rows in one open transaction, so they land together or not at all, and the rerun
/// resumes from the last committed group.
@Suite(.serialized) struct CommitGroupTests {
    static func sandbox(write: String, commitSeconds: String = "1h", _ name: String = #function) throws -> Sandbox {
        try NothingLostTests.flakySandbox(
            write: write, batchSize: 10, commitRecords: 30, commitSeconds: commitSeconds, name)
    }

    static func seqs(_ sandbox: Sandbox) throws -> [Int] {
        try sandbox.sql("out/db.sqlite", "SELECT seq FROM records ORDER BY seq;").compactMap { Int($0) }
    }

    static func stateCheckpoint(_ sandbox: Sandbox) throws -> [String] {
        try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints;")
    }

    /// Killed while the fifth page is written (the second group open, its pages 4 and 5 in the
    /// destination's transaction): the destination and the state hold exactly the first group,
    /// and the rerun appends the other 70 records once each.
    @Test func aRunKilledInsideAGroupKeepsTheLastCommittedGroupAndTheRerunDuplicatesNothing() throws {
        let sandbox = try Self.sandbox(write: "append")
        let killed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "after_write:kill:5"])
        #expect(killed.status == -SIGKILL, "\(killed.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...30), "the group of pages 1–3 committed, pages 4–5 rolled back")
        // The group's state commit runs behind the next group (StateCommitBehind): it may not
        // have landed yet, which leaves the state one group behind the destination, never more.
        #expect([[], [#"{"after":30}"#]].contains(try Self.stateCheckpoint(sandbox)))
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...100), "each record once")
    }

    /// Groups end at page boundaries by record count: killed right after the second group's
    /// state commit, the state's checkpoint is the sixth page's and the destination holds its
    /// 60 rows; the last group is the tenth page alone, committed at the end of the stream.
    @Test func aGroupBoundedByRecordsCommitsAtTheExpectedPages() throws {
        let sandbox = try Self.sandbox(write: "upsert")
        let killed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "after_commit:kill:2"])
        #expect(killed.status == -SIGKILL, "\(killed.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...60))
        #expect(try Self.stateCheckpoint(sandbox) == [#"{"after":60}"#])
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT value FROM _ferry_checkpoints;") == [#"{"after":60}"#],
            "the destination stored the group's last checkpoint in the group's transaction")
        let rerun = try sandbox.ferry(["run", "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...100))
        // The rerun read pages 7–10: one group of 30 and the last page.
        let json = try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any]
        let report = (json?["runs"] as? [[String: Any]])?.first
        #expect(report?["read"] as? Int == 40, "\(rerun.stdout)")
        #expect(report?["written"] as? Int == 40, "\(rerun.stdout)")
    }

    /// Killed between the destination's commit of a group and the state's: the destination is
    /// one group ahead. Append resumes where the destination's data ends (its checkpoint was
    /// stored in the group's transaction), so nothing is appended twice.
    @Test func aKillBetweenTheGroupsTwoCommitsDuplicatesNothing() throws {
        let sandbox = try Self.sandbox(write: "append")
        // The third write ends the first group and commits the destination's transaction.
        let killed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "after_write:kill:3"])
        #expect(killed.status == -SIGKILL, "\(killed.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...30))
        #expect(try Self.stateCheckpoint(sandbox) == [])
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...100), "each record once")
    }

    /// A group's state commit runs on its own thread while the next group is read and written
    /// (here slowed to 2 s a commit), but the next group's destination commit waits for it:
    /// killed right after the sixth page's write committed the second group, the destination
    /// holds two groups and the state one, never fewer. The rerun appends each record once.
    @Test func theStateCommittedBehindIsNeverTwoGroupsBehindTheDestination() throws {
        let sandbox = try Self.sandbox(write: "append")
        let killed = try sandbox.ferry(
            ["run"], environment: ["FERRY_FAILPOINTS": "state_commit_behind:sleep:2000,after_write:kill:6"])
        #expect(killed.status == -SIGKILL, "\(killed.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...60), "groups 1–2 committed")
        #expect(try Self.stateCheckpoint(sandbox) == [#"{"after":30}"#], "the first group's state landed")
        let rerun = try sandbox.ferry(["run", "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...100), "each record once")
        #expect(try Self.stateCheckpoint(sandbox) == [#"{"after":100}"#])
    }

    /// A state commit running behind fails (here by the fail point, as a full disk would): the
    /// run stops with an error naming it before the next group's destination commit, the
    /// destination one group ahead of the state, and the rerun resumes where the destination's
    /// data ends, appending each record once.
    @Test func aStateCommitFailingBehindStopsTheRunAndTheRerunDuplicatesNothing() throws {
        let sandbox = try Self.sandbox(write: "append")
        let failed = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "state_commit_behind:fail:2"])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(
            (failed.stdout + failed.stderr).contains("injected failure at fail point 'state_commit_behind'"),
            "\(failed.stdout)\(failed.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...60), "groups 1–2 committed, the third group's pages rolled back")
        #expect(try Self.stateCheckpoint(sandbox) == [#"{"after":30}"#], "the second group's state failed")
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...100), "each record once")
        #expect(try Self.stateCheckpoint(sandbox) == [#"{"after":100}"#])
    }

    /// Slow state commits running behind still all land, and their counts reach the report.
    @Test func aRunWhoseStateCommitsRunBehindReportsEveryGroup() throws {
        let sandbox = try Self.sandbox(write: "upsert")
        let run = try sandbox.ferry(
            ["run", "--json"], environment: ["FERRY_FAILPOINTS": "state_commit_behind:sleep:300"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let report = (json?["runs"] as? [[String: Any]])?.first
        #expect(report?["read"] as? Int == 100 && report?["written"] as? Int == 100, "\(run.stdout)")
        #expect(try Self.stateCheckpoint(sandbox) == [#"{"after":100}"#])
        #expect(
            try sandbox.sql("state.db", "SELECT count(*) FROM record_hashes;") == ["100"],
            "every group's hashes landed")
    }

    /// A source that breaks the protocol on the fifth page, inside the second group: the pages
    /// before it were written whole, so they are committed and the run stops with the checkpoint
    /// before the bad page, as with a commit per page.
    @Test func aSourceFailureInsideAGroupKeepsTheBatchesWrittenBeforeIt() throws {
        let sandbox = try Self.sandbox(write: "append")
        try NothingLostTests.faults(sandbox, "malformed 5")
        let failed = try sandbox.ferry(["run"])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...40))
        #expect(try Self.stateCheckpoint(sandbox) == [#"{"after":40}"#])
        try NothingLostTests.faults(sandbox, "")
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...100), "each record once")
    }

    /// A key met twice in one group (the source sends record 5 again on a later page) is
    /// compared with the hash the group wrote, not the stored one: the unchanged repeat is
    /// skipped and counted once as created.
    @Test func aKeyRepeatedInOneGroupIsComparedWithTheGroupsOwnHash() throws {
        let sandbox = try Self.sandbox(write: "upsert")
        try sandbox.write("data/records.txt", FlakySource.records(Array(1...15) + [5] + Array(16...24)))
        let run = try sandbox.ferry(["run", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let report = (json?["runs"] as? [[String: Any]])?.first
        #expect(report?["read"] as? Int == 25, "\(run.stdout)")
        #expect(report?["unchanged"] as? Int == 1, "\(run.stdout)")
        #expect(report?["created"] as? Int == 24, "\(run.stdout)")
    }

    /// A first load (no hash stored for the stream) looks no hash up: a record the source sends
    /// again in a later group is written again, the upsert leaving it once. The next run (hashes
    /// stored) looks them up and writes nothing that did not change.
    @Test func aFirstLoadLooksNoHashUpAndTheNextRunDoes() throws {
        let sandbox = try NothingLostTests.flakySandbox(sync: "full", batchSize: 10, commitRecords: 30)
        try sandbox.write("data/records.txt", FlakySource.records(Array(1...30) + [5] + Array(31...39)))
        func counts(_ run: Sandbox.Outcome) throws -> [String: Any]? {
            let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            return (json?["runs"] as? [[String: Any]])?.first
        }
        let load = try sandbox.ferry(["run", "--json"])
        #expect(load.status == 0, "\(load.stderr)")
        let loadCounts = try counts(load)
        #expect(loadCounts?["read"] as? Int == 40 && loadCounts?["unchanged"] as? Int == 0, "\(load.stdout)")
        #expect(loadCounts?["written"] as? Int == 40, "the repeat of record 5 is written again: \(load.stdout)")
        #expect(try Self.seqs(sandbox) == Array(1...39), "each record once")
        let again = try sandbox.ferry(["run", "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let againCounts = try counts(again)
        #expect(againCounts?["read"] as? Int == 40 && againCounts?["unchanged"] as? Int == 40, "\(again.stdout)")
        #expect(againCounts?["written"] as? Int == 0, "\(again.stdout)")
        #expect(try Self.seqs(sandbox) == Array(1...39))
    }

    @Test func commitRecordsOutOfRangeIsAConfigurationError() throws {
        let sandbox = try Self.sandbox(write: "upsert")
        let yaml = try String(contentsOfFile: sandbox.path("ferry.yaml"), encoding: .utf8)
        try sandbox.write("ferry.yaml", yaml.replacingOccurrences(of: "commit_records: 30", with: "commit_records: 0"))
        let check = try sandbox.ferry(["check"])
        #expect(check.status != 0)
        let output = check.stdout + check.stderr
        #expect(output.contains("pipelines.copy.commit_records: must be between 1 and 10000000, got 0"), "\(output)")
    }

    /// A pipeline whose lookup reads the ID mappings it assigns itself (employees and their
    /// managers in one stream) commits each batch: a group's mappings reach the state store
    /// only when it commits, so an employee after its manager in the same group would find
    /// none (here `on_missing: null` would write it without its manager, silently).
    @Test func aPipelineLookingUpItsOwnMappingsCommitsEachBatch() throws {
        let sandbox = try Self.employeesSandbox(
            #"{"code":"E1","name":"boss"}"# + "\n" + #"{"code":"E2","name":"lead","manager":"E1"}"# + "\n"
                + #"{"code":"E3","name":"dev","manager":"E2"}"# + "\n",
            pipelineKeys: """
                    batch_size: 1
                    transforms:
                      - { op: lookup, field: manager, scope: db/employees, to: manager_id, on_missing: null }
                """)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            try sandbox.sql(
                "out/db.sqlite",
                "SELECT e.code, ifnull(m.code, '-') FROM employees e LEFT JOIN employees m ON m.id = e.manager_id ORDER BY e.code;"
            ) == ["E1|-", "E2|E1", "E3|E2"])
    }

    /// A group whose destination assigned ids commits its state in line, never behind: a
    /// connector may read the mappings while it writes the next group (`id_map_get`), and one
    /// not landed yet would make it create the record twice. A state commit behind fails here
    /// by the fail point, so the run succeeds only if none went behind.
    @Test func aGroupWithIDMappingsCommitsItsStateInLine() throws {
        let sandbox = try Self.employeesSandbox(
            (1...6).map { #"{"code":"E\#($0)","name":"n\#($0)"}"# + "\n" }.joined(),
            pipelineKeys: """
                    batch_size: 2
                    commit_records: 4
                """)
        let run = try sandbox.ferry(["run"], environment: ["FERRY_FAILPOINTS": "state_commit_behind:fail:1"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try sandbox.sql("state.db", "SELECT count(*) FROM id_map;") == ["6"])
    }

    /// A source that stalls after two pages (its third read waits for a cancel that only comes
    /// with the kill) does not hold them uncommitted past `commit_seconds`: the run commits the
    /// open group while it waits for the page read ahead, so the destination and the state hold
    /// the 20 records before the kill, and the rerun reads the other 80 once each.
    @Test func aStalledSourceCommitsTheOpenGroupAfterCommitSeconds() throws {
        let sandbox = try Self.sandbox(write: "upsert", commitSeconds: "1s")
        try NothingLostTests.faults(sandbox, "hang_at 3")
        let process = try sandbox.start(["run"])
        try sandbox.waitForMark("data/records.txt.hanging")
        // Without the deadline the pages stay in the open transaction as long as the source
        // stalls: this bound only ends the test then.
        waitUntil(within: 30) { (try? Self.stateCheckpoint(sandbox)) == [#"{"after":20}"#] }
        let committed = try Self.seqs(sandbox)
        let state = try Self.stateCheckpoint(sandbox)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(committed == Array(1...20), "the two pages read before the stall are committed")
        #expect(state == [#"{"after":20}"#])
        try FileManager.default.removeItem(atPath: sandbox.path("data/records.txt.faults"))
        let rerun = try sandbox.ferry(["run", "--json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Self.seqs(sandbox) == Array(1...100), "each record once")
        let json = try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any]
        #expect((json?["runs"] as? [[String: Any]])?.first?["read"] as? Int == 80, "\(rerun.stdout)")
    }

    /// Employees (JSONL, keyed by `code`) upserted into SQLite, which assigns each an `id` (an
    /// ID mapping); `pipelineKeys` are the pipeline's further keys, indented as its own.
    static func employeesSandbox(_ records: String, pipelineKeys: String) throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write("data/employees.jsonl", records)
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              staff: { plugin: file, config: { path: data/employees.jsonl, primary_key: code } }
              db: { plugin: sqlite, config: { path: out/db.sqlite, assigned_id: id } }
            pipelines:
              employees:
                source: { connection: staff, stream: employees }
                destination: { connection: db, stream: employees }
                write: upsert

            """ + pipelineKeys + "\n")
        return sandbox
    }
}
