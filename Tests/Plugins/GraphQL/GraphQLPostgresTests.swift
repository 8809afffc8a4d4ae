import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The Gazelle flow through the real `ferry` into the real PostgreSQL (the `postgres`
/// connector, the server scripts/test.sh starts): exact rows, a rerun that changes
/// nothing, and an incremental run that reads only the newer part.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] != "1", "FERRY_SKIP_POSTGRES=1"))
struct GraphQLPostgresTests {
    static func psql(_ dsn: String, _ sql: String) throws -> [String] {
        try Sandbox.outputLines(of: "/usr/bin/psql", [dsn, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    @Test func theFlowLandsExactRowsInPostgreSQL() throws {
        guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"] else {
            Issue.record(
                "FERRY_TEST_PG_DSN is not set: run scripts/test.sh (it starts a PostgreSQL server); FERRY_SKIP_POSTGRES=1 skips this test"
            )
            return
        }
        let schema = "gazelle_\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? Self.psql(dsn, "DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        let simulator = try GazelleSimulator()
        GazelleFlow.seed(simulator)
        let sandbox = try Sandbox()
        try GazelleFlow.prepare(
            sandbox, simulator,
            destination: "    plugin: postgres\n    config: { dsn: \"${GAZELLE_DB}\", schema: \(schema) }")
        let environment = GazelleFlow.environment.merging(["GAZELLE_DB": dsn]) { $1 }

        let first = try sandbox.ferry(["run"], environment: environment)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let clients = try Self.psql(
            dsn,
            """
            SELECT id, "companyName", status, "updatedAt", "defaultContact"->>'lastName',
                   "defaultContact"->'defaultLocation'->>'postalCode'
            FROM \(schema).gazelle_clients ORDER BY id
            """)
        #expect(
            clients
                == (1...12).map {
                    "cli_\(String(format: "%04d", $0))|Company \($0)|ACTIVE|\(GazelleSimulator.time($0))|Last\($0)|H2X \($0)A\($0)"
                })
        #expect(
            try Self.psql(
                dsn,
                #"SELECT id, model, type, year, client->>'id', "updatedAt" FROM \#(schema).gazelle_pianos ORDER BY id"#)
                == (1...7).map {
                    "pno_\($0)|U\($0)|\($0 % 2 == 0 ? "GRAND" : "UPRIGHT")|\(1980 + $0)|cli_000\(1 + $0 % 3)|\(GazelleSimulator.time($0))"
                })
        #expect(
            try Self.psql(
                dsn,
                #"SELECT id, "occurredAt", summary, coalesce(comment, '-'), coalesce(piano->>'id', '-') FROM \#(schema).gazelle_timeline_entries ORDER BY id"#
            )
                == (1...9).map {
                    "tle_\($0)|\(GazelleSimulator.time($0 * 10))|Tuning \($0)|\($0 % 3 == 0 ? "-" : "Note \($0)")|\($0 % 2 == 0 ? "-" : "pno_1")"
                })

        // A rerun changes nothing.
        let everything =
            "SELECT (SELECT string_agg(t::text, ';' ORDER BY id) FROM \(schema).gazelle_clients t), "
            + "(SELECT string_agg(t::text, ';' ORDER BY id) FROM \(schema).gazelle_pianos t), "
            + "(SELECT string_agg(t::text, ';' ORDER BY id) FROM \(schema).gazelle_timeline_entries t)"
        let before = try Self.psql(dsn, everything)
        let second = try sandbox.ferry(["run"], environment: environment)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try Self.psql(dsn, everything) == before)

        // Two clients change and a timeline entry is added: only the newer part is read and written.
        GazelleFlow.update(simulator, client: 5, minute: 30)
        GazelleFlow.update(simulator, client: 9, minute: 31)
        simulator.state.withLock {
            $0.timeline.append(GazelleSimulator.timelineEntry(10, occurred: GazelleSimulator.time(100)))
        }
        let before3 = simulator.queries(of: "allClients").count
        let third = try sandbox.ferry(["run"], environment: environment)
        #expect(third.status == 0, "\(third.stdout)\(third.stderr)")
        #expect(simulator.queries(of: "allClients").count == before3 + 1)
        #expect(
            try Self.psql(
                dsn,
                #"SELECT id, "companyName", "updatedAt" FROM \#(schema).gazelle_clients WHERE "companyName" LIKE 'Renamed%' ORDER BY id"#
            )
                == ["cli_0005|Renamed 5|2026-03-01T08:30:00Z", "cli_0009|Renamed 9|2026-03-01T08:31:00Z"])
        #expect(try Self.psql(dsn, "SELECT count(*) FROM \(schema).gazelle_clients") == ["12"])
        #expect(try Self.psql(dsn, "SELECT count(*) FROM \(schema).gazelle_timeline_entries") == ["10"])
        #expect(try GazelleFlow.checkpoint(sandbox, "clients") == [GazelleFlow.cursor(31)])
        #expect(try GazelleFlow.checkpoint(sandbox, "timeline") == [GazelleFlow.cursor(100)])
    }
}
