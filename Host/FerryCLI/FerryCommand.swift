import ArgumentParser
import CFerryPlugin
import FerryBuild
import FerryCore

/// The `ferry` command line.
public struct FerryCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Ferry: a plugin-based sync host.",
        discussion: "Runs extract → transform → load pipelines between systems, with crash-safe state in SQLite.",
        version: versionText,
        subcommands: [
            Run.self, Serve.self, Check.self, Discover.self, Status.self, StateCommand.self, Errors.self,
            IDMapCommand.self,
            ConflictsCommand.self, Report.self, Plugins.self, Logs.self, PluginHost.self,
        ]
    )
    public init() {}
}

/// Exit codes a script or a service manager can act on.
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    static let deadLetters: Int32 = 3
    /// EX_USAGE, as ArgumentParser gives for malformed arguments: arguments that name nothing.
    static let badArguments: Int32 = 64
    /// EX_TEMPFAIL: a rate budget is used up; the next run continues.
    static let rateLimited: Int32 = 75
    static let interrupted: Int32 = 130

    /// The exit code for an error that stopped a command: 2 when the configuration
    /// is at fault (it names the file and line), 1 otherwise.
    static func of(_ error: any Error) -> Int32 {
        error is ConfigError ? usage : failure
    }
}

/// What `ferry --version` prints: the release, the plugin ABI it loads, and the Swift
/// runtime a Swift plugin must share, e.g. `0.1.0 (plugin ABI 1.1, runtime swift-6.3.1)`.
let versionText =
    "\(FerryVersion.current) (plugin ABI \(FERRY_ABI_MAJOR).\(FERRY_ABI_MINOR), runtime \(SwiftRuntime.tag))"
