import Foundation

/// The misbehaving C source of `Tests/Fixtures/flaky_source.c`, compiled with `cc`
/// into a sandbox's `plugins/` folder, and its data and fault files.
public enum FlakySource {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A sandbox with the plugin installed and records 1…100 in `data/records.txt`.
    public static func sandbox(_ name: String = #function) throws -> Sandbox {
        let sandbox = try Sandbox(name)
        try install(in: sandbox)
        try sandbox.write("data/records.txt", records(1...100))
        return sandbox
    }

    /// Compiles the plugin once per process and copies it into `sandbox`'s `plugins/`.
    public static func install(in sandbox: Sandbox) throws {
        let library = try built.get()
        let folder = sandbox.folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: library, to: folder.appendingPathComponent("libferry-flaky.so"))
    }

    private static let built: Result<URL, Error> = Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-flaky-\(getpid()).so")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "cc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden",
            "-I", repositoryRoot.appendingPathComponent("PluginAPI/CFerryPlugin/include").path,
            "-o", output.path, repositoryRoot.appendingPathComponent("Tests/Fixtures/flaky_source.c").path,
        ]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CompileError(description: "cc failed: \(message)") }
        return output
    }

    struct CompileError: Error, CustomStringConvertible { var description: String }

    /// Records `{"seq": N, "value": "vN-<tag>"}` for each N, one per line.
    public static func records(_ seqs: some Sequence<Int>, tag: String = "a") -> String {
        seqs.map { #"{"seq":\#($0),"value":"v\#($0)-\#(tag)"}"# + "\n" }.joined()
    }
}
