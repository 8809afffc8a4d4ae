import FerryTesting
import Foundation
import Testing

/// The sqlite connector in WAL mode keeps its WAL's file between runs, header cleared (the
/// buffering VFS's keeping name), and every run reads what the one before wrote; in another
/// journal mode no WAL is left behind. The real `ferry`, a JSONL file into SQLite.
@Suite struct KeptWALEndToEndTests {
    private static func sandbox(journalMode: String?) throws -> Sandbox {
        let sandbox = try Sandbox()
        let mode = journalMode.map { ", journal_mode: \($0)" } ?? ""
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              file: { plugin: file, config: { path: people.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out.db\(mode) } }
            pipelines:
              people: { source: { connection: file, stream: people }, destination: { connection: db, stream: people }, write: upsert }
            """)
        return sandbox
    }

    private static func write(_ sandbox: Sandbox, version: Int) throws {
        let lines = (1...200).map { #"{"id":\#($0),"name":"person \#($0)","version":\#(version)}"# }
        try sandbox.write("people.jsonl", lines.joined(separator: "\n") + "\n")
    }

    private static func header(_ path: String) throws -> [UInt8] {
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        return [UInt8](try handle.read(upToCount: 32) ?? Data())
    }

    @Test func runsInARowKeepTheWALClearedAndReadWhatTheLastOneWrote() throws {
        let sandbox = try Self.sandbox(journalMode: nil)
        for version in 1...3 {
            try Self.write(sandbox, version: version)
            let run = try sandbox.ferry(["run"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("200"), "\(run.stdout)")
            #expect(try Self.header(sandbox.path("out.db-wal")) == [UInt8](repeating: 0, count: 32))
        }
        // Read by the sqlite3 shell, a connection of SQLite's own VFS: the rows of the last run.
        #expect(try sandbox.sql("out.db", "SELECT count(*), min(version), max(version) FROM people") == ["200|3|3"])
    }

    @Test func anotherJournalModeLeavesNoWAL() throws {
        let sandbox = try Self.sandbox(journalMode: "delete")
        try Self.write(sandbox, version: 1)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("out.db-wal")))
        #expect(try sandbox.sql("out.db", "SELECT count(*) FROM people") == ["200"])
    }
}
