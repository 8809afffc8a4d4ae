import ArgumentParser
import FerryCore
import FerryEngine
import FerryHTTP
import FerryJSON
import FerryKit
import FerryLoader
import Foundation
import Logging

extension Plugins {
    /// `ferry plugins test PATH.so [--config FILE]`: the conformance kit and the crash kit
    /// against one plugin file (docs/connector-kit.md).
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Run the conformance kit and the crash kit against a plugin file.",
            discussion: """
                Checks the spec (a JSON Schema), open, check, discover, read (well-formed batches), checkpoint \
                round trips, cancellation, write and transform contracts, error statuses and messages, and \
                releases; then, for a source, kills `ferry run` into a scratch SQLite database at random points \
                and compares the rows with an uninterrupted run. Exit 0: every check passed; 1: one failed.

                The checks run in a child process under glibc's checking allocator (libc_malloc_debug), so a \
                plugin that writes past a block, frees one twice or frees what it did not allocate fails, naming \
                the check; the leak check compares the heap between repeated reads (or writes).

                With --replay DIR (a folder `ferry run --record DIR` wrote against the real API), the plugin's \
                HTTP requests are answered from the recording: a source is tested offline on real traffic, and a \
                request the recording does not hold fails its check, naming it.
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

        @Option(help: ArgumentHelp("Only the checks of this role, for a plugin that has several.", valueName: "role"))
        var role: PluginKind?

        @Flag(help: "Run the checks in this process with the usual allocator, not glibc's checking one.")
        var noMallocCheck = false

        @Option(help: "Answer the plugin's HTTP requests from this `ferry run --record` folder.")
        var replay: String?

        @Option(help: "With --replay: the recorded connection to answer from (default: the only one).")
        var connection: String?

        @Option(help: "With --replay: the base URL relative requests join (default: the recorded http.endpoint).")
        var endpoint: String?

        func run() throws {
            if !noMallocCheck, !CheckedAllocator.isActive, let library = CheckedAllocator.library {
                try runChecked(preloading: library)
            }
            let config = try readConfig()
            let plugin: LoadedPlugin
            do { plugin = try PluginLoader().load(path: path) } catch {
                printError("\(error)")
                throw ExitCode(ExitStatus.failure)
            }
            print(
                "Testing \(plugin.name) \(plugin.version) (\(plugin.capabilities.names.joined(separator: ", "))) at \(plugin.path)"
            )
            print(
                CheckedAllocator.isActive
                    ? "Allocator: glibc's checking malloc (libc_malloc_debug, check=3, perturb)"
                    : "Allocator: unchecked (\(noMallocCheck ? "--no-malloc-check" : "no libc_malloc_debug.so.0 here"))"
            )
            fflush(nil) // every stream: an abort in a check must not take these lines with it
            var kit = ConformanceKit(config: config, stream: stream)
            kit.onCheck = { CheckedAllocator.note(check: $0) }
            let recording = try replay.map(openRecording)
            kit.makeHTTP = recording?.makeHTTP
            kit.role = role?.capability
            var results = kit.run(plugin)
            results.forEach { print($0.line) }
            if plugin.capabilities.contains(.source), kit.role?.contains(.source) ?? true, crashRounds > 0,
                !results.contains(where: \.failed)
            {
                CheckedAllocator.note(check: "crash kit")
                let crash = crashKit(kit, plugin, config: config, replay: recording?.crashKit)
                print(crash.line)
                results.append(crash)
            }
            let failed = results.filter(\.failed).count
            print(failed == 0 ? "\(plugin.name): every check passed." : "\(plugin.name): \(failed) check(s) failed.")
            if failed > 0 { throw ExitCode(ExitStatus.failure) }
        }

        /// Runs the whole command again in a child under the checking allocator and ends with
        /// its status; a crash there is reported as the failure of the check it happened in.
        private func runChecked(preloading library: String) throws -> Never {
            let outcome: CheckedAllocator.Outcome
            do { outcome = try CheckedAllocator.rerun(preloading: library) } catch {
                printError("cannot run the checks under the checking allocator: \(error.localizedDescription)")
                throw ExitCode(ExitStatus.failure)
            }
            guard let signal = outcome.signal else { throw ExitCode(outcome.status ?? ExitStatus.failure) }
            let check = outcome.lastCheck ?? "load"
            print(
                "FAIL  \(check): the checks died of \(SignalName.of(signal)) under glibc's checking "
                    + "allocator: the plugin corrupted the heap or memory (a write past a block, a double free, a free "
                    + "of memory it did not allocate) or crashed; glibc's message, if any, is above")
            print("\(URL(fileURLWithPath: path).lastPathComponent): the checks stopped in '\(check)'.")
            throw ExitCode(ExitStatus.failure)
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

        /// The recording `--replay` names: an HTTP service answering from it for the checks, and
        /// what the crash kit's `ferry run`s need to answer from it too.
        private func openRecording(_ folder: String) throws -> (
            makeHTTP: ConformanceKit.HTTPFactory, crashKit: CrashKit.Replay
        ) {
            let folder = URL(fileURLWithPath: folder).standardizedFileURL.path
            do {
                let names = try ReplayTransport.connectionNames(in: folder)
                guard !names.isEmpty else {
                    throw ReplayError("--replay \(folder) holds no exchange saved by ferry run --record")
                }
                guard let name = connection ?? (names.count == 1 ? names.first : nil) else {
                    throw ReplayError(
                        "--replay \(folder) holds connections \(names.joined(separator: ", ")): name one with --connection"
                    )
                }
                guard names.contains(name) else {
                    throw ReplayError(
                        "--replay \(folder) holds no exchange of connection '\(name)' (it holds: "
                            + "\(names.joined(separator: ", ")))")
                }
                let transport = try ReplayTransport(folder: folder, connectionName: name, repeatsAnswers: true)
                let endpoint = endpoint ?? transport.endpoint
                let makeHTTP: ConformanceKit.HTTPFactory = { isCancelled in
                    HTTPService(
                        config: HTTPConnectionConfig(endpoint: endpoint), connectionName: name, transport: transport,
                        store: InMemoryStateStore(), stateScope: "kit", budgets: nil, redactor: Redactor(),
                        logger: Logger(label: "ferry.kit") { _ in SwiftLogNoOpLogHandler() }, isCancelled: isCancelled)
                }
                print(
                    "Answering HTTP from \(transport.count) recorded exchange(s) of connection '\(name)' in \(folder)")
                return (makeHTTP, CrashKit.Replay(folder: folder, connection: name, endpoint: endpoint))
            } catch let error as ReplayError {
                printError("\(error)")
                throw ExitCode(ExitStatus.usage)
            }
        }

        private func crashKit(
            _ kit: ConformanceKit, _ plugin: LoadedPlugin, config: String, replay: CrashKit.Replay?
        ) -> KitResult {
            let source: (stream: String, primaryKey: [String])
            do { source = try kit.sourceStream(plugin) } catch let error as NoStream {
                return KitResult(check: "crash kit", outcome: .skipped("\(error)"))
            } catch {
                return KitResult(check: "crash kit", outcome: .failed("\(error)"))
            }
            let ferry = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
            var crashKit = CrashKit(
                pluginName: plugin.name,
                pluginFolder: URL(fileURLWithPath: plugin.path).deletingLastPathComponent().path,
                config: config, stream: source.stream, primaryKey: source.primaryKey,
                seed: seed ?? UInt64.random(in: 1...999_999), ferry: ferry, rounds: crashRounds)
            crashKit.replay = replay
            return crashKit.run()
        }
    }
}
