import ArgumentParser
import FerryCore
import FerryEngine
import FerryJSON
import FerryLoader
import Foundation

/// `ferry plugins`, `ferry plugins info NAME`, `ferry plugins new NAME` (Plugins+New.swift),
/// `ferry plugins test PATH.so` (Plugins+Test.swift).
struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the plugins Ferry finds (and the files it refused), create and test plugins.",
        subcommands: [List.self, Info.self, New.self, Test.self], defaultSubcommand: List.self)

    /// Discovers every plugin on the search path of the configuration (when there is one).
    static func discover(_ global: GlobalOptions) -> (PluginDiscovery, [String]) {
        let config = try? FerryConfig.load(path: global.configPath, environment: ProcessInfo.processInfo.environment)
        let searchPath = PluginSearchPath(
            configFolders: config?.pluginPaths ?? [],
            configFile: config?.sourceFile,
            environment: ProcessInfo.processInfo.environment)
        return (PluginRegistry.discover(searchPath: searchPath, only: nil), searchPath.folders)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List plugins: name, version, ABI, runtime, capabilities, path.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let (discovery, folders) = Plugins.discover(global)
            let plugins = discovery.plugins.sorted { $0.name < $1.name }
            if global.json {
                printJSON([
                    "plugins": plugins.map {
                        [
                            "name": $0.name, "version": $0.version, "abi": "\($0.abiMajor).\($0.abiMinor)",
                            "runtime": $0.runtime,
                            "capabilities": $0.capabilities.names, "path": $0.path, "description": $0.summary,
                        ]
                    },
                    "errors": discovery.errors.map { "\($0)" },
                    "search_path": folders,
                ])
                return
            }
            var table = Table("NAME", "VERSION", "ABI", "RUNTIME", "CAPABILITIES", "PATH")
            for plugin in plugins {
                table.add(
                    plugin.name, plugin.version, "\(plugin.abiMajor).\(plugin.abiMinor)", plugin.runtime,
                    plugin.capabilities.names.joined(separator: ","), plugin.path)
            }
            print(plugins.isEmpty ? "No plugins found in: \(folders.joined(separator: ":"))" : table.rendered)
            for error in discovery.errors { print("refused: \(error)") }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "info",
            abstract: "Show a plugin's config keys (name, type, default, required, secret, description).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The plugin name.") var name: String
        @Flag(help: "Print the key reference as Markdown (what docs/connectors/NAME.md holds).")
        var markdown = false

        func run() throws {
            let (discovery, _) = Plugins.discover(global)
            guard let plugin = discovery.plugins.first(where: { $0.name == name }) else {
                printError(
                    "no plugin named '\(name)'; found: \(discovery.plugins.map(\.name).sorted().joined(separator: ", "))"
                )
                throw ExitCode(ExitStatus.usage)
            }
            let spec: JSONValue
            do { spec = try PluginSpec.read(plugin) } catch {
                printError("\(error)")
                throw ExitCode(ExitStatus.failure)
            }
            let reference = ConfigReference(schema: spec["config"] ?? .null)
            if markdown {
                print(reference.markdown(plugin: plugin.name, summary: plugin.summary), terminator: "")
                return
            }
            if global.json {
                print(
                    JSONText.pretty([
                        "keys": reference.json,
                        "name": .string(plugin.name), "version": .string(plugin.version), "path": .string(plugin.path),
                        "abi": .string("\(plugin.abiMajor).\(plugin.abiMinor)"), "runtime": .string(plugin.runtime),
                        "capabilities": .array(plugin.capabilities.names.map(JSONValue.string)), "spec": spec,
                        "delivery": .object(
                            JSONObject(
                                DeliveryGuarantee.lines(for: plugin).map { ($0.mode, JSONValue.string($0.guarantee)) })),
                    ]))
                return
            }
            print("\(plugin.name) \(plugin.version) — \(plugin.summary)")
            print(
                "path: \(plugin.path)\nabi: \(plugin.abiMajor).\(plugin.abiMinor)  runtime: \(plugin.runtime)  capabilities: \(plugin.capabilities.names.joined(separator: ", "))"
            )
            let delivery = DeliveryGuarantee.lines(for: plugin)
            if !delivery.isEmpty {
                print("delivery after a crash, per write mode:")
                for line in delivery { print("  \(line.mode): \(line.guarantee)") }
            }
            print(reference.rows.isEmpty ? "config keys: none declared" : "config keys:")
            if !reference.rows.isEmpty { print(Self.table(reference).rendered) }
        }

        /// The key table, one row per key; descriptions last, as they are the long column.
        static func table(_ reference: ConfigReference) -> Table {
            var table = Table("KEY", "TYPE", "DEFAULT", "REQUIRED", "SECRET", "DESCRIPTION")
            for row in reference.rows {
                table.add(
                    row.name, row.type, row.defaultValue.map { JSONWriter().encodeString($0) } ?? "",
                    row.isRequired ? "yes" : "", row.isSecret ? "yes" : "", row.description)
            }
            return table
        }
    }
}
