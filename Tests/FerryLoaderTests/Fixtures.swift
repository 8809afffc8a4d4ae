import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Builds test plugins with the system C compiler into temporary folders.
enum Fixtures {
    /// A failure to build a fixture.
    struct BuildError: Error, CustomStringConvertible {
        /// What went wrong, with the compiler's output.
        var description: String
    }

    /// The repository root, found from this file's path.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding `ferry_plugin.h`.
    static let includeDirectory = repoRoot.appendingPathComponent("PluginAPI/CFerryPlugin/include").path
    /// `ferry_version.h`, which cdemo reads for the release number it reports.
    static let versionIncludeDirectory = repoRoot.appendingPathComponent("PluginAPI/CFerryVersion/include").path

    /// The C reference connector's source.
    static let cdemoSource = repoRoot.appendingPathComponent("Plugins/cdemo/cdemo.c").path

    /// `cc` from PATH.
    static let compiler: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/cc" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// A folder holding the fixture sources, written once.
    static let sourceFolder: Result<URL, BuildError> = {
        do {
            let folder = try makeTemporaryFolder()
            try FixtureSources.plugin.write(
                to: folder.appendingPathComponent("fixture.c"), atomically: true, encoding: .utf8)
            try FixtureSources.dependency.write(
                to: folder.appendingPathComponent("dep.c"), atomically: true, encoding: .utf8)
            return .success(folder)
        } catch {
            return .failure(BuildError(description: "cannot write fixture sources: \(error)"))
        }
    }()

    /// A new empty folder (mode 0755) under the system's temporary folder.
    static func makeTemporaryFolder() throws -> URL {
        var template = Array(
            FileManager.default.temporaryDirectory.appendingPathComponent("ferry-loader-XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else { throw BuildError(description: "mkdtemp failed") }
        let path = String(cString: made)
        chmod(path, 0o755)
        return URL(fileURLWithPath: path)
    }

    /// Runs `cc` with `arguments`; throws with its output when it fails.
    static func cc(_ arguments: [String]) throws {
        guard let compiler else { throw BuildError(description: "no cc in PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BuildError(description: "cc \(arguments.joined(separator: " ")) failed:\n\(text)")
        }
    }

    /// Compiles the cdemo connector with the flags its README gives.
    ///
    /// - Parameter output: the `.so` to write.
    static func buildCDemo(at output: URL) throws {
        try cc([
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC", "-fvisibility=hidden",
            "-I", includeDirectory, "-I", versionIncludeDirectory, "-o", output.path, cdemoSource,
        ])
    }

    /// Compiles the configurable fixture plugin.
    ///
    /// - Parameters:
    ///   - output: the `.so` to write.
    ///   - name: the plugin name.
    ///   - defines: further `-D` switches, e.g. `"FX_MAJOR=2"`.
    ///   - linkArguments: extra arguments placed after the source (libraries).
    static func buildFixture(at output: URL, name: String, defines: [String] = [], linkArguments: [String] = []) throws
    {
        let source = try sourceFolder.get().appendingPathComponent("fixture.c").path
        try cc(
            [
                "-std=c11", "-Wall", "-shared", "-fPIC", "-fvisibility=hidden", "-I", includeDirectory,
                "-DFX_NAME=\"\(name)\"",
            ] + defines.map { "-D\($0)" }
                + ["-o", output.path, source] + linkArguments)
    }

    /// Compiles `libdep.so`, the library the dependency fixture needs.
    ///
    /// - Parameter output: the `.so` to write.
    static func buildDependency(at output: URL) throws {
        let source = try sourceFolder.get().appendingPathComponent("dep.c").path
        try cc(["-shared", "-fPIC", "-o", output.path, source])
    }

    /// A plugin named "good", built once per test process; copy it into folders.
    static let goodPlugin: Result<URL, BuildError> = {
        do {
            let url = try makeTemporaryFolder().appendingPathComponent("libgood.so")
            try buildFixture(at: url, name: "good")
            return .success(url)
        } catch let error as BuildError {
            return .failure(error)
        } catch {
            return .failure(BuildError(description: "\(error)"))
        }
    }()

    /// Copies the good plugin into `folder` as `fileName`.
    ///
    /// - Parameters:
    ///   - folder: the destination folder.
    ///   - fileName: the copy's name.
    @discardableResult
    static func copyGoodPlugin(into folder: URL, as fileName: String = "libgood.so") throws -> URL {
        let destination = folder.appendingPathComponent(fileName)
        try FileManager.default.copyItem(at: goodPlugin.get(), to: destination)
        return destination
    }
}
