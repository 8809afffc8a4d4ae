import FerryTesting
import Foundation
import Testing

/// The host checks every connection's `config` against its plugin's schema before opening it,
/// and `check` and `run` both report a mistake at its file:line with the key's full path.
@Suite struct ConfigSchemaCommandTests {
    static func config(counter: String, table: String = "{ path: out/numbers.db }") -> String {
        """
        state: state.db
        connections:
          counter:
            plugin: demo
            config: \(counter)
          table: { plugin: sqlite, config: \(table) }
        pipelines:
          numbers:
            source: { connection: counter, stream: numbers }
            destination: { connection: table, stream: numbers }
        """
    }

    static func ferry(_ arguments: [String], _ config: String) throws -> (Int32, String) {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", config)
        let outcome = try sandbox.ferry(arguments)
        return (outcome.status, outcome.stdout + outcome.stderr)
    }

    static let mistakes: [(config: String, message: String)] = [
        (
            config(counter: "{ count: many }"),
            "ferry.yaml:5:15: connections.counter.config.count: expected an integer, got 'many'"
        ),
        (
            config(counter: "{ count: -3 }"),
            "ferry.yaml:5:15: connections.counter.config.count: expected a number at least 0, got -3"
        ),
        (
            config(counter: "{ cuont: 3 }"),
            "ferry.yaml:5:15: connections.counter.config.cuont: unknown key 'cuont'; did you mean 'count'?"
        ),
        (
            config(counter: "{ count: 3 }", table: "{ path: out/n.db, journal_mode: fast }"),
            "ferry.yaml:6:54: connections.table.config.journal_mode: expected one of"
        ),
        (
            config(counter: "{ count: 3 }", table: "{ table_prefix: x_ }"),
            "ferry.yaml:6:28: connections.table.config.path: missing required key 'path'"
        ),
    ]

    @Test(arguments: 0..<mistakes.count)
    func checkAndRunReportTheMistakeAtItsLine(index: Int) throws {
        let (config, message) = Self.mistakes[index]
        for command in [["check"], ["run"]] {
            let (status, output) = try Self.ferry(command, config)
            #expect(status == 2, "\(command): \(output)")
            #expect(output.contains(message), "\(command): \(output)")
        }
    }

    @Test func aValidConfigPassesTheCheck() throws {
        let (status, output) = try Self.ferry(["check"], Self.config(counter: "{ count: 3, tag: x }"))
        #expect(status == 0, "\(output)")
    }
}
