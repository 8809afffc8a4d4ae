import FerryTesting
import Foundation

/// `Tests/Fixtures/kit_plugin.c` compiled with `cc`, whole or with one `BREAK_*` switch,
/// each into its own private folder (the loader refuses folders others may write to).
enum KitPlugin {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Builds the plugin with `defines` into a new folder of `sandbox`; returns the library's path.
    static func build(in sandbox: Sandbox, breaking define: String? = nil) throws -> String {
        let folder = sandbox.folder.appendingPathComponent("plugin-\(define ?? "whole")")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        chmod(folder.path, 0o700)
        let output = folder.appendingPathComponent("libferry-kit.so").path
        try Shell.run(
            "/usr/bin/env",
            [
                "cc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                "-fvisibility=hidden", "-I",
                repositoryRoot.appendingPathComponent("PluginAPI/CFerryPlugin/include").path,
            ] + (define.map { ["-D\($0)"] } ?? []) + [
                "-o", output, repositoryRoot.appendingPathComponent("Tests/Fixtures/kit_plugin.c").path,
            ])
        return output
    }
}

/// Runs programs other than `ferry` (cc, make, swift) to their end.
enum Shell {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `executable` with `arguments` in `folder`; throws with its output when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in folder: URL? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-shell-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(executable) \(arguments.joined(separator: " ")) failed:\n\(text.suffix(4000))")
        }
        return text
    }
}
