import FerryTesting
import Foundation
import Testing

/// `ferry run --dry-run --diff` end to end on the real `ferry`: a JSONL file into SQLite,
/// after a first real run, with records new, changed, unchanged and vanished. The diff
/// reads the destination back, lists field changes with dotted paths, counts what is
/// unchanged, says when mirror's deletes would be refused, and writes nothing at all.
@Suite struct DryRunDiffTests {
    static let first = [
        #"{"id":1,"name":"Aino","address":{"street":"Kauppa 1","zip":"28100"},"tags":["a","b"],"active":true}"#,
        #"{"id":2,"name":"Eero","address":{"street":"Itä 2","zip":"20100"},"tags":[],"active":false}"#,
        #"{"id":3,"name":"Liisa","address":{"street":"Pohjoinen 3","zip":"90100"},"tags":["c"],"active":true}"#,
        #"{"id":4,"name":"Ville","address":{"street":"Länsi 4","zip":"65100"},"tags":[],"active":true}"#,
    ]
    /// 1: a nested field changed; 2: unchanged; 3: name changed; 4: vanished; 5: new.
    static let second = [
        #"{"id":1,"name":"Aino","address":{"street":"Kauppa 9","zip":"28100"},"tags":["a","b"],"active":true}"#,
        first[1],
        #"{"id":3,"name":"Liisa M","address":{"street":"Pohjoinen 3","zip":"90100"},"tags":["c"],"active":true}"#,
        #"{"id":5,"name":"Satu","address":{"street":"Etelä 5","zip":"00100"},"tags":[],"active":true}"#,
    ]

    static func setUp(write: String, extra: String = "") throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write("people.jsonl", first.joined(separator: "\n") + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              file: { plugin: file, config: { path: people.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out.db } }
            pipelines:
              people: { source: { connection: file, stream: people }, destination: { connection: db, stream: people }, write: \(write)\(extra) }
            """)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        try sandbox.write("people.jsonl", second.joined(separator: "\n") + "\n")
        return sandbox
    }

    /// The bytes of every database file in the sandbox, to prove a dry run changed none.
    /// `ferry status` opens and closes the state first: the real run's process leaves its
    /// committed pages in the WAL, and the next connection to close folds them into the main
    /// file (SQLite's checkpoint: the same content, other bytes).
    static func databaseBytes(_ sandbox: Sandbox) throws -> [String: Data] {
        #expect(try sandbox.ferry(["status"]).status == 0)
        var files: [String: Data] = [:]
        for name in ["out.db", "out.db-wal", "state.db", "state.db-wal"]
        where FileManager.default.fileExists(atPath: sandbox.path(name)) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: sandbox.path(name)))
        }
        return files
    }

    @Test func upsertDiffListsCreatesAndFieldUpdatesAndWritesNothing() throws {
        let sandbox = try Self.setUp(write: "upsert")
        let before = try Self.databaseBytes(sandbox)
        let run = try sandbox.ferry(["run", "--dry-run", "--diff"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.prefix(4) == [
                "Diff of people (dry run, nothing written): 1 to create, 2 to update, 1 unchanged",
                #"  ~ update 1: address.street: "Kauppa 1" → "Kauppa 9""#,
                #"  ~ update 3: name: "Liisa" → "Liisa M""#,
                "  + create 5",
            ], "\(run.stdout)")
        #expect(
            try Self.databaseBytes(sandbox) == before, "a dry run leaves the destination and the state byte for byte")
        #expect(try sandbox.sql("out.db", "SELECT name FROM people ORDER BY id") == ["Aino", "Eero", "Liisa", "Ville"])
    }

    @Test func withoutChangeDetectionEqualRecordsAreUnchangedByTheDestinationsCopy() throws {
        // No stored hashes: record 2 is compared with the destination's row (booleans as 0/1,
        // arrays and objects as JSON text) and found equal.
        let sandbox = try Self.setUp(write: "upsert", extra: ", change_detection: false")
        let run = try sandbox.ferry(["run", "--diff", "--json"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let diff = try #require(try Self.diffs(run.stdout).first)
        #expect(diff["create"] as? Int == 1 && diff["update"] as? Int == 2 && diff["unchanged"] as? Int == 1, "\(diff)")
        #expect(diff["destination_read"] as? Bool == true && diff["deletes"] as? String == "none")
    }

    @Test func mirrorDiffListsVanishedRecordsAndTheJSONFormIsStable() throws {
        let sandbox = try Self.setUp(write: "mirror")
        let before = try Self.databaseBytes(sandbox)
        let run = try sandbox.ferry(["run", "--dry-run", "--diff", "--json", "--diff-limit", "3"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let diff = try #require(try Self.diffs(run.stdout).first)
        #expect(diff["pipeline"] as? String == "people")
        #expect(
            diff["create"] as? Int == 1 && diff["update"] as? Int == 2 && diff["unchanged"] as? Int == 1
                && diff["delete"] as? Int == 1 && diff["conflict"] as? Int == 0, "\(diff)")
        #expect(diff["deletes"] as? String == "computed" && diff["omitted"] as? Int == 1, "\(diff)")
        let changes = try #require(diff["changes"] as? [[String: Any]])
        #expect(changes.map { $0["kind"] as? String } == ["update", "update", "create"])
        #expect(changes.map { $0["key"] as? Int } == [1, 3, 5])
        let fields = try #require(changes[0]["fields"] as? [[String: Any]])
        #expect(
            fields.count == 1 && fields[0]["path"] as? String == "address.street"
                && fields[0]["old"] as? String == "Kauppa 1" && fields[0]["new"] as? String == "Kauppa 9", "\(fields)")
        #expect((changes[2]["record"] as? [String: Any])?["name"] as? String == "Satu")
        #expect(try Self.databaseBytes(sandbox) == before)

        let text = try sandbox.ferry(["run", "--diff"])
        #expect(
            text.stdout.contains("1 to create, 2 to update, 1 unchanged, 1 to delete\n")
                && text.stdout.contains("  - delete 4\n"),
            "\(text.stdout)")
        #expect(try Self.databaseBytes(sandbox) == before)
    }

    @Test func mirrorDiffSaysWhenDeletesWouldBeRefused() throws {
        let sandbox = try Self.setUp(write: "mirror")
        let before = try Self.databaseBytes(sandbox)
        let run = try sandbox.ferry(["run", "--diff", "--max-delete", "0", "--json"])
        #expect(run.status == 1, "a real run would fail the same way: \(run.stdout)\(run.stderr)")
        let diff = try #require(try Self.diffs(run.stdout).first)
        #expect(diff["deletes"] as? String == "refused" && diff["delete"] as? Int == 1, "\(diff)")
        #expect((diff["deletes_refused"] as? String)?.contains("more than max_delete 0") == true, "\(diff)")
        let text = try sandbox.ferry(["run", "--diff", "--max-delete", "0"])
        #expect(
            text.stdout.contains("  deletes refused: mirror refused to delete 1 of the 4 records"), "\(text.stdout)")
        #expect(try Self.databaseBytes(sandbox) == before)
    }

    @Test func beforeTheFirstRunEveryRecordIsACreate() throws {
        // The table does not exist yet, so the destination offers no such stream to read back.
        let sandbox = try Sandbox()
        try sandbox.write("people.jsonl", Self.first.joined(separator: "\n") + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              file: { plugin: file, config: { path: people.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out.db } }
            pipelines:
              people: { source: { connection: file, stream: people }, destination: { connection: db, stream: people }, write: upsert }
            """)
        let run = try sandbox.ferry(["run", "--diff", "--json"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let diff = try #require(try Self.diffs(run.stdout).first)
        #expect(
            diff["create"] as? Int == 4 && diff["update"] as? Int == 0 && diff["destination_read"] as? Bool == false,
            "\(diff)")
        #expect(try sandbox.sql("state.db", "SELECT count(*) FROM runs") == ["0"], "a dry run records no run")
    }

    @Test func diffLimitBoundsTheListing() throws {
        let sandbox = try Self.setUp(write: "upsert")
        let run = try sandbox.ferry(["run", "--diff", "--diff-limit", "1"])
        #expect(
            run.stdout.contains("  ~ update 1: address.street") && run.stdout.contains("  … 2 more (--diff-limit)\n"),
            "\(run.stdout)")
        #expect(!run.stdout.contains("update 3"))
        #expect(try sandbox.ferry(["run", "--diff-limit", "5"]).status == 64, "--diff-limit needs --diff")
        #expect(try sandbox.ferry(["run", "--diff", "--diff-limit", "-1"]).status == 64)
    }

    static func diffs(_ stdout: String) throws -> [[String: Any]] {
        let document = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]
        return try #require(document?["diffs"] as? [[String: Any]], "\(stdout)")
    }
}
