import ArgumentParser
import FerryEngine
import Foundation
import Logging

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "The configuration file (default: $FERRY_CONFIG, else ./ferry.yaml).")
    var config: String?

    @Option(help: "The site (tenant, shop, plant owner) to act for.")
    var site: String?

    @Flag(help: "Print data as JSON.")
    var json = false

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical; got '\(logLevel)'")
        }
    }

    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["FERRY_CONFIG"] ?? "ferry.yaml"
    }

    /// Loads the workspace, turning setup errors into one clear line and exit code 2.
    func workspace() throws -> Workspace {
        do {
            return try Workspace(
                configPath: configPath, site: site, logLevel: Logger.Level(rawValue: logLevel) ?? .info, jsonLogs: json)
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

/// Writes one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}

/// Prints a value as pretty JSON on standard output.
func printJSON(_ value: Any) {
    if let text = JSONText.pretty(object: value) { print(text) }
}
