import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `examples/vysync/` on the real `ferry` against a VCOM that fails as real servers do (seed
/// behaviours 000, "Faults: 5xx, timeouts, truncated bodies, gzip"): server errors, a hang past
/// the timeout and a body cut short are retried and lose nothing; when they persist the run
/// fails naming the URL and the cause, the batches committed before stand, and a rerun completes
/// without a duplicate; gzip bodies are decoded.
@Suite struct VysyncVCOMFaultsTests {
    @Test func serverErrorsOnSystemDetailsAreRetriedAndCountInTheBudget() throws {
        let example = try Self.example(plants: 3)
        // The seed retries a 5xx three times: three 503s in a row, then a 500 elsewhere.
        example.vcom.faults.plan(.status(503), on: "/systems/PV002", times: 3)
        example.vcom.faults.plan(.status(500), on: "/systems/PV003/technical-data")
        let run = try Self.completeRun(example)
        #expect(
            example.vcom.faults.applied == [
                "503 GET /systems/PV002", "503 GET /systems/PV002", "503 GET /systems/PV002",
                "500 GET /systems/PV003/technical-data",
            ])
        #expect((run.stdout + run.stderr).contains("HTTP 503"), "\(run.stdout)\(run.stderr)")
        // Every request answered once in the end; each refused attempt spent a request of
        // Ferry's `vcom` budget too, as the seed's client-side limits count every call.
        #expect(example.vcom.served.count == example.vcomRequestsPerRun())
        #expect(try Self.vcomDayUsed(example) == example.vcomRequestsPerRun() + 4)
        #expect(example.yuman.requests.filter { $0 == "POST /sites" }.count == 3)
    }

    @Test func aTruncatedBodyAndAHangPastTheTimeoutAreRetried() throws {
        let example = try Self.example(plants: 3, timeoutSeconds: 1)
        example.vcom.faults.plan(.truncated, on: "/systems/PV001/inverters")
        example.vcom.faults.plan(.hang(seconds: 3), on: "/systems/PV002")
        let run = try Self.completeRun(example)
        #expect(
            example.vcom.faults.applied == ["hang GET /systems/PV002", "truncated GET /systems/PV001/inverters"])
        let output = (run.stdout + run.stderr).lowercased()
        #expect(output.contains("timed out") && output.contains("cut short"), "\(run.stdout)\(run.stderr)")
    }

    @Test func aBodyAlwaysCutShortFailsTheRunNamingTheURLAndARerunCompletes() throws {
        try Self.persistentFault(.truncated, on: "/systems/PV002/inverters", cause: "cut short")
    }

    @Test func aHangOnEveryAttemptFailsTheRunNamingTheURLAndARerunCompletes() throws {
        try Self.persistentFault(.hang(seconds: 2), on: "/systems/PV001/inverters", cause: "timed out")
    }

    @Test func gzipBodiesAreDecodedToTheSameResultAsPlainOnes() throws {
        let plain = try Self.example(plants: 3)
        let encoded = try Self.example(plants: 3)
        encoded.vcom.faults.plan(.gzip, times: nil)
        for example in [plain, encoded] { try Self.completeRun(example) }
        // Ferry asked for gzip, and every VCOM answer came gzip-encoded.
        #expect(encoded.servers[0].requests.allSatisfy { $0.header("Accept-Encoding")?.contains("gzip") == true })
        #expect(encoded.vcom.faults.applied.count == encoded.vcom.served.count)
        #expect(encoded.vcom.served.count == encoded.vcomRequestsPerRun())
        #expect(try Self.yumanContents(encoded) == Self.yumanContents(plain))
    }

    /// Plans `fault` on every request to `path` (read by the equipment pipeline only): the run
    /// fails after `max_attempts`, naming the URL and the `cause`, with the sites committed and
    /// no secret in its output; once VCOM is well, a rerun completes and duplicates nothing.
    static func persistentFault(
        _ fault: VCOMFaultPlan.Fault, on path: String, cause: String, name: String = #function
    ) throws {
        let example = try Self.example(plants: 3, timeoutSeconds: 1, name: name)
        example.vcom.faults.plan(fault, on: path, times: nil)
        let failed = try example.ferry()
        let output = failed.stdout + failed.stderr
        #expect(failed.status != 0, "\(output)")
        #expect(output.contains("pipeline 'equipment' failed: connection 'vcom'"), "\(output)")
        #expect(output.contains(example.servers[0].url + path), "\(output)")
        #expect(output.lowercased().contains(cause), "\(output)")
        // The example's five attempts, each one meeting the fault.
        #expect(example.vcom.faults.applied.count == 5, "\(example.vcom.faults.applied)")
        for secret in [VCOMSimulator.password, VCOMSimulator.apiKey, YumanSimulator.token] {
            #expect(!output.contains(secret))
        }
        // The sites pipeline committed its batch before the equipment pipeline failed.
        #expect(example.yuman.objects("sites").count == 3)
        #expect(example.yuman.objects("materials").isEmpty)

        example.vcom.faults.clear()
        try Self.completeRun(example)
        #expect(example.yuman.requests.filter { $0 == "POST /sites" }.count == 3)
    }

    /// Runs `ferry run` and expects it to succeed with every site and material exactly once in
    /// Yuman and nothing dead-lettered.
    @discardableResult
    static func completeRun(_ example: VysyncExample) throws -> Sandbox.Outcome {
        let run = try example.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let problems = try example.problems()
        #expect(problems.isEmpty, "\(problems)")
        #expect(try example.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["0"])
        return run
    }

    /// The example with its mappings imported and, when given, VCOM's `timeout_seconds` set in
    /// the sandbox's `ferry.yaml` (the example keeps the host's default of 60 s).
    static func example(plants: Int, timeoutSeconds: Double? = nil, name: String = #function) throws
        -> VysyncExample
    {
        let example = try VysyncExample(
            vcom: VCOMSimulator(plants: plants), yuman: YumanSimulator(perMinute: 1000), yumanPerMinute: 1000,
            name: name)
        if let timeoutSeconds {
            let config = try example.sandbox.read("ferry.yaml")
            let attempts = "\n      max_attempts: 5\n"
            #expect(config.components(separatedBy: attempts).count == 2, "one VCOM max_attempts line")
            try example.sandbox.write(
                "ferry.yaml",
                config.replacingOccurrences(of: attempts, with: attempts + "      timeout_seconds: \(timeoutSeconds)\n")
            )
        }
        for outcome in try example.importMappings() {
            #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        }
        return example
    }

    /// The requests Ferry's `vcom` budget counted today (kept in the state database).
    static func vcomDayUsed(_ example: VysyncExample) throws -> Int? {
        let budget = try example.sandbox.sql(
            "state.db", "SELECT value FROM kv WHERE scope = 'http.budget' AND key = 'vcom'")
        let value = try JSONParser().parse(Array((budget.first ?? "{}").utf8))
        guard let used = value["day_used"]?.intValue else { return nil }
        return Int(used)
    }

    /// Yuman's sites and materials as a sorted list of their fields, a material's `site_id`
    /// replaced by its site's code (ids depend on the order of creation, not on the content).
    static func yumanContents(_ example: VysyncExample) -> [String] {
        let codes = Dictionary(
            example.yuman.objects("sites").map { (String($0.id), $0.fields["code"]?.stringValue ?? "?") },
            uniquingKeysWith: { first, _ in first })
        let sites = example.yuman.objects("sites").map { "site " + JSONWriter().encodeString(.object($0.fields)) }
        let materials = example.yuman.objects("materials").map { material in
            var fields = material.fields
            fields["site_id"] = .string(codes[fields["site_id"].map(YumanSimulator.text) ?? ""] ?? "?")
            return "material " + JSONWriter().encodeString(.object(fields))
        }
        return (sites + materials).sorted()
    }
}
