import FerryTesting
import Foundation
import Testing

/// `ferry serve --worker` end to end: real `ferry` processes sharing one real PostgreSQL
/// state (scripts/test.sh starts it and sets FERRY_TEST_PG_DSN; without it these tests skip).
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] != "1"
            && !(ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"] ?? "").isEmpty,
        "needs FERRY_TEST_PG_DSN (scripts/test.sh)"))
struct WorkerFleetTests {
    static let apiKey = "vcom-key-5e1f0c93d2"
    static let readings = 15
    static let pageSize = 5

    /// One VCOM account, `sites` plants each synced to its own file, on a schedule that does
    /// not fire again during the test (a new unit is due at once).
    static func config(
        _ simulator: PlantReadingsSimulator, sites: Int, extraPipelines: String = "",
        plantPath: (Int) -> String = { "\($0)" }
    ) -> String {
        func stream(_ plant: Int) -> String {
            "{ name: readings, path: plants/\(plantPath(plant))/readings, records_path: data, primary_key: id, "
                + "cursor_field: updated, cursor_param: since, "
                + "pagination: { type: page, size_param: per_page, page_size: \(pageSize) } }"
        }
        var yaml = """
            state: local-state.db
            connections:
              vcom:
                plugin: rest
                http:
                  endpoint: "\(simulator.url)"
                  auth: { type: api_key, key: "${VCOM_API_KEY}" }
                  budget: { name: vcom-account, per_minute: \(simulator.perMinute) }
                  max_attempts: 5
                  timeout_seconds: 10
                config:
                  streams:
                    - \(stream(0))
              out: { plugin: file, config: { path: out/none.jsonl, stream: readings } }
              out_child: { plugin: file, config: { path: out/none-child.jsonl, stream: readings } }
            pipelines:
              readings:
                source: { connection: vcom, stream: readings }
                destination: { connection: out }
                schedule: "0 0 1 1 *"
            \(extraPipelines)
            sites:

            """
        for plant in 1...sites {
            let name = String(format: "plant-%02d", plant)
            yaml += """
                  \(name):
                    connections:
                      vcom: { streams: [\(stream(plant))] }
                      out: { path: out/\(name).jsonl }
                      out_child: { path: out/\(name)-child.jsonl }

                """
        }
        return yaml
    }

    @Test func threeWorkersSyncThirtySitesAndAWorkerKilledMidBatchLosesNothing() throws {
        let database = try #require(TestDatabase.fresh(prefix: "ferry_workers_"))
        let sites = 30
        // 4 requests a plant (3 pages and the empty one): 120 against a budget of 90 a minute,
        // so the account's limit, not the workers, sets the pace after the first burst.
        let simulator = try PlantReadingsSimulator(apiKey: Self.apiKey, perMinute: 90, readingsPerPlant: Self.readings)
        defer { simulator.stop() }
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config(simulator, sites: sites))
        let environment = ["FERRY_STATE_URL": database.stateURL(leaseSeconds: 6), "VCOM_API_KEY": Self.apiKey]
        let started = Date()

        // Worker 1 dawdles 400 ms after each batch's write (acknowledged, not yet committed)
        // and says when it has reached its third: it is killed there, mid-batch.
        var victimEnvironment = environment
        victimEnvironment.merge(sandbox.failPoints("after_write:mark:3,after_write:sleep:400")) { $1 }
        let victim = try WorkerProcess(sandbox, id: "w1", environment: victimEnvironment)
        let others = try ["w2", "w3"].map { try WorkerProcess(sandbox, id: $0, environment: environment) }
        try sandbox.waitForMark("after_write", within: 30)
        victim.killHard()
        let claimedByVictim = victim.count("Unit claimed.")
        let finishedByVictim = victim.count("Unit finished.")
        #expect(claimedByVictim > finishedByVictim, "the victim held units when it died:\n\(victim.log)")

        // Every unit ends succeeded, the victim's after its lease (6 s: long enough that a heartbeat delayed by a loaded machine does not hand a live unit over) ran out.
        var done = 0
        try waitUntil(within: 50, every: 0.2) {
            done =
                Int(
                    try database.rows(
                        "SELECT count(*) FROM work_units WHERE last_status = 'succeeded' AND holder IS NULL"
                    ).first?.first ?? "0") ?? 0
            return done == sites
        }
        #expect(done == sites, "units done: \(done)\n\(others.map(\.log).joined(separator: "\n"))")
        let seconds = Date().timeIntervalSince(started)

        // Nothing lost, nothing written twice: each plant's file holds each reading once.
        for plant in 1...sites {
            let name = String(format: "plant-%02d", plant)
            let lines = ((try? sandbox.read("out/\(name).jsonl")) ?? "").split(separator: "\n")
            let ids = lines.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? Int
            }
            #expect(ids.sorted() == Array(1...Self.readings), "\(name): \(ids)")
        }

        // No unit ran in two places at once: per unit, each run ended before the next began.
        let runs = try database.rows(
            "SELECT site, started_at, COALESCE(finished_at, -1), status, COALESCE(message, '') FROM runs ORDER BY site, started_at"
        )
        var previous: [String: Double] = [:]
        for run in runs {
            let (site, start, end) = (run[0], Double(run[1])!, Double(run[2])!)
            #expect(end >= start, "a run of \(site) never finished: \(run)")
            if let ended = previous[site] { #expect(ended <= start, "runs of \(site) overlap: \(runs)") }
            previous[site] = end
        }
        #expect(Set(runs.map { $0[0] }).count == sites)
        // The victim's runs were taken over from their last committed batch.
        let interrupted = runs.filter { $0[3] == "failed" && $0[4].contains("Interrupted") }
        #expect(!interrupted.isEmpty, "\(runs)")
        #expect(interrupted.allSatisfy { $0[4].contains("pid \(victim.process.processIdentifier)") }, "\(interrupted)")

        // The shared budget held across the three processes, and the key never reached a log.
        #expect(simulator.overBudget == 0, "requests over the account's budget: \(simulator.overBudget)")
        #expect(simulator.unauthorized == 0)
        #expect(simulator.served >= sites * 4)
        for worker in [victim] + others {
            #expect(!worker.log.contains(Self.apiKey), "worker \(worker.id) logged the API key")
        }
        #expect(others.allSatisfy { $0.count("Unit finished.") > 0 }, "both survivors ran units")

        // `ferry status` shows the workers and what they hold.
        let status = try sandbox.ferry(["status", "--json"], environment: environment)
        #expect(status.status == 0, "\(status.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let workers = (document?["workers"] as? [String: Any])?["workers"] as? [[String: Any]] ?? []
        #expect(workers.compactMap { $0["id"] as? String } == ["w1", "w2", "w3"], "\(status.stdout)")
        // The killed worker's heartbeat is older than the lease; the live ones' are not.
        #expect(workers.map { $0["stale"] as? Bool } == [true, false, false], "\(status.stdout)")
        #expect(((document?["workers"] as? [String: Any])?["units_waiting"] as? Int) == 0, "\(status.stdout)")
        let text = try sandbox.ferry(["status"], environment: environment)
        #expect(text.stdout.contains("Workers:") && text.stdout.contains("w2"), "\(text.stdout)")
        #expect(
            text.stdout.contains("(stale)") && text.stdout.contains("due and waiting for a worker: 0"), "\(text.stdout)"
        )

        // A `ferry serve` on the same state shows the fleet: its API and its dashboard.
        let serve = try ServeProcess(sandbox, environment: environment)
        let (code, fleet) = try serve.request("GET", "/v1/workers")
        #expect(code == 200, "\(fleet)")
        let listed = fleet["workers"] as? [[String: Any]] ?? []
        #expect(listed.compactMap { $0["id"] as? String } == ["w1", "w2", "w3"], "\(fleet)")
        #expect(listed.map { $0["stale"] as? Bool } == [true, false, false], "\(fleet)")
        let (pageStatus, page) = try serve.raw("GET", "/dashboard")
        let html = page.map { String(decoding: $0, as: UTF8.self) } ?? ""
        #expect(pageStatus == 200)
        #expect(html.contains("<h2>Workers (3)</h2>") && html.contains(#"data-worker="w2""#), "\(html)")
        #expect(html.contains("(stale)") && html.contains("due and waiting for a worker: 0"), "\(html)")
        serve.signal(SIGTERM)
        _ = serve.waitForExit()

        // SIGTERM: the survivors leave the queue cleanly; the killed one's row stays, its heartbeat stale.
        for worker in others {
            #expect(worker.terminate() == 0, "\(worker.log)")
            #expect(worker.count("Worker stopped.") == 1)
        }
        #expect(try database.rows("SELECT id FROM workers ORDER BY id").map { $0[0] } == ["w1"])
        print("WorkerFleetTests: \(sites) units on 3 workers (one killed) in \(Int(seconds)) s")
    }

    /// `after:` across workers: a child starts only after its parent's run ended, wherever
    /// each ran, and is skipped for the round when its parent failed (plant 2's route is wrong).
    @Test func dependentsWaitForTheirParentsOnAnyWorkerAndSkipAfterAFailure() throws {
        let database = try #require(TestDatabase.fresh(prefix: "ferry_worker_deps_"))
        let simulator = try PlantReadingsSimulator(apiKey: Self.apiKey, perMinute: 600, readingsPerPlant: 6)
        defer { simulator.stop() }
        let sandbox = try Sandbox()
        let child = """
              child:
                source: { connection: vcom, stream: readings }
                destination: { connection: out_child }
                after: [readings]
                schedule: "0 0 1 1 *"
            """
        try sandbox.write(
            "ferry.yaml",
            Self.config(simulator, sites: 4, extraPipelines: child) { $0 == 2 ? "no-such-plant" : "\($0)" })
        let environment = ["FERRY_STATE_URL": database.stateURL(leaseSeconds: 6), "VCOM_API_KEY": Self.apiKey]
        let workers = try ["d1", "d2"].map { try WorkerProcess(sandbox, id: $0, environment: environment) }
        var units: [[String]] = []
        try waitUntil(within: 40, every: 0.2) {
            units = try database.rows(
                "SELECT site, pipeline, COALESCE(last_status, '') FROM work_units WHERE holder IS NULL AND last_status IS NOT NULL ORDER BY site, pipeline"
            )
            return units.count == 8
        }
        let expected = (1...4).flatMap { plant -> [[String]] in
            let site = String(format: "plant-%02d", plant)
            return plant == 2
                ? [[site, "child", "skipped"], [site, "readings", "failed"]]
                : [[site, "child", "succeeded"], [site, "readings", "succeeded"]]
        }
        #expect(units == expected, "\(workers.map(\.log).joined(separator: "\n"))")
        let runs = try database.rows(
            "SELECT site, pipeline, started_at, COALESCE(finished_at, 1e12) FROM runs ORDER BY site, started_at")
        for plant in [1, 3, 4] {
            let site = String(format: "plant-%02d", plant)
            let parent = try #require(runs.first { $0[0] == site && $0[1] == "readings" })
            let dependent = try #require(runs.first { $0[0] == site && $0[1] == "child" })
            #expect(Double(parent[3])! <= Double(dependent[2])!, "\(site): \(runs)")
            #expect(try sandbox.read("out/\(site)-child.jsonl").split(separator: "\n").count == 6)
        }
        #expect(!runs.contains { $0[0] == "plant-02" && $0[1] == "child" }, "a skipped unit does not run: \(runs)")
        #expect(workers.contains { $0.count("Unit skipped: a pipeline it runs after failed") == 1 })
        for worker in workers { #expect(worker.terminate() == 0, "\(worker.log)") }
    }
}

/// `ferry serve --worker`'s refusals, which need no database.
@Suite struct WorkerCommandTests {
    @Test func aWorkerRefusesAStateThatIsNotShared() throws {
        let simulator = try PlantReadingsSimulator(
            apiKey: WorkerFleetTests.apiKey, perMinute: 90, readingsPerPlant: 1)
        defer { simulator.stop() }
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", WorkerFleetTests.config(simulator, sites: 1))
        let outcome = try sandbox.ferry(
            ["serve", "--worker", "--config", "ferry.yaml"],
            environment: ["VCOM_API_KEY": WorkerFleetTests.apiKey, "FERRY_STATE_URL": ""])
        #expect(outcome.status == 2)
        #expect(
            outcome.stderr.contains("ferry serve --worker needs the state on PostgreSQL")
                && outcome.stderr.contains("local-state.db"), "\(outcome.stderr)")
        #expect(simulator.served == 0)

        let listening = try sandbox.ferry(["serve", "--worker", "--listen", "127.0.0.1:0", "--config", "ferry.yaml"])
        #expect(
            listening.status == 64 && listening.stderr.contains("a worker answers no HTTP API"), "\(listening.stderr)")
        let lonelyID = try sandbox.ferry(["serve", "--worker-id", "w9", "--config", "ferry.yaml"])
        #expect(lonelyID.status == 64 && lonelyID.stderr.contains("--worker-id needs --worker"), "\(lonelyID.stderr)")
    }
}
