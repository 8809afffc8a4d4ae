import FerryTesting
import Foundation
import Testing

/// A configuration problem found when a command opens connections or plans a
/// pipeline is reported like a parse error: one line naming the file, line and
/// key, with the fix, and exit code 2. `ferry check` finds everything `run` would.
@Suite struct ConfigProblemCommandTests {
    static let config = """
        state: state.db
        connections:
          counter: { plugin: demo, config: { count: 3 } }
          table: { plugin: sqlite, config: { path: out/numbers.db } }
        pipelines:
          numbers:
            source: { connection: counter, stream: numbers }
            destination: { connection: table, stream: numbers }
        """

    /// Runs `arguments` on `config` and returns the exit status and all output.
    static func ferry(_ arguments: [String], config: String, setUp: (Sandbox) throws -> Void = { _ in }) throws -> (
        Int32, String
    ) {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", config)
        try setUp(sandbox)
        let outcome = try sandbox.ferry(arguments)
        return (outcome.status, outcome.stdout + outcome.stderr)
    }

    @Test func checkRefusesAnUnknownTransformOpAtItsLine() throws {
        let config = Self.config + "\n    transforms:\n      - { op: frobnicate, field: x }\n"
        for command in [["check"], ["run"], ["status"]] {
            let (status, output) = try Self.ferry(command, config: config)
            #expect(status == 2, "\(command): \(output)")
            #expect(
                output.contains("ferry.yaml:10:9: pipelines.numbers.transforms[0].op: expected one of"), "\(output)")
        }
    }

    @Test func anUnknownPluginNamesTheConnectionsLine() throws {
        let config = Self.config.replacingOccurrences(of: "plugin: sqlite", with: "plugin: sqlitee")
        for command in [["check"], ["run"]] {
            let (status, output) = try Self.ferry(command, config: config)
            #expect(status == 2, "\(command): \(output)")
            #expect(
                output.contains("ferry.yaml:4:3: connections.table.plugin: unknown plugin 'sqlitee': no plugin file"),
                "\(output)")
        }
    }

    @Test func anUnknownPluginConfigKeyNamesTheConnectionsLine() throws {
        let config = Self.config.replacingOccurrences(of: "out/numbers.db", with: "out/numbers.db, colour: red")
        for command in [["check"], ["run"], ["discover", "table"]] {
            let (status, output) = try Self.ferry(command, config: config)
            #expect(status == 2, "\(command): \(output)")
            #expect(
                output.contains(
                    "ferry.yaml:4:60: connections.table.config.colour: unknown key 'colour'; valid keys are path, table_prefix"
                ),
                "\(output)")
        }
    }

    @Test func aPathThatIsNotADatabaseIsAConfigurationError() throws {
        let config = Self.config.replacingOccurrences(of: "out/numbers.db", with: "notes.txt")
        let (status, output) = try Self.ferry(["run"], config: config) { sandbox in
            try sandbox.write("notes.txt", String(repeating: "meeting notes\n", count: 200))
        }
        #expect(status == 2, "\(output)")
        #expect(
            output.contains("ferry.yaml:4:3: connections.table.config: plugin 'sqlite' refused it: config.path"),
            "\(output)")
        #expect(output.contains("notes.txt' is not a SQLite database"), "\(output)")
    }

    @Test func checkPlansPipelinesAsRunWould() throws {
        let config = """
            state: state.db
            connections:
              events: { plugin: file, config: { path: events.jsonl } }
              table: { plugin: sqlite, config: { path: out/events.db } }
            pipelines:
              events:
                source: { connection: events, stream: events }
                destination: { connection: table }
                write: upsert
            """
        let (status, output) = try Self.ferry(["check"], config: config) {
            try $0.write("events.jsonl", "{\"id\":1}\n")
        }
        #expect(output.contains("events      file    yes"), "the connections themselves are fine: \(output)")
        #expect(status == 2, "\(output)")
        #expect(output.contains("ferry.yaml:6:3: pipelines.events: write: upsert needs a primary key"), "\(output)")
    }

    @Test func aConfigThatIsNotAFileSaysWhatItIsAndHowToFixIt() throws {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.path("folder"), withIntermediateDirectories: true)
        #expect(mkfifo(sandbox.path("pipe"), 0o600) == 0)
        _ = FileManager.default.createFile(
            atPath: sandbox.path("binary.yaml"), contents: Data([0x7F, 0x45, 0x4C, 0x46, 0, 1, 2, 3]))
        for (config, words) in [
            ("folder", "is a folder, not a configuration file; pass the YAML file in it"),
            ("pipe", "is a FIFO (named pipe), not a configuration file"),
            ("/dev/zero", "is a device, not a configuration file"),
            ("binary.yaml", "is a binary file, not YAML text"),
            ("missing.yaml", "no such configuration file; pass the right one with --config FILE"),
        ] {
            let outcome = try sandbox.ferry(["status", "--config", config])
            #expect(outcome.status == 2, "\(config): \(outcome.stderr)")
            #expect(outcome.stderr.hasPrefix("error: \(config): \(words)"), "\(outcome.stderr)")
            #expect(outcome.stderr.split(separator: "\n").count == 1)
            #expect(!outcome.stderr.contains("NSCocoaErrorDomain") && !outcome.stderr.contains("permission"))
        }
    }
}

extension ConfigProblemCommandTests {
    @Test func theOperatorsAllowListKeepsAVariableOutOfRecords() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            Self.config + """

                    transforms:
                      - { op: set, field: stolen, value: "${HOST_DB_PASSWORD}" }
                """)
        let environment = ["FERRY_ALLOWED_ENV": "TENANT_*", "HOST_DB_PASSWORD": "Host-Db-Pass-5150"]
        let outcome = try sandbox.ferry(["run"], environment: environment)
        #expect(outcome.status == 2, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("ferry.yaml:10:"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("variable 'HOST_DB_PASSWORD' may not be read here"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("out/numbers.db")))
        #expect(!(outcome.stdout + outcome.stderr).contains("Host-Db-Pass-5150"))
        let allowed = try sandbox.ferry(
            ["run"], environment: ["FERRY_ALLOWED_ENV": "TENANT_*,HOST_DB_PASSWORD", "HOST_DB_PASSWORD": "x-y"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
    }
}
