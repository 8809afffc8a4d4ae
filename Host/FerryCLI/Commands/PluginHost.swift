import ArgumentParser
import FerryEngine

/// `ferry plugin-host`: the child process of `isolation: process`, started by the host
/// itself (never by hand), serving one plugin instance over descriptors 3 and 4.
struct PluginHost: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-host",
        abstract: "Serve one plugin instance for a host process (isolation: process).",
        shouldDisplay: false)

    @Option(help: "The plugin file.") var plugin: String
    @Option(help: "The host's process id: the child ends when it does.") var parent: Int32

    func run() throws {
        let status = PluginHostServer.run(pluginPath: plugin, parent: parent)
        if status != 0 { throw ExitCode(status) }
    }
}
