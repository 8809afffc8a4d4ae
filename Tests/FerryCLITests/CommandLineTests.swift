import FerryTesting
import Foundation
import Testing

/// The `ferry` executable as a user runs it: help text, exit codes, the
/// commands' output, sites, and secrets kept out of what it prints.
@Suite struct CommandLineTests {
    static let config = """
        state: state.db
        connections:
          counter: { plugin: demo, config: { count: 120 } }
          tagger: { plugin: demo, config: { tag: tagged } }
          sink: { plugin: cdemo, config: { count: 0 } }
          table: { plugin: sqlite, config: { path: out/numbers.db } }
        pipelines:
          numbers:
            source: { connection: counter, stream: numbers }
            destination: { connection: table, stream: numbers }
            write: upsert
            batch_size: 50
            transform_plugins: [tagger]
          to_sink:
            source: { connection: counter, stream: numbers }
            destination: { connection: sink, stream: numbers }
        """

    /// The expected text in `Golden/<name>`. After an intended change of the help texts,
    /// `FERRY_UPDATE_GOLDEN=1 swift test --filter CommandLineTests` rewrites the files from
    /// the real output; review the diff before committing it.
    static func golden(_ name: String, actual: String) throws -> String {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
        if ProcessInfo.processInfo.environment["FERRY_UPDATE_GOLDEN"] != nil {
            try actual.write(to: file, atomically: true, encoding: .utf8)
        }
        return try String(contentsOf: file, encoding: .utf8)
    }

    @Test func topLevelHelpMatchesTheGoldenText() throws {
        let sandbox = try Sandbox()
        let help = try sandbox.ferry(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout == (try Self.golden("ferry-help.txt", actual: help.stdout)))
    }

    @Test func runHelpDocumentsTheExitCodes() throws {
        let help = try Sandbox().ferry(["run", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout == (try Self.golden("ferry-run-help.txt", actual: help.stdout)))
    }

    @Test func badArgumentsExit64WithTheReason() throws {
        let outcome = try Sandbox().ferry(["run", "--limit", "0"])
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("--limit must be a positive number of records, got 0"))
        let since = try Sandbox().ferry(["run", "--since", "last week"])
        #expect(since.status == 64)
        #expect(since.stderr.contains("--since must be a date"))
    }

    @Test func aBadConfigExits2NamingFileLineAndKey() throws {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config.replacingOccurrences(of: "write: upsert", with: "write: upsrt"))
        let outcome = try sandbox.ferry(["run"])
        #expect(outcome.status == 2)
        #expect(
            outcome.stderr.contains(
                "ferry.yaml:11:5: pipelines.numbers.write: expected one of append, upsert, mirror, got 'upsrt'"),
            "\(outcome.stderr)")
    }

    @Test func aMissingConfigExits2() throws {
        let outcome = try Sandbox().ferry(["status", "--config", "nowhere.yaml"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("nowhere.yaml"))
    }

    @Test func runPrintsASummaryAndStatusShowsTheCheckpoint() throws {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config)
        let run = try sandbox.ferry(["run", "numbers", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let runs = summary?["runs"] as? [[String: Any]]
        #expect(runs?.first?["written"] as? Int == 120)
        // The transform plugin (the demo connector's transform slot) tagged every row.
        #expect(try sandbox.sql("out/numbers.db", "SELECT COUNT(*) FROM numbers WHERE tag = 'tagged';") == ["120"])
        let status = try sandbox.ferry(["status"])
        #expect(status.stdout.contains(#"numbers   succeeded"#), "\(status.stdout)")
        #expect(status.stdout.contains(#"{"last_id":120}"#))
        let reset = try sandbox.ferry(["state", "reset", "numbers"])
        #expect(reset.status == 0)
        let show = try sandbox.ferry(["state", "show", "numbers", "--json"])
        #expect(show.stdout.contains(#""checkpoint" : "none""#), "\(show.stdout)")
    }

    @Test func pluginsListsEveryFirstPartyPluginWithItsRuntime() throws {
        let sandbox = try Sandbox()
        let list = try sandbox.ferry(["plugins", "--json"])
        #expect(list.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any]
        let plugins = (json?["plugins"] as? [[String: Any]]) ?? []
        let byName = Dictionary(uniqueKeysWithValues: plugins.map { ($0["name"] as! String, $0) })
        #expect(Set(byName.keys).isSuperset(of: ["demo", "cdemo", "file", "sqlite"]))
        #expect(byName["cdemo"]?["runtime"] as? String == "c")
        #expect((byName["demo"]?["runtime"] as? String)?.hasPrefix("swift-6.") == true)
        #expect(byName["sqlite"]?["capabilities"] as? [String] == ["source", "destination", "transactional writes"])
        let info = try sandbox.ferry(["plugins", "info", "demo"])
        #expect(info.status == 0)
        #expect(info.stdout.contains("reject_field"))
        let unknown = try sandbox.ferry(["plugins", "info", "nosuch"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no plugin named 'nosuch'"))
    }

    /// The key table `plugins info` prints (from "config keys:" on: the path and runtime above it
    /// differ between machines), and the same keys in `--json`.
    @Test func pluginsInfoPrintsTheKeyTable() throws {
        let sandbox = try Sandbox()
        for name in ["demo", "postgres"] {
            let info = try sandbox.ferry(["plugins", "info", name])
            #expect(info.status == 0, "\(info.stderr)")
            let keys = info.stdout.components(separatedBy: "config keys:").last ?? ""
            #expect(keys == (try Self.golden("plugins-info-\(name).txt", actual: keys)))
        }
        let json = try sandbox.ferry(["plugins", "info", "postgres", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let keys = (object?["keys"] as? [[String: Any]]) ?? []
        let dsn = keys.first { $0["name"] as? String == "dsn" }
        #expect(dsn?["secret"] as? Bool == true)
        #expect(dsn?["required"] as? Bool == true)
        #expect(keys.first { $0["name"] as? String == "rows_per_statement" }?["default"] as? Int == 500)
    }

    @Test func checkAndDiscoverTalkToTheConnections() throws {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config)
        let check = try sandbox.ferry(["check"])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("counter     demo    yes"), "\(check.stdout)")
        let discover = try sandbox.ferry(["discover", "counter"])
        #expect(discover.stdout.contains("numbers  id"), "\(discover.stdout)")
        #expect(discover.stdout.contains("updated_at"))
    }

    @Test func sitesRunOnlyTheirPipelinesWithTheirOwnSettingsAndPlugins() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              counter: { plugin: demo, config: { count: 10 } }
              sink: { plugin: cdemo }
              broken: { plugin: no_such_plugin }
            pipelines:
              numbers:
                source: { connection: counter, stream: numbers }
                destination: { connection: sink, stream: numbers }
              needs_broken:
                source: { connection: broken, stream: x }
                destination: { connection: sink, stream: x }
            sites:
              acme:
                pipelines: [numbers]
                connections:
                  counter: { count: 25 }
              globex:
                pipelines: [needs_broken]
            """)
        let acme = try sandbox.ferry(["run", "--site", "acme", "--json"])
        #expect(acme.status == 0, "\(acme.stderr)")
        #expect(acme.stdout.contains(#""read" : 25"#), "\(acme.stdout)")
        let globex = try sandbox.ferry(["run", "--site", "globex"])
        #expect(globex.status == 2, "an unknown plugin is a configuration error")
        #expect(
            globex.stderr.contains("connections.broken.plugin: unknown plugin 'no_such_plugin'"), "\(globex.stderr)")
        let nobody = try sandbox.ferry(["run", "--site", "initech"])
        #expect(nobody.status == 2)
        #expect(nobody.stderr.contains("no site 'initech'"))
    }

    @Test func deadLettersExit3AndAreListedAndReplayed() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              counter: { plugin: demo, config: { count: 12 } }
              sink: { plugin: demo, config: { reject_field: bad } }
            pipelines:
              flagged:
                source: { connection: counter, stream: numbers }
                destination: { connection: sink, stream: numbers }
                transforms:
                  - { op: set, field: bad, value: true }
            """)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 3, "\(run.stderr)")
        let list = try sandbox.ferry(["errors", "list", "--json"])
        let letters =
            (try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])?["dead_letters"]
            as? [[String: Any]]
        #expect(letters?.count == 12)
        #expect(letters?.first?["stage"] as? String == "destination")
        // Fix the cause, then replay: the letters are delivered and marked replayed.
        try sandbox.write(
            "ferry.yaml", try sandbox.read("ferry.yaml").replacingOccurrences(of: "value: true", with: "value: false"))
        let replay = try sandbox.ferry(["errors", "replay"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains("replayed 12, written 12"), "\(replay.stdout)")
        #expect(try sandbox.ferry(["errors", "list"]).stdout.contains("No dead letters."))
    }

    @Test func secretsFromTheEnvironmentNeverReachTheOutput() throws {
        let sandbox = try Sandbox()
        let secret = "/proc/self/s3cr3t-Vault-Key-9431.db"
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              counter: { plugin: demo, config: { count: 3 } }
              table: { plugin: sqlite, config: { path: "${WAREHOUSE_SECRET}" } }
            pipelines:
              numbers:
                source: { connection: counter, stream: numbers }
                destination: { connection: table, stream: numbers }
            """)
        let outcome = try sandbox.ferry(["run", "--log-level", "trace"], environment: ["WAREHOUSE_SECRET": secret])
        #expect(outcome.status == 2, "a path the plugin cannot create is a configuration error")
        #expect(outcome.stderr.contains("***"), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("s3cr3t-Vault-Key-9431") && !outcome.stdout.contains("s3cr3t-Vault-Key-9431"))
    }
}

/// A quota that retries cannot outwait ends the run cleanly, keeping its checkpoints.
@Suite struct RateLimitStopTests {
    @Test func aUsedUpDailyQuotaStopsTheRunWithExit75AndTheNextRunContinues() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              counter: { plugin: demo, config: { count: 100, quota_batches: 3 } }
              sink: { plugin: cdemo }
            pipelines:
              numbers:
                source: { connection: counter, stream: numbers }
                destination: { connection: sink, stream: numbers }
                batch_size: 10
            """)
        let stopped = try sandbox.ferry(["run"])
        #expect(stopped.status == 75, "\(stopped.stderr)")
        #expect(stopped.stdout.contains("rate_limited"))
        #expect(stopped.stdout.contains("resets at midnight UTC"), "\(stopped.stdout)")
        let status = try sandbox.ferry(["status"])
        #expect(status.stdout.contains(#"{"last_id":30}"#), "\(status.stdout)")
        // The quota "resets": the next run picks up after record 30.
        try sandbox.write(
            "ferry.yaml", try sandbox.read("ferry.yaml").replacingOccurrences(of: ", quota_batches: 3", with: ""))
        let resumed = try sandbox.ferry(["run", "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains(#""read" : 70"#), "\(resumed.stdout)")
    }
}

/// On a terminal `ferry run` draws a progress line; piped, it writes plain log lines only.
@Suite struct ProgressLineTests {
    @Test func aTerminalGetsAProgressLineAndAPipeDoesNot() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              counter: { plugin: demo, config: { count: 300 } }
              sink: { plugin: cdemo }
            pipelines:
              numbers: { source: { connection: counter, stream: numbers }, destination: { connection: sink, stream: numbers }, batch_size: 100 }
            """)
        // util-linux `script` runs the command on a pseudo-terminal.
        let terminal = try Sandbox.outputLines(
            of: "/usr/bin/script",
            [
                "-qec", "cd '\(sandbox.folder.path)' && '\(Sandbox.ferryExecutable)' run --full", "/dev/null",
            ]
        ).joined(separator: "\n")
        #expect(terminal.contains("numbers: 100 records"), "\(terminal)")
        #expect(terminal.contains("rec/s") && terminal.contains("s elapsed"))
        let piped = try sandbox.ferry(["run", "--full"])
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("s elapsed"), "\(piped.stderr)")
    }
}
