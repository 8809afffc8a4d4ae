import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The Gazelle flow through the real `ferry` and the real `libferry-graphql.so`, into
/// the `sqlite` connector: OAuth2 refresh from the seed's `token.json`, Relay paging with
/// `nodes` and `edges`, newest-first early stop, `occurredAtGet` incremental, errors at
/// HTTP 200, an access token that expires mid-run, and a kill -9 mid-read.
@Suite struct GraphQLEndToEndTests {
    static let sqlite = "    plugin: sqlite\n    config: { path: out.db }"

    static func start() throws -> (GazelleSimulator, Sandbox) {
        let simulator = try GazelleSimulator()
        GazelleFlow.seed(simulator)
        let sandbox = try Sandbox()
        try GazelleFlow.prepare(sandbox, simulator, destination: sqlite)
        return (simulator, sandbox)
    }

    static func run(_ sandbox: Sandbox, _ arguments: [String] = []) throws -> Sandbox.Outcome {
        try sandbox.ferry(["run"] + arguments, environment: GazelleFlow.environment)
    }

    static func rows(_ sandbox: Sandbox, _ sql: String) throws -> [String] { try sandbox.sql("out.db", sql) }

    static func clientRows(_ sandbox: Sandbox) throws -> [String] {
        try rows(
            sandbox,
            """
            SELECT id, companyName, status, updatedAt, json_extract(defaultContact, '$.firstName'),
                   json_extract(defaultContact, '$.defaultEmail.email'), json_extract(defaultContact, '$.defaultLocation.municipality')
            FROM gazelle_clients ORDER BY id
            """)
    }

    @Test func theFlowLandsExactRowsAndARerunChangesNothing() throws {
        let (simulator, sandbox) = try Self.start()
        let first = try Self.run(sandbox)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let clients = try Self.clientRows(sandbox)
        #expect(clients.count == 12)
        #expect(clients.first == "cli_0001|Company 1|ACTIVE|2026-03-01T08:01:00Z|First1|c1@example.com|Montréal")
        #expect(clients.last == "cli_0012|Company 12|ACTIVE|2026-03-01T08:12:00Z|First12|c12@example.com|Montréal")
        #expect(
            try Self.rows(
                sandbox,
                "SELECT id, make, model, serialNumber, type, year, json_extract(client, '$.id'), updatedAt FROM gazelle_pianos ORDER BY id"
            )
                == (1...7).map {
                    "pno_\($0)|Yamaha|U\($0)|SN\($0)|\($0 % 2 == 0 ? "GRAND" : "UPRIGHT")|\(1980 + $0)|cli_000\(1 + $0 % 3)|\(GazelleSimulator.time($0))"
                })
        #expect(
            try Self.rows(
                sandbox,
                "SELECT id, occurredAt, summary, coalesce(comment, 'NULL'), json_extract(client, '$.id'), coalesce(json_extract(piano, '$.id'), 'NULL') FROM gazelle_timeline_entries ORDER BY id"
            )
                == (1...9).map {
                    "tle_\($0)|\(GazelleSimulator.time($0 * 10))|Tuning \($0)|\($0 % 3 == 0 ? "NULL" : "Note \($0)")|cli_0001|\($0 % 2 == 0 ? "NULL" : "pno_1")"
                })
        // Pages: 12 clients and 7 pianos by 5, 9 entries by 4.
        #expect(simulator.queries(of: "allClients").count == 3)
        #expect(simulator.queries(of: "allPianos").count == 2)
        #expect(simulator.queries(of: "allTimelineEntries").count == 3)
        #expect(try GazelleFlow.checkpoint(sandbox, "clients") == [GazelleFlow.cursor(12)])
        #expect(try GazelleFlow.checkpoint(sandbox, "timeline") == [GazelleFlow.cursor(90)])
        // A token per pipeline (the host keeps access tokens per pipeline's connection), each from
        // token.json's refresh token, with the client secret.
        #expect(simulator.tokenForms.count == 3)
        #expect(simulator.tokenForms.allSatisfy { $0["refresh_token"] == GazelleFlow.refreshToken })
        #expect(simulator.tokenForms.allSatisfy { $0["client_secret"] == GazelleSimulator.clientSecret })
        #expect(simulator.tokenForms.allSatisfy { $0["grant_type"] == "refresh_token" })
        for secret in [GazelleSimulator.clientSecret, GazelleFlow.refreshToken, "gz-access-1"] {
            #expect(!first.stdout.contains(secret) && !first.stderr.contains(secret))
        }

        // A rerun asks one page of each stream and changes nothing.
        let tables =
            "SELECT * FROM gazelle_clients ORDER BY id; SELECT * FROM gazelle_pianos ORDER BY id; SELECT * FROM gazelle_timeline_entries ORDER BY id"
        let before = try Self.rows(sandbox, tables)
        let second = try Self.run(sandbox)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try Self.rows(sandbox, tables) == before)
        #expect(simulator.queries(of: "allClients").count == 4)
        #expect(simulator.queries(of: "allPianos").count == 3)
        #expect(simulator.queries(of: "allTimelineEntries").count == 4)
        #expect(
            simulator.queries(of: "allTimelineEntries").last?.variables["since"] == .string(GazelleSimulator.time(90)))
        #expect(try GazelleFlow.checkpoint(sandbox, "clients") == [GazelleFlow.cursor(12)])
        // The refresh token was not rotated, so the old one was kept and used again.
        #expect(simulator.tokenForms.count == 6)
        #expect(simulator.tokenForms.allSatisfy { $0["refresh_token"] == GazelleFlow.refreshToken })
    }

    @Test func checkAndDiscoverGoThroughTheRealBinary() throws {
        let (simulator, sandbox) = try Self.start()
        let check = try sandbox.ferry(["check"], environment: GazelleFlow.environment)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(
            check.stdout.contains("The GraphQL endpoint answered { __typename } with PrivateQuery."), "\(check.stdout)")
        let discover = try sandbox.ferry(["discover", "gazelle", "--json"], environment: GazelleFlow.environment)
        #expect(discover.status == 0, "\(discover.stdout)\(discover.stderr)")
        for stream in ["clients", "pianos", "timeline"] {
            #expect(discover.stdout.contains("\"\(stream)\""), "\(discover.stdout)")
        }
        #expect(discover.stdout.contains("occurredAt"), "\(discover.stdout)")
        #expect(simulator.queries.isEmpty)
        // A server that answers the check with errors fails it with the server's words.
        try sandbox.write(
            "ferry.yaml",
            try sandbox.read("ferry.yaml").replacingOccurrences(
                of: "client_secret: \"${GAZELLE_CLIENT_SECRET}\"", with: "client_secret: wrong-secret"))
        let refused = try sandbox.ferry(["check"], environment: GazelleFlow.environment)
        #expect(refused.status != 0)
        #expect((refused.stdout + refused.stderr).contains("invalid_client"), "\(refused.stdout)\(refused.stderr)")
    }

    @Test func newestFirstStopsAtTheFirstRecordOlderThanTheCheckpoint() throws {
        let (simulator, sandbox) = try Self.start()
        #expect(try Self.run(sandbox, ["clients"]).status == 0)
        #expect(simulator.queries(of: "allClients").count == 3)
        // Six clients change and one is new: the newer part fills page one and two records of page two.
        for (n, minute) in [(2, 20), (4, 21), (6, 22), (8, 23), (10, 24), (13, 25)] {
            GazelleFlow.update(simulator, client: n, minute: minute)
        }
        let run = try Self.run(sandbox, ["clients"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // Two pages, not three: page two reaches client 12 (the checkpoint) and then 11, older: stop.
        #expect(simulator.queries(of: "allClients").count == 5)
        #expect(
            try Self.rows(
                sandbox,
                "SELECT id, companyName, updatedAt FROM gazelle_clients WHERE companyName LIKE 'Renamed%' OR id = 'cli_0013' ORDER BY id"
            )
                == [
                    "cli_0002|Renamed 2|2026-03-01T08:20:00Z", "cli_0004|Renamed 4|2026-03-01T08:21:00Z",
                    "cli_0006|Renamed 6|2026-03-01T08:22:00Z", "cli_0008|Renamed 8|2026-03-01T08:23:00Z",
                    "cli_0010|Renamed 10|2026-03-01T08:24:00Z", "cli_0013|Company 13|2026-03-01T08:25:00Z",
                ])
        #expect(try Self.rows(sandbox, "SELECT count(*) FROM gazelle_clients") == ["13"])
        #expect(try GazelleFlow.checkpoint(sandbox, "clients") == [GazelleFlow.cursor(25)])
    }

    @Test func aGraphQLErrorAtHTTP200FailsTheRunWithTheServersMessageAndKeepsTheCheckpoint() throws {
        let (simulator, sandbox) = try Self.start()
        #expect(try Self.run(sandbox, ["clients"]).status == 0)
        for n in 1...7 { GazelleFlow.update(simulator, client: n, minute: 30 + n) }
        // Page two of the next read answers errors beside partial data.
        simulator.state.withLock { $0.partialErrorAt = $0.queries.count + 2 }
        let failed = try Self.run(sandbox, ["clients"])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(
            failed.stderr.contains(
                "the GraphQL server answered with errors: Contact lookup failed for cli_0001 (at allClients.nodes.1.defaultContact, code CONTACT_LOOKUP_FAILED) (its partial data was not used)"
            ), "\(failed.stderr)")
        #expect(try GazelleFlow.checkpoint(sandbox, "clients") == [GazelleFlow.cursor(12)])
        // The page with the error delivered nothing: clients 2 and 1 keep their old names (and 1 its contact).
        #expect(
            try Self.rows(
                sandbox, "SELECT companyName FROM gazelle_clients WHERE id IN ('cli_0001', 'cli_0002') ORDER BY id")
                == ["Company 1", "Company 2"])
        // The server recovers: the next run reads the newer part again from the top, and all of it lands.
        let again = try Self.run(sandbox, ["clients"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(
            try Self.rows(
                sandbox,
                "SELECT count(*) FROM gazelle_clients WHERE companyName LIKE 'Renamed%' AND json_extract(defaultContact, '$.firstName') IS NOT NULL"
            )
                == ["7"])
        #expect(try GazelleFlow.checkpoint(sandbox, "clients") == [GazelleFlow.cursor(37)])
    }

    @Test func anExpiredAccessTokenIsRefreshedOnceAndTheRunGoesOn() throws {
        let (simulator, sandbox) = try Self.start()
        simulator.state.withLock { $0.expireAfterQueries = 2 }
        let run = try Self.run(sandbox)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(simulator.unauthorizedCount == 1)
        // One token per pipeline, and one more after the 401; the refresh token was kept (not rotated).
        #expect(simulator.tokenForms.count == 4)
        #expect(simulator.tokenForms.allSatisfy { $0["refresh_token"] == GazelleFlow.refreshToken })
        #expect(try Self.rows(sandbox, "SELECT count(*) FROM gazelle_clients") == ["12"])
        #expect(try Self.rows(sandbox, "SELECT count(*) FROM gazelle_timeline_entries") == ["9"])
    }

    @Test func aThrottledQueryAndA503AreRetriedAndTheRunCompletes() throws {
        let (simulator, sandbox) = try Self.start()
        // Page two is throttled (GraphQL error at 200: the engine calls the reader again), then its
        // retry meets a 503 (the host's HTTP service retries the POST, a query being retry-safe).
        simulator.state.withLock {
            $0.throttled = [2]
            $0.unavailable = [3]
        }
        let run = try Self.run(sandbox, ["clients"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let afters = simulator.queries(of: "allClients").map { $0.variables["after"]?.stringValue }
        #expect(
            afters == [
                nil, GazelleSimulator.cursor(4), GazelleSimulator.cursor(4), GazelleSimulator.cursor(4),
                GazelleSimulator.cursor(9),
            ])
        #expect(run.stderr.contains("Too many requests; slow down. (code THROTTLED)"), "\(run.stderr)")
        #expect(try Self.rows(sandbox, "SELECT count(*) FROM gazelle_clients") == ["12"])
    }

    @Test func clientCredentialsIsRefusedByGazelleWithItsError() throws {
        let simulator = try GazelleSimulator()
        GazelleFlow.seed(simulator)
        let sandbox = try Sandbox()
        try GazelleFlow.prepare(sandbox, simulator, destination: Self.sqlite, grant: "client_credentials")
        // Without a refresh token to fall back on, the host asks for the configured grant.
        let config = try sandbox.read("ferry.yaml").replacingOccurrences(
            of: "refresh_token_file: config/token.json", with: "")
        try sandbox.write("ferry.yaml", config)
        let run = try Self.run(sandbox, ["clients"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("unsupported_grant_type"), "\(run.stderr)")
        #expect(simulator.queries.isEmpty)
    }

    @Test func aKillMidReadOfANewestFirstStreamLosesNothing() throws {
        let (simulator, sandbox) = try Self.start()
        // A commit per page, the points this test kills between (SQLite would otherwise take the
        // pages in one commit group, CommitGroupTests).
        let config = try sandbox.read("ferry.yaml").replacingOccurrences(
            of: "stream: gazelle_clients }, write: upsert",
            with: "stream: gazelle_clients }, write: upsert, commit_records: 1")
        try sandbox.write("ferry.yaml", config)
        #expect(try Self.run(sandbox, ["clients"]).status == 0)
        // Every client changes: the newer part is three pages.
        for n in 1...12 { GazelleFlow.update(simulator, client: n, minute: 40 + n) }
        let killed = try sandbox.ferry(
            ["run", "clients"],
            environment: GazelleFlow.environment.merging(["FERRY_FAILPOINTS": "after_commit:kill:2"]) { $1 })
        #expect(killed.status == -9, "\(killed.stdout)\(killed.stderr)")
        // Two pages were committed, but the checkpoint did not move: the older part of the newer records is not read yet.
        #expect(try GazelleFlow.checkpoint(sandbox, "clients") == [GazelleFlow.cursor(12)])
        #expect(
            try Self.rows(sandbox, "SELECT count(*) FROM gazelle_clients WHERE companyName LIKE 'Renamed%'") == ["10"])
        let again = try Self.run(sandbox, ["clients"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(
            try Self.rows(sandbox, "SELECT count(*) FROM gazelle_clients WHERE companyName LIKE 'Renamed%'") == ["12"])
        #expect(try GazelleFlow.checkpoint(sandbox, "clients") == [GazelleFlow.cursor(52)])
    }
}
