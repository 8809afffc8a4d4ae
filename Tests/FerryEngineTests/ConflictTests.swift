import FerryTesting
import Foundation
import Testing

/// Two-way sync end to end on the real `ferry`: a JSONL file into SQLite, where the test
/// edits the SQLite row (the destination's side) and the file (the source's) between runs.
@Suite struct ConflictTests {
    static let policies = """
        conflicts:
              policies: { name: source_wins, phone: destination_wins, city: newest_wins, updated_at: newest_wins, note: fill_if_empty }
              default: record
              timestamp_field: updated_at
        """

    static func setUp(_ conflicts: String = policies, write: String = "upsert") throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write(
            "data/people.jsonl",
            """
            {"id":1,"name":"Aino","phone":"111","city":"Pori","note":null,"email":"a@x","updated_at":"2026-01-01T00:00:00Z"}
            {"id":2,"name":"Eero","phone":"555","city":"Oulu","note":null,"email":"e@x","updated_at":"2026-01-01T00:00:00Z"}

            """)
        try sandbox.write(
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
                sync: full
                \(conflicts)
            """)
        return sandbox
    }

    /// Runs the pipeline and returns "written W, unchanged U".
    @discardableResult
    static func run(_ sandbox: Sandbox) throws -> String {
        let outcome = try sandbox.ferry(["run", "--config", "ferry.yaml", "--json"])
        #expect(outcome.status == 0, "stdout: \(outcome.stdout)\nstderr: \(outcome.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
        let run = (object?["runs"] as? [[String: Any]])?.first ?? [:]
        return "written \(run["written"] as? Int ?? -1), unchanged \(run["unchanged"] as? Int ?? -1)"
    }

    static func conflicts(_ sandbox: Sandbox, all: Bool = false) throws -> [[String: Any]] {
        let outcome = try sandbox.ferry(
            ["conflicts", "list", "--config", "ferry.yaml", "--json"] + (all ? ["--all"] : []))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any]
        return object?["conflicts"] as? [[String: Any]] ?? []
    }

    @Test func eachPolicyDecidesWhatBothSidesChangedAndTheRestIsRecordedThenResolved() throws {
        let sandbox = try Self.setUp()
        #expect(try Self.run(sandbox).contains("written 2,"))
        #expect(try Self.run(sandbox).contains("written 0, unchanged 2"))

        // Someone edits the destination; the source changes too.
        _ = try sandbox.sql(
            "out/db.sqlite",
            """
            UPDATE people SET name = 'Aino D', phone = '222', city = 'Rauma', note = 'kept', email = 'd@x',
                updated_at = '2026-03-01T00:00:00Z' WHERE id = 1;
            UPDATE people SET email = 'e2@x', city = 'Kemi', updated_at = '2026-02-01T00:00:00Z' WHERE id = 2;
            """)
        try sandbox.write(
            "data/people.jsonl",
            """
            {"id":1,"name":"Aino S","phone":"333","city":"Turku","note":"from source","email":"s@x","updated_at":"2026-02-01T00:00:00Z"}
            {"id":2,"name":"Eero","phone":"555","city":"Vaasa","note":"filled","email":"e@x","updated_at":"2026-04-01T00:00:00Z"}

            """)
        #expect(try Self.run(sandbox).contains("written 2,"))
        let rows = try sandbox.sql(
            "out/db.sqlite", "SELECT id, name, phone, city, note, email, updated_at FROM people ORDER BY id;")
        #expect(
            rows == [
                // source_wins, destination_wins, newest_wins (the destination is newer), fill_if_empty (not empty: kept),
                // default `record` (kept, a conflict), newest_wins.
                "1|Aino S|222|Rauma|kept|d@x|2026-03-01T00:00:00Z",
                // Only the destination changed the email: kept, no conflict; newest_wins (the source is newer); filled.
                "2|Eero|555|Vaasa|filled|e2@x|2026-04-01T00:00:00Z",
            ])
        let open = try Self.conflicts(sandbox)
        #expect(open.count == 1)
        let conflict = try #require(open.first)
        #expect(conflict["key"] as? String == "1")
        #expect(conflict["field"] as? String == "email")
        #expect(conflict["base"] as? String == "\"a@x\"")
        #expect(conflict["source"] as? String == "\"s@x\"")
        #expect(conflict["destination"] as? String == "\"d@x\"")
        #expect(conflict["status"] as? String == "open")

        // Nothing changed: nothing written, no new conflict.
        #expect(try Self.run(sandbox).contains("written 0, unchanged 2"))
        #expect(try Self.conflicts(sandbox).count == 1)

        // A person takes the source's value; the next run writes it and nothing else.
        let id = try #require(conflict["id"] as? Int)
        let resolved = try sandbox.ferry([
            "conflicts", "resolve", "\(id)", "--take", "source", "--config", "ferry.yaml",
        ])
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(try Self.run(sandbox).contains("written 1, unchanged 1"))
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT id, name, phone, city, note, email FROM people ORDER BY id;") == [
                "1|Aino S|222|Rauma|kept|s@x", "2|Eero|555|Vaasa|filled|e2@x",
            ])
        #expect(try Self.conflicts(sandbox).isEmpty)
        #expect(try Self.conflicts(sandbox, all: true).first?["status"] as? String == "applied")
        #expect(try Self.run(sandbox).contains("written 0, unchanged 2"))
    }

    @Test func aChangeOnOneSideOnlyNeedsNoPolicyAndAValueCanBeChosenByHand() throws {
        let sandbox = try Self.setUp("conflicts: { default: record }")
        try Self.run(sandbox)
        // The destination edits the phone, the source the city: each side's change stands.
        _ = try sandbox.sql("out/db.sqlite", "UPDATE people SET phone = '999', email = 'both-d@x' WHERE id = 1;")
        try sandbox.write(
            "data/people.jsonl",
            """
            {"id":1,"name":"Aino","phone":"111","city":"Kemi","note":null,"email":"both-s@x","updated_at":"2026-01-01T00:00:00Z"}
            {"id":2,"name":"Eero","phone":"555","city":"Oulu","note":null,"email":"e@x","updated_at":"2026-01-01T00:00:00Z"}

            """)
        #expect(try Self.run(sandbox).contains("written 1, unchanged 1"))
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT phone, city, email FROM people WHERE id = 1;") == [
                "999|Kemi|both-d@x"
            ])
        let id = try #require(try Self.conflicts(sandbox).first?["id"] as? Int)
        let refused = try sandbox.ferry([
            "conflicts", "resolve", "\(id)", "--value", "not json", "--config", "ferry.yaml",
        ])
        #expect(refused.status == 64)
        let chosen = try sandbox.ferry([
            "conflicts", "resolve", "\(id)", "--value", "\"chosen@x\"", "--config", "ferry.yaml",
        ])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        try Self.run(sandbox)
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT phone, city, email FROM people WHERE id = 1;") == [
                "999|Kemi|chosen@x"
            ])
        #expect(try Self.run(sandbox).contains("written 0, unchanged 2"))
    }

    @Test func fillIfEmptyFillsOnlyEmptyFieldsOfRecordsTheDestinationAlreadyHeld() throws {
        // Seed 000: the destination's records existed before Ferry; the source only fills their gaps.
        let sandbox = try Self.setUp("conflicts: { default: fill_if_empty }")
        try sandbox.write("out/.keep", "")
        _ = try sandbox.sql(
            "out/db.sqlite",
            """
            CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, phone TEXT, city TEXT, note TEXT, email TEXT, updated_at TEXT);
            INSERT INTO people (id, name, phone, city) VALUES (1, 'Aino (edited by hand)', '', NULL);
            """)
        try Self.run(sandbox)
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT id, name, phone, city, email FROM people ORDER BY id;") == [
                "1|Aino (edited by hand)|111|Pori|a@x", "2|Eero|555|Oulu|e@x",
            ])
        #expect(try Self.conflicts(sandbox).isEmpty)
    }

    @Test func aKillBetweenTheDestinationsCommitAndFerrysMergesTheSameWayOnTheRerun() throws {
        let sandbox = try Self.setUp()
        try Self.run(sandbox)
        _ = try sandbox.sql("out/db.sqlite", "UPDATE people SET phone = '222', email = 'd@x' WHERE id = 1;")
        try sandbox.write(
            "data/people.jsonl",
            """
            {"id":1,"name":"Aino S","phone":"333","city":"Pori","note":null,"email":"s@x","updated_at":"2026-01-01T00:00:00Z"}
            {"id":2,"name":"Eero","phone":"555","city":"Oulu","note":null,"email":"e@x","updated_at":"2026-01-01T00:00:00Z"}

            """)
        // The merged row is in SQLite, the synced versions and the conflict are not in the state.
        let killed = try sandbox.ferry(
            ["run", "--config", "ferry.yaml"], environment: ["FERRY_FAILPOINTS": "after_write:kill:1"])
        #expect(killed.status == -SIGKILL)
        #expect(try Self.conflicts(sandbox).isEmpty)
        #expect(try Self.run(sandbox).contains("written 1, unchanged 1"))
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT name, phone, email FROM people WHERE id = 1;") == [
                "Aino S|222|d@x"
            ])
        #expect(try Self.conflicts(sandbox).map { $0["field"] as? String } == ["email"])
        #expect(try Self.run(sandbox).contains("written 0, unchanged 2"))
    }

    @Test func conflictsNeedAKeyedWriteAndATimestampForNewestWins() throws {
        let append = try Self.setUp("conflicts: { default: source_wins }", write: "append")
        let appendCheck = try append.ferry(["check", "--config", "ferry.yaml"])
        #expect(appendCheck.status == 2)
        let newest = try Self.setUp("conflicts: { default: newest_wins }")
        let newestCheck = try newest.ferry(["check", "--config", "ferry.yaml"])
        #expect(newestCheck.status == 2)
        #expect(newestCheck.stderr.contains("timestamp_field"), "\(newestCheck.stderr)")
    }
}
