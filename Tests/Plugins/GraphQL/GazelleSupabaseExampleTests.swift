import FerryJSON
import FerryTesting
import Foundation
import Testing

/// `examples/gazelle/` through the real `ferry`, the real `libferry-graphql.so` and
/// `libferry-postgrest.so`: from the Gazelle simulator through the PostgREST-protocol server
/// into the real PostgreSQL (scripts/test.sh starts it). The seed's mapping field by field,
/// bulk upserts, a rerun that changes nothing, incremental runs that read only what changed,
/// GraphQL errors at HTTP 200, and a kill -9 mid-run.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct GazelleSupabaseExampleTests {
    @Test func theFirstRunLandsTheSeedsMappingInBulkAndARerunChangesNothing() throws {
        let flow = try GazelleSupabaseFlow()
        let first = try flow.ferry()
        // Exit 3: the run finished with dead letters (the two clients without any name).
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        let differences = try flow.mappingDifferences()
        #expect(differences.isEmpty, "\(differences)")

        // The company-name rule's dead letters, with the validate step's reason.
        let letters = try flow.sandbox.sql(
            "ferry-state.db",
            """
            SELECT pipeline, coalesce(json_extract(record, '$.external_id'), json_extract(record, '$.id')) AS k, error
            FROM dead_letters ORDER BY pipeline, k
            """)
        #expect(letters.count == 3, "\(letters)")
        #expect(
            letters.filter { $0.hasPrefix("clients|") }.map { String($0.split(separator: "|")[1]) } == [
                "cli_0011", "cli_0012",
            ], "\(letters)")
        #expect(
            letters.filter { $0.hasPrefix("clients|") }.allSatisfy {
                $0.contains("client has no company name and its default contact no name")
            }, "\(letters)")
        // The blank client's contact cannot point at a client that is not there: PostgreSQL's foreign key says so.
        #expect(letters.contains { $0.hasPrefix("contacts|") && $0.contains("23503") }, "\(letters)")

        // Dependency order: every parent table's writes came before its children's.
        let order = flow.scratch.simulator.requests.filter { $0.hasPrefix("POST ") }
        let lastClients = order.lastIndex(of: "POST /gazelle_clients")!
        let lastPianos = order.lastIndex(of: "POST /gazelle_pianos")!
        #expect(lastClients < order.firstIndex(of: "POST /gazelle_pianos")!, "\(order)")
        #expect(lastClients < order.firstIndex(of: "POST /gazelle_contacts")!, "\(order)")
        #expect(lastPianos < order.firstIndex(of: "POST /gazelle_appointments")!, "\(order)")

        // Bulk: one POST per page (5 records), not one per record as the seed did.
        #expect(flow.posts("gazelle_clients") == 2, "\(order)") // pages of 5 and 5; the third had only dead letters
        #expect(flow.posts("gazelle_pianos") == 2, "\(order)")
        #expect(flow.posts("gazelle_appointments") == 2, "\(order)")
        let landed = 10 + 10 + 7 + 6 + 9
        #expect(flow.allPosts < landed / 2, "\(order)")

        // Gazelle: refresh grants with the token from config/token.json and the client secret; no
        // rotation, so the old refresh token was kept for every later grant.
        #expect(!flow.gazelle.tokenForms.isEmpty)
        #expect(flow.gazelle.tokenForms.allSatisfy { $0["grant_type"] == "refresh_token" })
        #expect(flow.gazelle.tokenForms.allSatisfy { $0["refresh_token"] == GazelleSupabaseFlow.refreshToken })
        #expect(flow.gazelle.tokenForms.allSatisfy { $0["client_secret"] == GazelleSimulator.clientSecret })
        // Pages of 5: 12 clients (twice: clients and contacts), 7 pianos, 6 events, 9 entries.
        #expect(flow.gazelle.queries(of: "allClients").count == 6)
        #expect(flow.gazelle.queries(of: "allPianos").count == 2)
        #expect(flow.gazelle.queries(of: "allEventsBatched").count == 2)
        #expect(flow.gazelle.queries(of: "allTimelineEntries").count == 2)
        for secret in [GazelleSimulator.clientSecret, GazelleSupabaseFlow.refreshToken, flow.scratch.simulator.apiKey] {
            #expect(!first.stdout.contains(secret) && !first.stderr.contains(secret), "a secret in the output")
        }

        // `ferry check` plans every pipeline of the example and reaches both systems.
        let check = try flow.ferry(["check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(!(check.stdout + check.stderr).contains(GazelleSimulator.clientSecret))

        // A rerun writes nothing and changes no row.
        let before = try flow.snapshot()
        let posts = flow.allPosts
        let second = try flow.ferry()
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try flow.snapshot() == before)
        #expect(flow.allPosts == posts, "\(flow.scratch.simulator.requests.dropFirst(posts))")
    }

    @Test func aRotatedRefreshTokenIsKeptAndUsedInsteadOfTokenJSON() throws {
        let flow = try GazelleSupabaseFlow(rotates: true)
        let first = try flow.ferry()
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(try flow.mappingDifferences().isEmpty)
        // Each grant revokes the token it used: every later grant must use the newest one,
        // and token.json's (now revoked) is never sent again.
        let second = try flow.ferry()
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let used = flow.gazelle.tokenForms.map { $0["refresh_token"] ?? "" }
        #expect(used.count >= 2)
        #expect(used.first == GazelleSupabaseFlow.refreshToken)
        #expect(used.dropFirst() == ArraySlice((1..<used.count).map { "gz-refresh-\($0)" }), "\(used)")
        for output in [first.stdout, first.stderr, second.stdout, second.stderr] {
            #expect(!output.contains("gz-refresh-"), "a refresh token in the output")
        }
    }

    @Test func anIncrementalRunReadsOnlyWhatChanged() throws {
        let flow = try GazelleSupabaseFlow()
        #expect(try flow.ferry().status == 3)
        let before = try flow.snapshot()
        let queries = flow.gazelle.queries.count

        // Client 7 is renamed (updated at minute 30); a timeline entry is added at minute 100.
        flow.gazelle.state.withLock { state in
            let index = state.clients.firstIndex { $0["id"] == "cli_0007" }!
            state.clients[index]["companyName"] = "  Renamed Pianos "
            state.clients[index]["updatedAt"] = .string(GazelleSimulator.time(30))
            var entry = GazelleSimulator.timelineEntry(10, occurred: GazelleSimulator.time(100))
            entry["comment"] = ""
            state.timeline.append(entry)
        }
        let run = try flow.ferry()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let asked = flow.gazelle.queries.dropFirst(queries)
        // One page each for clients, contacts and pianos (newest first: the first page reaches
        // the checkpoint), one for timeline entries since the last one seen; appointments have
        // no cursor and are read whole (2 pages), their unchanged records not sent again.
        #expect(asked.filter { $0.field == "allClients" }.count == 2)
        #expect(asked.filter { $0.field == "allPianos" }.count == 1)
        #expect(asked.filter { $0.field == "allTimelineEntries" }.count == 1)
        #expect(asked.filter { $0.field == "allEventsBatched" }.count == 2)
        #expect(
            asked.first { $0.field == "allTimelineEntries" }?.variables["since"]
                == .string(GazelleSimulator.time(90)))

        let after = try flow.snapshot()
        let changed = Set(after).subtracting(before)
        #expect(changed.count == 2, "\(changed)")
        #expect(
            try flow.rows("SELECT company_name, updated_at FROM gazelle_clients WHERE external_id = 'cli_0007'") == [
                "Renamed Pianos|2026-03-01 08:30:00+00"
            ])
        #expect(
            try flow.rows("SELECT title, description FROM gazelle_timeline_entries WHERE external_id = 'tle_10'") == [
                "Tuning 10|∅"
            ])
        #expect(try flow.rows("SELECT count(*) FROM gazelle_clients") == ["10"])
    }

    @Test func aGraphQLErrorAtHTTP200FailsTheRunWithTheServersMessageAndTheNextRunCompletes() throws {
        let flow = try GazelleSupabaseFlow()
        // The second clients page answers an error beside partial data (HTTP 200).
        flow.gazelle.state.withLock { $0.partialErrorAt = 2 }
        let failed = try flow.ferry()
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        let output = failed.stdout + failed.stderr
        #expect(output.contains("Contact lookup failed for cli_0004"), "\(output)")
        #expect(output.contains("CONTACT_LOOKUP_FAILED"), "\(output)")
        // The first page landed; nothing of the failed page did, and the children waited.
        #expect(try flow.rows("SELECT count(*) FROM gazelle_clients") == ["5"])
        #expect(try flow.rows("SELECT count(*) FROM gazelle_clients WHERE external_id <= 'cli_0005'") == ["0"])
        #expect(flow.posts("gazelle_pianos") == 0 && flow.posts("gazelle_contacts") == 0)

        let rerun = try flow.ferry()
        #expect(rerun.status == 3, "\(rerun.stdout)\(rerun.stderr)")
        let differences = try flow.mappingDifferences()
        #expect(differences.isEmpty, "\(differences)")
    }

    @Test func aKillMinusNineMidRunLosesNothing() throws {
        for point in ["after_write:kill:3", "after_commit:kill:5"] {
            let flow = try GazelleSupabaseFlow(name: "kill-\(point.prefix(while: { $0 != ":" }))")
            let killed = try flow.ferry(extra: flow.sandbox.failPoints(point))
            #expect(killed.status == -9, "\(point): \(killed.stdout)\(killed.stderr)")
            #expect(try flow.mappingDifferences().isEmpty == false, "\(point): the run was cut short")
            let resumed = try flow.ferry()
            #expect([0, 3].contains(resumed.status), "\(point): \(resumed.stdout)\(resumed.stderr)")
            let differences = try flow.mappingDifferences()
            #expect(differences.isEmpty, "\(point): \(differences)")
            // The surrogate ids are one per record: nothing was inserted twice.
            #expect(
                try flow.rows("SELECT count(*), count(DISTINCT external_id) FROM gazelle_pianos") == ["7|7"],
                "\(point)")
            let again = try flow.snapshot()
            #expect(try flow.ferry().status == 0, "\(point)")
            #expect(try flow.snapshot() == again, "\(point)")
        }
    }
}
