import FerryTesting
import Foundation
import Testing

/// `Benchmarks/rest-simulator.py`, which `ferry-bench rest` reads from: its `/touch` changes
/// the records its offset picks, so successive incremental runs each find other records changed,
/// and its `/reset` forgets them, so every first load reads the same records.
@Suite struct RESTSimulatorTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Benchmarks/rest-simulator.py").path

    @Test func touchesAtTwoOffsetsChangeOtherRecordsAndAResetForgetsThem() throws {
        let simulator = Process()
        simulator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        simulator.arguments = ["python3", Self.script, "1000"]
        let output = Pipe()
        simulator.standardOutput = output
        simulator.standardError = FileHandle.nullDevice
        try simulator.run()
        defer {
            // SIGKILL: a child of the test process may start with SIGTERM blocked, and so never end.
            kill(simulator.processIdentifier, SIGKILL)
            simulator.waitUntilExit()
        }
        var portText = ""
        while !portText.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "the simulator printed no port")
            portText += String(decoding: chunk, as: UTF8.self)
        }
        let base = "http://127.0.0.1:\(portText.trimmingCharacters(in: .whitespacesAndNewlines))"
        let sandbox = try Sandbox()
        for offset in [0, 5] {
            let touch = try sandbox.run(
                "/usr/bin/curl", ["-sf", "-X", "POST", "\(base)/touch?count=10&offset=\(offset)"])
            #expect(touch.status == 0, "\(touch.stderr)")
        }

        // Positions 1000 on, past every record's first version, are the touched ones, in order.
        let page = try sandbox.run("/usr/bin/curl", ["-sf", "\(base)/items?page=2&per_page=1000"])
        #expect(page.status == 0, "\(page.stderr)")
        let body = try JSONSerialization.jsonObject(with: Data(page.stdout.utf8)) as? [String: Any]
        let ids = try #require(body?["data"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        #expect(ids.count == 20, "\(ids)")
        #expect(Set(ids).count == 20, "the second touch changed other records: \(ids)")
        #expect(Set(ids.prefix(10)).isDisjoint(with: ids.suffix(10)), "\(ids)")

        // A reset forgets the touches: a full read is the first versions alone, and touches start over.
        let reset = try sandbox.run("/usr/bin/curl", ["-sf", "-X", "POST", "\(base)/reset"])
        #expect(reset.status == 0, "\(reset.stderr)")
        func idsOfPage(_ page: Int) throws -> [Int] {
            let run = try sandbox.run("/usr/bin/curl", ["-sf", "\(base)/items?page=\(page)&per_page=1000"])
            let body = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            return try #require(body?["data"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        }
        #expect(try idsOfPage(2).isEmpty, "no touched record is served after the reset")
        #expect(try Set(idsOfPage(1)).count == 1000)
        _ = try sandbox.run("/usr/bin/curl", ["-sf", "-X", "POST", "\(base)/touch?count=10&offset=0"])
        #expect(try idsOfPage(2) == Array(ids.prefix(10)), "the same touch as before the reset, from position 1000")
    }
}
