import Foundation

/// A temporary folder holding one test's configuration, data and state, and
/// helpers to run the real `ferry` executable in it.
public final class Sandbox {
    public let folder: URL

    public init(_ name: String = #function) throws {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-test-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    public func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    public func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// The build folder: where the test bundle, `ferry` and the plugins are.
    public static var buildFolder: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    public static var ferryExecutable: String { buildFolder.appendingPathComponent("ferry").path }

    /// The outcome of a `ferry` process.
    public struct Outcome {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// A `ferry` process (or another of the build's executables) in the sandbox folder, with no
    /// failpoints unless `environment` sets them.
    private func process(
        _ arguments: [String], environment: [String: String], executable: String = Sandbox.ferryExecutable
    ) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FERRY_FAILPOINTS")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        return process
    }

    /// Starts `ferry` with `arguments` in the sandbox folder, output discarded.
    public func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = process(arguments, environment: environment)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }

    /// Runs `ferry` with `arguments` to its end, `input` on its standard input (default: empty).
    /// A status killed by a signal is the negative signal number.
    @discardableResult
    public func ferry(_ arguments: [String], environment: [String: String] = [:], input: String = "") throws
        -> Outcome
    {
        try run(Sandbox.ferryExecutable, arguments, environment: environment, input: input)
    }

    /// Runs one of the build's executables (`ferry-bench`, …) as `ferry(_:)` runs `ferry`.
    public func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: String = ""
    ) throws -> Outcome {
        let process = process(arguments, environment: environment, executable: executable)
        let stdin = folder.appendingPathComponent("stdin-\(UUID().uuidString.prefix(6)).txt")
        _ = FileManager.default.createFile(atPath: stdin.path, contents: Data(input.utf8))
        process.standardInput = try FileHandle(forReadingFrom: stdin)
        let out = folder.appendingPathComponent("stdout-\(UUID().uuidString.prefix(6)).txt")
        let err = folder.appendingPathComponent("stderr-\(UUID().uuidString.prefix(6)).txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        let status =
            process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
        return Outcome(
            status: status, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// Runs a SQL query with the sqlite3 shell and returns its output lines.
    public func sql(_ database: String, _ query: String) throws -> [String] {
        try Sandbox.outputLines(of: "/usr/bin/sqlite3", [path(database), query])
    }

    /// Runs a program to its end and returns its standard output's lines.
    public static func outputLines(of executable: String, _ arguments: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

extension Sandbox {
    /// The environment that sets `FERRY_FAILPOINTS` and lets `mark` rules write into this sandbox.
    public func failPoints(_ spec: String) -> [String: String] {
        ["FERRY_FAILPOINTS": spec, "FERRY_FAILPOINT_MARKS": folder.path]
    }

    /// Waits until a `mark` failpoint rule wrote its file: the process reached that point.
    /// The bound only ends a hung test; a healthy run marks within milliseconds.
    public func waitForMark(_ point: String, within seconds: Double = 60) throws {
        guard waitUntil(within: seconds, every: 0.005, { FileManager.default.fileExists(atPath: path(point)) }) else {
            throw MarkTimeout(point: point)
        }
    }

    struct MarkTimeout: Error, CustomStringConvertible {
        var point: String
        var description: String { "the process never reached failpoint \(point)" }
    }
}
