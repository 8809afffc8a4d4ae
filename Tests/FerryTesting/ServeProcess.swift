import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real `ferry serve` process in a sandbox: its log in a file, its URL read from
/// the log's "Listening." line, and plain HTTP calls to it.
public final class ServeProcess: @unchecked Sendable {
    public let sandbox: Sandbox
    public let process: Process
    public let logPath: String
    public private(set) var url = ""
    public static let token = "serve-e2e-token-7f3a9c"

    public init(
        _ sandbox: Sandbox, arguments: [String] = [], environment: [String: String] = [:],
        executable: String = Sandbox.ferryExecutable
    ) throws {
        self.sandbox = sandbox
        logPath = sandbox.path("serve-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--config", "ferry.yaml", "--listen", "127.0.0.1:0"] + arguments
        process.currentDirectoryURL = sandbox.folder
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FERRY_FAILPOINTS")
        env["FERRY_API_TOKEN"] = Self.token
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        let line = try waitForLog("Listening.")
        guard let found = line.firstMatch(of: #/url=(http://\S+)/#) else { throw Failure("no URL in: \(line)") }
        url = String(found.1)
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ text: String) { description = text }
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits (at most `timeout` seconds) for the `occurrence`-th log line containing `marker`; returns it.
    @discardableResult
    public func waitForLog(_ marker: String, occurrence: Int = 1, timeout: TimeInterval = 60) throws -> String {
        var found: String?
        try waitUntil(within: timeout, every: 0.02) {
            let wasRunning = process.isRunning
            let lines = log.split(separator: "\n").filter { $0.contains(marker) }
            if lines.count >= occurrence { found = String(lines[occurrence - 1]) }
            if found == nil && !wasRunning {
                throw Failure("ferry serve exited (\(process.terminationStatus)) before logging '\(marker)':\n\(log)")
            }
            return found != nil
        }
        guard let found else { throw Failure("no '\(marker)' in the log within \(timeout) s:\n\(log)") }
        return found
    }

    /// Sends a signal and, for SIGTERM, waits for the exit; returns the exit status.
    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    public func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// One HTTP request; returns the status and the JSON object in the body.
    public func request(_ method: String, _ path: String, body: String? = nil, token: String? = token) throws -> (
        Int, [String: Any]
    ) {
        let (status, data) = try raw(method, path, body: body, token: token)
        return (status, data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:])
    }

    /// One HTTP request; returns the status and the body as it came.
    public func raw(_ method: String, _ path: String, body: String? = nil, token: String? = token) throws -> (
        Int, Data?
    ) {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body { request.httpBody = Data(body.utf8) }
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.set(data, (response as? HTTPURLResponse)?.statusCode, error)
            done.signal()
        }.resume()
        done.wait()
        let (data, status, error) = box.get()
        if let error { throw error }
        return (status ?? 0, data)
    }

    /// Waits until the API says a pipeline is not running (a run's log line comes just before).
    public func waitUntilIdle(_ name: String, site: String = "", timeout: TimeInterval = 60) throws {
        let idle = try waitUntil(within: timeout, every: 0.02) {
            try pipeline(name, site: site)?["running"] as? Bool == false
        }
        guard idle else { throw Failure("\(name) still running after \(timeout) s") }
    }

    /// The `/v1/pipelines` entry of a pipeline.
    public func pipeline(_ name: String, site: String = "") throws -> [String: Any]? {
        (try request("GET", "/v1/pipelines").1["pipelines"] as? [[String: Any]])?
            .first { $0["pipeline"] as? String == name && $0["site"] as? String == site }
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Data?, Int?, (any Error)?) = (nil, nil, nil)
    func set(_ data: Data?, _ status: Int?, _ error: (any Error)?) { lock.withLock { value = (data, status, error) } }
    func get() -> (Data?, Int?, (any Error)?) { lock.withLock { value } }
}
