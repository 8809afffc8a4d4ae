import ArgumentParser
import Foundation

extension Plugins {
    /// `ferry plugins new NAME --lang c|swift [--kind source|destination|transform]`: a new
    /// out-of-tree plugin project in `./NAME` that builds and passes its test as is.
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Create a plugin project in ./NAME that builds and tests as is.",
            discussion: """
                C: `make` builds libferry-NAME.so (needs cc and cJSON), `make test` tests it.
                Swift: `swift build` builds .build/debug/libferry-NAME.so against Ferry's plugin SDK package \
                (--sdk), `swift test` tests it. Then: ferry plugins test PATH.so
                """)

        @Argument(help: "The plugin name: a lowercase letter, then lowercase letters, digits, '_' or '-'.")
        var name: String

        @Option(help: "The language: c or swift.")
        var lang: PluginLanguage

        @Option(help: "What the plugin does: source, destination or transform.")
        var kind: PluginKind = .source

        @Option(
            help:
                "Swift only: Ferry's plugin SDK package folder (PluginAPI/). Default: the one this ferry was built from."
        )
        var sdk: String?

        func validate() throws {
            if let problem = PluginNames.problem(with: name) { throw ValidationError("'\(name)': \(problem).") }
        }

        func run() throws {
            let names = PluginNames(name)
            let files: [(path: String, content: String)]
            switch lang {
            case .c: files = CPluginTemplate.files(names, kind: kind)
            case .swift: files = SwiftPluginTemplate.files(names, kind: kind, sdkPath: try sdkFolder())
            }
            let project = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(name)
            guard !FileManager.default.fileExists(atPath: project.path) else {
                printError("\(project.path) already exists; choose another name or move it away")
                throw ExitCode(ExitStatus.failure)
            }
            for file in files {
                let url = project.appendingPathComponent(file.path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.content.utf8).write(to: url)
            }
            print("Created \(lang.rawValue) \(kind.rawValue) plugin '\(name)' in \(project.path).")
            switch lang {
            case .c: print("Next: cd \(name) && make && make test && ferry plugins test ./libferry-\(name).so")
            case .swift:
                print(
                    "Next: cd \(name) && swift build && swift test && ferry plugins test .build/debug/libferry-\(name).so"
                )
            }
        }

        /// The SDK package's folder, absolute: `--sdk`; else the copy `scripts/install.sh` puts
        /// beside an installed `ferry` (`PREFIX/share/ferry/sdk`, found from the executable);
        /// else `PluginAPI/` of the source tree this `ferry` was built from.
        private func sdkFolder() throws -> String {
            let builtFrom = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("PluginAPI")
            let installed = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("../share/ferry/sdk").standardizedFileURL
            let hasPackage = { (folder: URL) in
                FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path)
            }
            let folder =
                sdk.map { URL(fileURLWithPath: $0).standardizedFileURL }
                ?? (hasPackage(installed) ? installed : builtFrom)
            guard hasPackage(folder) else {
                printError(
                    "the plugin SDK package is not at \(folder.path) (no Package.swift); pass --sdk with the path of "
                        + "Ferry's PluginAPI folder")
                throw ExitCode(ExitStatus.usage)
            }
            return folder.path
        }
    }
}
