import Foundation

/// Shared helpers: temporary folders, child processes with their peak memory.
enum Bench {
    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-bench-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Removes a SQLite database with its WAL, shared-memory and journal files. The benchmarks
    /// drop each database as soon as it is measured: hundreds of MB of finished runs' files in
    /// the page cache slowed a later run's fsyncs more than `.import`'s one commit
    /// (docs/performance.md, *Pages of 2 KiB*: 1.27× against 1.18× the same rows' `.import`).
    static func removeDatabase(_ url: URL) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            try? FileManager.default.removeItem(atPath: url.path + suffix)
        }
    }

    /// The folder holding this executable, where `swift build` also leaves `ferry` and the plugins.
    static var binFolder: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// What `run` measured of a finished child: wall seconds, CPU seconds (user + system:
    /// steadier than wall time on a busy machine), peak RSS in MiB and the exit status.
    typealias Measured = (seconds: Double, cpuSeconds: Double, peakMiB: Double, status: Int32)

    /// Runs a command and measures it (`Measured`).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], quiet: Bool = true) throws -> Measured {
        var pid: pid_t = 0
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let started = Date()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchError("could not start \(executable): errno \(spawned)") }
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
                usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return (Date().timeIntervalSince(started), cpu, Double(usage.ru_maxrss) / 1024, (status >> 8) & 0xff)
    }

    static func format(_ value: Double) -> String { String(format: "%.0f", value) }

    /// Runs a command to its end and returns its standard output's lines.
    static func output(_ executable: String, _ arguments: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError(
                "\(executable) \(arguments.dropFirst().joined(separator: " ")) exited with \(process.terminationStatus)"
            )
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// A script in Benchmarks/, beside this benchmark's sources.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(name).path
    }

    /// The middle value (the mean of the two middle ones for an even count); `values` must not be empty.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The arithmetic mean; `values` must not be empty.
    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    /// The machine's load averages (1, 5, 15 minutes) and core count: the figures beside them are noisy when they are high.
    static func loadAverage() -> String {
        let averages = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
        return
            "load average \(averages?.joined(separator: ", ") ?? "unknown") on \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
