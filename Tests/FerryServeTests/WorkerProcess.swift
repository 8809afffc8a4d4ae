import FerryTesting
import Foundation

/// A real `ferry serve --worker` process in a sandbox, its output in a log file.
final class WorkerProcess: @unchecked Sendable {
    let id: String
    let process: Process
    let logPath: String

    init(_ sandbox: Sandbox, id: String, arguments: [String] = [], environment: [String: String]) throws {
        self.id = id
        logPath = sandbox.path("worker-\(id).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Sandbox.ferryExecutable)
        process.arguments = ["serve", "--worker", "--worker-id", id, "--config", "ferry.yaml"] + arguments
        process.currentDirectoryURL = sandbox.folder
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FERRY_FAILPOINTS")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// How many log lines contain `marker`.
    func count(_ marker: String) -> Int { log.split(separator: "\n").filter { $0.contains(marker) }.count }

    /// Waits (at most `timeout` seconds) for a log line containing `marker`.
    func waitForLog(_ marker: String, timeout: TimeInterval = 30) throws {
        let logged = try waitUntil(within: timeout, every: 0.02) {
            let wasRunning = process.isRunning
            if count(marker) > 0 { return true }
            if !wasRunning { throw WorkerFailure("worker \(id) exited before logging '\(marker)':\n\(log)") }
            return false
        }
        guard logged else { throw WorkerFailure("no '\(marker)' in worker \(id)'s log within \(timeout) s:\n\(log)") }
    }

    /// Sends SIGTERM and returns the exit status.
    func terminate() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Kills the process with SIGKILL, as a crash or the OOM killer would.
    func killHard() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

struct WorkerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Queries the test PostgreSQL server with `psql`: one line per row, columns joined by `|`.
struct TestDatabase {
    let dsn: String
    let schema: String

    /// The server scripts/test.sh started, in a fresh schema; nil when none is set.
    static func fresh(prefix: String) -> TestDatabase? {
        guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"], !dsn.isEmpty else { return nil }
        return TestDatabase(dsn: dsn, schema: prefix + UUID().uuidString.prefix(8).lowercased())
    }

    /// The state URL Ferry takes, with this schema and a short lease.
    func stateURL(leaseSeconds: Int) -> String {
        dsn + (dsn.contains("?") ? "&" : "?") + "schema=\(schema)&lease_seconds=\(leaseSeconds)"
    }

    func rows(_ sql: String) throws -> [[String]] {
        try Sandbox.outputLines(
            of: "/usr/bin/psql", [dsn, "-X", "-q", "-At", "-F", "|", "-c", "SET search_path TO \(schema); \(sql)"]
        ).map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }
}
