import FerryTesting
import Foundation
import Testing

/// Which plugins each command opens, on the real `ferry`: `dlopen` runs a
/// library's constructors, so a command opens only the plugins it uses.
@Suite struct PluginSelectionTests {
    static let config = """
        state: state.db
        plugin_paths: [spies]
        connections:
          counter: { plugin: demo, config: { count: 5 } }
          table: { plugin: sqlite, config: { path: out/numbers.db } }
          watched: { plugin: spy }
        pipelines:
          numbers:
            source: { connection: counter, stream: numbers }
            destination: { connection: table, stream: numbers }
          spied:
            source: { connection: counter, stream: numbers }
            destination: { connection: watched, stream: numbers }
        """

    /// A sandbox with the config and a plugin that records every `dlopen` of it in `loaded.txt`.
    static func sandbox() throws -> (Sandbox, [String: String]) {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", config)
        try FileManager.default.createDirectory(atPath: sandbox.path("spies"), withIntermediateDirectories: true)
        try Fixtures.buildFixture(
            at: URL(fileURLWithPath: sandbox.path("spies/libspy.so")), name: "spy",
            defines: ["FX_LOADED_MARKER"])
        // A second plugin whose file name does not say its name: only a full scan opens it.
        try Fixtures.buildFixture(
            at: URL(fileURLWithPath: sandbox.path("spies/connector-1.2.so")), name: "hidden",
            defines: ["FX_LOADED_MARKER"])
        return (sandbox, ["FX_LOADED_MARKER": sandbox.path("loaded.txt")])
    }

    static func loaded(_ sandbox: Sandbox) -> [String] {
        ((try? sandbox.read("loaded.txt")) ?? "").split(separator: "\n").map(String.init).sorted()
    }

    @Test func stateCommandsOpenNoPlugin() throws {
        let (sandbox, environment) = try Self.sandbox()
        for command in [["status"], ["state", "show"], ["errors", "list"], ["errors", "list", "--json"]] {
            let outcome = try sandbox.ferry(command, environment: environment)
            #expect(outcome.status == 0, "\(command): \(outcome.stderr)")
        }
        #expect(Self.loaded(sandbox) == [])
    }

    @Test func runOpensOnlyThePluginsItsPipelinesUse() throws {
        let (sandbox, environment) = try Self.sandbox()
        let numbers = try sandbox.ferry(["run", "numbers"], environment: environment)
        #expect(numbers.status == 0, "\(numbers.stderr)")
        #expect(Self.loaded(sandbox) == [])
        let spied = try sandbox.ferry(["run", "spied"], environment: environment)
        #expect(spied.status == 0, "\(spied.stderr)")
        #expect(Self.loaded(sandbox) == ["spy"])
    }

    @Test func pluginsListsAndSoOpensEveryPlugin() throws {
        let (sandbox, environment) = try Self.sandbox()
        let list = try sandbox.ferry(["plugins"], environment: environment)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(Self.loaded(sandbox) == ["hidden", "spy"])
    }
}
