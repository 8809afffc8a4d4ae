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
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let started = Date()
        let pid = try spawn(executable, arguments, &actions)
        var status: Int32 = 0
        var usage = rusage()
        wait4(pid, &status, 0, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
                usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return (Date().timeIntervalSince(started), cpu, Double(usage.ru_maxrss) / 1024, (status >> 8) & 0xff)
    }

    /// Starts `executable` with `arguments` and the file actions given; returns its process id.
    private static func spawn(
        _ executable: String, _ arguments: [String], _ actions: inout posix_spawn_file_actions_t
    ) throws -> pid_t {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw BenchError("could not start \(executable): errno \(spawned)") }
        return pid
    }

    static func format(_ value: Double) -> String { String(format: "%.0f", value) }

    /// Runs a command to its end and returns its standard output's lines. Spawned and reaped
    /// here, not with Foundation's `Process`: its `waitUntilExit` once never saw
    /// scripts/postgres-test-server.sh end (the child a zombie, the benchmark waiting for good).
    static func output(_ executable: String, _ arguments: [String]) throws -> [String] {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw BenchError("could not make a pipe for \(executable): errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addclose(&actions, ends[0])
        posix_spawn_file_actions_addclose(&actions, ends[1])
        defer { close(ends[0]) }
        let spawned = Result { try spawn(executable, arguments, &actions) }
        close(ends[1])
        let pid = try spawned.get()
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(ends[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            data.append(contentsOf: chunk[..<count])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            // Not the first argument: psql's is the DSN, which may hold a password.
            let ending =
                status & 0x7f == 0 ? "exited with \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
            throw BenchError("\(executable) \(arguments.dropFirst().joined(separator: " ")) \(ending)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The package's folder, found from this source file: the build folder's depth depends on
    /// how it was built (`.build/release` is a link to `.build/<triple>/release`).
    static var packageFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// A script in Benchmarks/, beside this benchmark's sources.
    static func script(_ name: String) -> String {
        packageFolder.appendingPathComponent("Benchmarks").appendingPathComponent(name).path
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
