import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `examples/vysync/` end to end, on the real `ferry` and the real `rest` plugin: VCOM systems
/// become Yuman sites linked to their clients and Yuman materials linked to their sites, each
/// created once with the id Yuman assigned; a rerun creates nothing; the VCOM budget holds
/// per (simulated) minute and per day; a 429 from VCOM is waited out; and a kill -9 at a random
/// point of the first run never leaves a duplicate object in Yuman once a rerun finishes.
@Suite struct VysyncExampleTests {
    @Test func theFirstRunCreatesEverythingLinkedByYumansIdsAndARerunCreatesNothing() throws {
        // Yuman answers one request in 9 with 429 (a quota other tools share). The 40-odd PV
        // strings would take the example's 55-a-minute Yuman budget past a minute: opened wide.
        let example = try VysyncExample(
            vcom: VCOMSimulator(plants: 6), yuman: YumanSimulator(perMinute: 1000, throttleEvery: 9),
            yumanPerMinute: 1000)
        for outcome in try example.importMappings() {
            #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        }
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let problems = try example.problems()
        #expect(problems.isEmpty, "\(problems)")
        #expect(example.yuman.refusals.allSatisfy { $0.hasPrefix("429") }, "\(example.yuman.refusals)")
        #expect(example.vcom.refusals.isEmpty, "\(example.vcom.refusals)")
        // Sites come before their materials; the ID map holds Yuman's ids under the write scopes.
        let order = example.creates().map { $0.dropFirst("POST /".count) }
        let lastSite = try #require(order.lastIndex(of: "sites"), "\(order)")
        #expect(lastSite < (order.firstIndex(of: "materials") ?? -1), "\(order)")
        let site = try #require(example.yuman.objects("sites").first { $0.fields["code"] == "PV004" })
        #expect(
            try example.sandbox.sql(
                "state.db", "SELECT destination_id FROM id_map WHERE scope = 'yuman/sites' AND source_id = 'PV004'")
                == [String(site.id)])
        // The site carries VCOM's data in Yuman's shapes.
        #expect(site.fields["address"] == "4 rue du Soleil, 69004 Lyon")
        #expect(site.fields["fields"]?.arrayValue?.last?["value"] == "14/05/2021")
        #expect(site.fields["fields"]?.arrayValue?.first?["value"] == "PV004")
        // PV002 has three inverters, each with MPPT inputs "10" and "9" of two strings: twelve
        // strings, MPPT 9 first, numbered over the plant, linked to its site.
        let pv002 = try #require(example.yuman.objects("sites").first { $0.fields["code"] == "PV002" })
        let strings = example.yuman.objects("materials").filter { $0.fields["category_id"]?.intValue == 12404 }
        #expect(
            strings.filter { $0.fields["site_id"].map(YumanSimulator.text) == String(pv002.id) }
                .compactMap { $0.fields["name"]?.stringValue }.sorted() == [
                    "STRING-01-WR1-MPPT-9.1-PV002", "STRING-02-WR1-MPPT-9.2-PV002", "STRING-03-WR1-MPPT-10.1-PV002",
                    "STRING-04-WR1-MPPT-10.2-PV002", "STRING-05-WR2-MPPT-9.1-PV002", "STRING-06-WR2-MPPT-9.2-PV002",
                    "STRING-07-WR2-MPPT-10.1-PV002", "STRING-08-WR2-MPPT-10.2-PV002", "STRING-09-WR3-MPPT-9.1-PV002",
                    "STRING-10-WR3-MPPT-9.2-PV002", "STRING-11-WR3-MPPT-10.1-PV002", "STRING-12-WR3-MPPT-10.2-PV002",
                ])
        #expect(strings.allSatisfy { $0.fields["serial_number"] == $0.fields["name"] }, "\(strings)")
        // Each inverter carries the vendor and model of its own detail (/inverters/{id}).
        let inverters = example.yuman.objects("materials").filter { $0.fields["category_id"]?.intValue == 11102 }
            .filter { $0.fields["site_id"].map(YumanSimulator.text) == String(pv002.id) }
        #expect(
            inverters.map {
                "\($0.fields["serial_number"]?.stringValue ?? "?") \($0.fields["brand"]?.stringValue ?? "?") \($0.fields["model"]?.stringValue ?? "?")"
            }
            .sorted() == [
                "Id10002.3 SMA STP 25000TL-30", "SNPV0021 SMA STP 25000TL-30", "SNPV0022 SMA STP 110-60 CORE2",
            ])
        // No secret reached the output.
        for secret in [VCOMSimulator.password, VCOMSimulator.apiKey, YumanSimulator.token] {
            #expect(!(first.stdout + first.stderr).contains(secret))
        }

        let before = example.yuman.requests.count
        let rerun = try example.ferry()
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        let sent = example.yuman.requests.dropFirst(before).filter { !$0.hasPrefix("GET") }
        #expect(sent.isEmpty, "\(sent)")
        #expect(try example.problems().isEmpty)
    }

    @Test func theVCOMBudgetHoldsInEverySimulatedMinute() throws {
        // A tier of 20 requests per simulated minute of 3 s, and a run that needs 34: Ferry's
        // own budget (90 a real minute) would let them all go at once, so only by following
        // the headers (Remaining, then a pause until Reset) can it keep every window to 20.
        let vcom = VCOMSimulator(plants: 8, perMinute: 20, minuteLength: 3)
        let example = try VysyncExample(
            vcom: vcom, yuman: YumanSimulator(perMinute: 1000), clientPerMinute: 90, yumanPerMinute: 1000)
        _ = try example.importMappings()
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try example.problems().isEmpty)
        // Two lists (systems twice), four details per plant, one per inverter (17), the open
        // tickets and the closed ones.
        #expect(vcom.served.count == 2 + 4 * 8 + 17 + 2)
        #expect(example.vcomRequestsPerRun() == 53)
        // The first window was used to its limit and not past it; VCOM refused nothing.
        #expect(vcom.busiestMinute == 20, "\(vcom.busiestMinute)")
        #expect(vcom.refusals.isEmpty, "\(vcom.refusals)")
    }

    @Test func fiftyPlantsCostADayThreePercentOfTheVCOMTier() throws {
        // 50 plants on the "API 10.000" tier, with simulated minutes of 1 s (and Ferry's own
        // per-minute budgets opened wide) so that the day's runs take seconds, not minutes.
        let vcom = VCOMSimulator(plants: 50, minuteLength: 1)
        let example = try VysyncExample(
            vcom: vcom, yuman: YumanSimulator(perMinute: 10_000), clientPerMinute: 100_000, yumanPerMinute: 100_000)
        _ = try example.importMappings()
        for run in 1...2 {
            let outcome = try example.ferry()
            #expect(outcome.status == 0, "run \(run): \(outcome.stdout)\(outcome.stderr)")
        }
        #expect(try example.problems().isEmpty)
        // Two runs: 2 + 4 per plant + 1 per inverter (101), the open tickets and the closed
        // ones each, every one within its minute and none refused.
        #expect(vcom.served.count == 2 * 305)
        #expect(example.vcomRequestsPerRun() == 305)
        #expect(vcom.busiestMinute <= 90, "\(vcom.busiestMinute)")
        #expect(vcom.refusals.isEmpty, "\(vcom.refusals)")
        // Ferry's own count of the day, kept in the state database for the next run.
        let budget = try example.sandbox.sql(
            "state.db", "SELECT value FROM kv WHERE scope = 'http.budget' AND key = 'vcom'")
        let dayUsed = try JSONParser().parse(Array((budget.first ?? "{}").utf8))["day_used"]?.intValue
        #expect(dayUsed == 610, "\(budget)")
    }

    @Test func a429FromVCOMIsWaitedOutUntilItsReset() throws {
        let vcom = VCOMSimulator(plants: 2)
        let example = try VysyncExample(vcom: vcom)
        _ = try example.importMappings()
        // Another tool of the account used up the minute, which resets in 2 s: the run's first
        // request meets a 429 and the next one waits for the reset it announced.
        vcom.exhaustMinute(resettingIn: 2)
        let started = Date().timeIntervalSince1970
        let first = try example.ferry()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(try example.problems().isEmpty)
        #expect(vcom.refusals.count == 1, "\(vcom.refusals)")
        #expect(vcom.refusals.first?.hasPrefix("429 GET /systems") == true, "\(vcom.refusals)")
        #expect((vcom.served.first?.at ?? 0) >= started + 1, "\(started) \(vcom.served.first?.at ?? 0)")
        #expect(vcom.served.count == 2 + 4 * 2 + 5 + 2)
    }

    @Test func theDailyBudgetStopsTheRunBeforeVCOMRefuses() throws {
        // A day of 30 requests: the sites pipeline needs 25 (VCOM has no paging: one batch of
        // every system), the equipment pipeline 25 more. The run stops itself at the budget
        // (exit 75) with the sites committed; VCOM never refuses a request for the day.
        let vcom = VCOMSimulator(plants: 12, perDay: 30)
        let example = try VysyncExample(vcom: vcom)
        _ = try example.importMappings()
        // Every pipeline: the ticket pipelines stop at the budget too, and the one skipped after
        // them only waits for the budget, so the run still says "come back later" (75).
        let first = try example.ferry(["run"])
        #expect(first.status == 75, "\(first.stdout)\(first.stderr)")
        #expect((first.stdout + first.stderr).contains("daily request budget 'vcom'"), "\(first.stdout)\(first.stderr)")
        #expect(vcom.served.count == 30, "\(vcom.served.count)")
        #expect(vcom.refusals.isEmpty, "\(vcom.refusals)")
        let sites = example.yuman.objects("sites")
        #expect(Set(sites.compactMap { $0.fields["code"]?.stringValue }).count == 12, "\(sites.count)")
        #expect(sites.count == 12)
        #expect(example.yuman.objects("materials").isEmpty)
    }

    @Test func aKillAtARandomPointOfTheFirstRunNeverCreatesADuplicateInYuman() throws {
        // VCOM has no paging, so each pipeline reads one batch: the sites pipeline writes it
        // once, the equipment pipeline in five outputs (four points between them).
        for iteration in 1...8 {
            let point =
                Bool.random()
                ? "after_write:kill:\(Int.random(in: 1...2))" : "between_outputs:kill:\(Int.random(in: 1...4))"
            let example = try VysyncExample(
                vcom: VCOMSimulator(plants: 4), yuman: YumanSimulator(perMinute: 1000, throttleEvery: 13),
                yumanPerMinute: 1000)
            _ = try example.importMappings()
            let killed = try example.ferry(environment: ["FERRY_FAILPOINTS": point])
            #expect(killed.status == -SIGKILL, "iteration \(iteration), \(point): \(killed.stdout)\(killed.stderr)")
            var rerun = try example.ferry()
            for _ in 0..<3 where rerun.status != 0 { rerun = try example.ferry() }
            #expect(rerun.status == 0, "iteration \(iteration), \(point): \(rerun.stdout)\(rerun.stderr)")
            let problems = try example.problems()
            #expect(problems.isEmpty, "iteration \(iteration), \(point): \(problems)")
            #expect(try example.sandbox.sql("state.db", "SELECT count(*) FROM dead_letters") == ["0"])
        }
    }

    @Test func createsWhoseAnswerWasLostAreFoundAgainNotMadeTwice() throws {
        let example = try VysyncExample(
            vcom: VCOMSimulator(plants: 3), yuman: YumanSimulator(perMinute: 1000), yumanPerMinute: 1000)
        _ = try example.importMappings()
        // Yuman stores the first two sites but their answers are lost (502): Ferry cannot know
        // their ids, and a POST is never retried after a 5xx; the batch fails with its intents kept.
        example.yuman.loseAnswers(2)
        var run = try example.ferry()
        for _ in 0..<3 where run.status != 0 { run = try example.ferry() }
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let problems = try example.problems()
        #expect(problems.isEmpty, "\(problems)")
        // Each lost site was searched by the VCOM key Ferry wrote into `code` (a list without
        // `page`, answered as a bare array), found and updated: three plants, three creates.
        let requests = example.yuman.requests
        #expect(requests.contains("GET /sites?code=PV001"), "\(requests)")
        #expect(requests.contains("GET /sites?code=PV002"), "\(requests)")
        #expect(requests.filter { $0 == "POST /sites" }.count == 3, "\(requests)")
        #expect(example.yuman.refusals.filter { $0.hasPrefix("502") }.count == 2, "\(example.yuman.refusals)")
    }

    @Test func aSystemWithoutAClientMappingIsADeadLetterNamingIt() throws {
        let example = try VysyncExample(
            vcom: VCOMSimulator(plants: 13), yuman: YumanSimulator(perMinute: 1000), yumanPerMinute: 1000,
            mapEveryPlant: false)
        _ = try example.importMappings()
        let run = try example.ferry()
        // PV013 is in no line of site_clients.csv: its site and equipment wait, the rest land.
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        #expect(try example.problems(plants: 12).isEmpty)
        let letters = try example.sandbox.sql("state.db", "SELECT pipeline || ': ' || error FROM dead_letters")
        #expect(letters.count == 1 && letters.first?.contains("vysync/site_clients") == true, "\(letters)")
        #expect(letters.first?.contains("PV013") == true, "\(letters)")
        let waiting = try example.sandbox.sql("state.db", "SELECT count(*) FROM id_map WHERE scope = 'yuman/sites'")
        #expect(waiting == ["12"])
    }
}

/// vysync's `db-to-yuman --site-key K --dry-run` / `--yes`, as Ferry says it: one site,
/// previewed per record, then applied on a yes.
@Suite struct VysyncOneSiteTests {
    @Test func oneSiteIsPreviewedThenSyncedAloneAndTheCheckpointStays() throws {
        let example = try VysyncExample(vcom: VCOMSimulator(plants: 4))
        _ = try example.importMappings()
        let key = try #require(example.vcom.plants.dropFirst().first?.key)
        let declined = try example.ferry(["run", "sites", "--filter", "key=\(key)", "--confirm"])
        #expect(declined.status == 0, "\(declined.stdout)\(declined.stderr)")
        #expect(declined.stdout.contains("+ create \"\(key)\""), "\(declined.stdout)")
        #expect(declined.stdout.contains("Apply these 1 change(s)?"), "\(declined.stdout)")
        #expect(example.yuman.objects("sites").isEmpty)

        let applied = try example.ferry(["run", "sites", "--filter", "key=\(key)", "--confirm", "--yes"])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(example.yuman.objects("sites").compactMap { $0.fields["code"]?.stringValue } == [key])

        // The filtered run kept no checkpoint: the next full run syncs the other three.
        let full = try example.ferry(["run", "sites"])
        #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
        #expect(Set(example.yuman.objects("sites").compactMap { $0.fields["code"]?.stringValue }).count == 4)
        #expect(example.yuman.objects("sites").count == 4)
    }
}
