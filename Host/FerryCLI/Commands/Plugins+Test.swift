import ArgumentParser
import FerryJSON
import FerryKit
import FerryLoader
import Foundation

extension Plugins {
    /// `ferry plugins test PATH.so [--config FILE]`: the conformance kit and the crash kit
    /// against one plugin file (docs/connector-kit.md).
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the conformance kit and the crash kit against a plugin file.",
            discussion: """
                Checks the spec (a JSON Schema), open, check, discover, read (well-formed batches), checkpoint \
                round trips, cancellation, write and transform contracts, error statuses and messages, and \
                releases; then, for a source, kills `ferry run` into a scratch SQLite database at random points \
                and compares the rows with an uninterrupted run. Exit 0: every check passed; 1: one failed.
                """)

        @Argument(help: "The plugin library (.so).")
        var path: String

        @Option(name: .customLong("config"), help: "A JSON file holding the connection config (default: {}).")
        var configFile: String?

        @Option(help: "The stream to read (default: the first one discover lists).")
        var stream: String?

        @Option(help: "Killed runs in the crash kit; 0 skips it.")
        var crashRounds = 5

        @Option(help: "The crash kit's random seed (default: random; the report names it).")
        var seed: UInt64?

        func run() throws {
            let config = try readConfig()
            let plugin: LoadedPlugin
            do { plugin = try PluginLoader().load(path: path) } catch {
                printError("\(error)")
                throw ExitCode(ExitStatus.failure)
            }
            print(
                "Testing \(plugin.name) \(plugin.version) (\(plugin.capabilities.names.joined(separator: ", "))) at \(plugin.path)"
            )
            let kit = ConformanceKit(config: config, stream: stream)
            var results = kit.run(plugin)
            results.forEach { print($0.line) }
            if plugin.capabilities.contains(.source), crashRounds > 0, !results.contains(where: \.failed) {
                let crash = crashKit(kit, plugin, config: config)
                print(crash.line)
                results.append(crash)
            }
            let failed = results.filter(\.failed).count
            print(failed == 0 ? "\(plugin.name): every check passed." : "\(plugin.name): \(failed) check(s) failed.")
            if failed > 0 { throw ExitCode(ExitStatus.failure) }
        }

        /// The config file's JSON object, compacted (it is written into a YAML flow mapping).
        private func readConfig() throws -> String {
            guard let configFile else { return "{}" }
            let text: String
            do { text = try String(contentsOfFile: configFile, encoding: .utf8) } catch {
                printError("cannot read --config \(configFile): \(error.localizedDescription)")
                throw ExitCode(ExitStatus.usage)
            }
            guard let value = try? JSONValue(parsing: text), value.objectValue != nil else {
                printError("--config \(configFile) does not hold a JSON object (the connection's config)")
                throw ExitCode(ExitStatus.usage)
            }
            return JSONWriter().encodeString(value)
        }

        private func crashKit(_ kit: ConformanceKit, _ plugin: LoadedPlugin, config: String) -> KitResult {
            let source: (stream: String, primaryKey: [String])
            do { source = try kit.sourceStream(plugin) } catch let error as NoStream {
                return KitResult(check: "crash kit", outcome: .skipped("\(error)"))
            } catch {
                return KitResult(check: "crash kit", outcome: .failed("\(error)"))
            }
            let ferry = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            return CrashKit(
                pluginName: plugin.name,
                pluginFolder: URL(fileURLWithPath: plugin.path).deletingLastPathComponent().path,
                config: config, stream: source.stream, primaryKey: source.primaryKey,
                seed: seed ?? UInt64.random(in: 1...999_999), ferry: ferry, rounds: crashRounds
            ).run()
        }
    }
}
