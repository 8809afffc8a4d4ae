import Foundation

/// Benchmarks/rest-simulator.py in a child process, on a free loopback port.
final class RESTSimulator {
    let port: String
    private let process = Process()

    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts the simulator and waits for its port (it prints it once its pages are encoded).
    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Bench.script("rest-simulator.py")] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var portText = ""
        while !portText.hasSuffix("\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.terminate()
                throw BenchError("the simulator did not start")
            }
            portText += String(decoding: chunk, as: UTF8.self)
        }
        port = portText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Gives `count` records a new version, updated after all the others: every
    /// (total / count)-th position from `offset` on, so another offset changes other records.
    func touch(_ count: Int, offset: Int = 0) throws {
        try post("/touch", query: "?count=\(count)&offset=\(offset)")
    }

    /// Forgets every touch: a full read gets exactly the first versions again. Without it, a
    /// first load after incremental runs read their touched records' new versions too (80,000
    /// more for eight runs of 1% at 1M), and its time against `.import` of the 1M rows grew.
    func reset() throws {
        try post("/reset")
    }

    /// A POST to the simulator; an answer other than 2xx names the endpoint that refused it.
    private func post(_ endpoint: String, query: String = "") throws {
        let run = try Bench.run("/usr/bin/curl", ["-sf", "-X", "POST", base + endpoint + query])
        guard run.status == 0 else {
            throw BenchError("the simulator refused \(endpoint) (curl exited \(run.status))")
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
