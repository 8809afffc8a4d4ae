import FerryTesting
import Foundation
import Testing

/// `ferry run --confirm [--yes]` and `--stop-on-failure` through the real binary: the
/// changes listed before anything is written, applied only on a yes; a chain that stops at
/// its first failed step.
@Suite struct RunConfirmTests {
    static let config = """
        state: state.db
        connections:
          sites: { plugin: file, config: { path: sites.jsonl, primary_key: id } }
          broken: { plugin: file, config: { path: missing.jsonl, primary_key: id } }
          db: { plugin: sqlite, config: { path: out.db } }
        pipelines:
          sites: { source: { connection: sites, stream: sites }, destination: { connection: db, stream: sites }, write: upsert }
          first: { source: { connection: broken, stream: missing }, destination: { connection: db, stream: first }, write: upsert }
          second: { source: { connection: sites, stream: sites }, destination: { connection: db, stream: second }, write: upsert }
        """

    static func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", config)
        try sandbox.write("sites.jsonl", #"{"id":1,"name":"Pori"}"# + "\n" + #"{"id":2,"name":"Ulvila"}"# + "\n")
        return sandbox
    }

    static func rows(_ sandbox: Sandbox, _ table: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: sandbox.path("out.db")) else { return [] }
        return (try? sandbox.sql("out.db", "SELECT id || '=' || name FROM \(table) ORDER BY id")) ?? []
    }

    @Test func theChangesAreListedAndAppliedOnlyOnAYes() throws {
        let sandbox = try Self.sandbox()
        let declined = try sandbox.ferry(["run", "sites", "--confirm"], input: "n\n")
        #expect(declined.status == 0, "\(declined.stdout)\(declined.stderr)")
        #expect(declined.stdout.contains("+ create 1"), "\(declined.stdout)")
        #expect(declined.stdout.contains("Apply these 2 change(s)? [y/N] Not applied."), "\(declined.stdout)")
        #expect(try Self.rows(sandbox, "sites") == [])

        let unanswered = try sandbox.ferry(["run", "sites", "--confirm"])
        #expect(unanswered.status == 0)
        #expect(unanswered.stdout.contains("No answer on standard input: nothing applied"), "\(unanswered.stdout)")
        #expect(try Self.rows(sandbox, "sites") == [])

        let approved = try sandbox.ferry(["run", "sites", "--confirm"], input: "yes\n")
        #expect(approved.status == 0, "\(approved.stdout)\(approved.stderr)")
        #expect(try Self.rows(sandbox, "sites") == ["1=Pori", "2=Ulvila"])

        try sandbox.write("sites.jsonl", #"{"id":1,"name":"Pori"}"# + "\n" + #"{"id":2,"name":"Ulvila town"}"# + "\n")
        let forced = try sandbox.ferry(["run", "sites", "--confirm", "--yes"])
        #expect(forced.stdout.contains("~ update 2"), "\(forced.stdout)")
        #expect(forced.stdout.contains("Applying 1 change(s) (--yes)."), "\(forced.stdout)")
        #expect(try Self.rows(sandbox, "sites") == ["1=Pori", "2=Ulvila town"])

        let nothing = try sandbox.ferry(["run", "sites", "--confirm"], input: "y\n")
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("Nothing to change: nothing applied."), "\(nothing.stdout)")
    }

    @Test func confirmRefusesFlagsItCannotHonour() throws {
        let sandbox = try Self.sandbox()
        let both = try sandbox.ferry(["run", "sites", "--confirm", "--dry-run"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("--confirm shows the changes and then applies them"), "\(both.stderr)")
        let alone = try sandbox.ferry(["run", "sites", "--yes"])
        #expect(alone.status != 0)
        #expect(alone.stderr.contains("--yes answers --confirm: give --confirm too"), "\(alone.stderr)")
    }

    /// Without the flag the chain goes on past the failed step; with it the rest is skipped,
    /// each named with the step that stopped it.
    @Test func aChainStopsAtItsFirstFailedStepWhenAsked() throws {
        let sandbox = try Self.sandbox()
        let onward = try sandbox.ferry(["run", "first", "second"])
        #expect(onward.status == 1, "\(onward.stdout)\(onward.stderr)")
        #expect(try Self.rows(sandbox, "second") == ["1=Pori", "2=Ulvila"])

        let fresh = try Self.sandbox()
        let stopped = try fresh.ferry(["run", "first", "second", "--stop-on-failure"])
        #expect(stopped.status == 1, "\(stopped.stdout)\(stopped.stderr)")
        #expect(
            stopped.stdout.contains("second: skipped: 'first' failed and --stop-on-failure is set"), "\(stopped.stdout)"
        )
        #expect(try Self.rows(fresh, "second") == [])
    }
}
