import FerryTesting
import Foundation
import Testing

/// `detail:`, `requests:` and `pagination.stop: empty_page` on the real `ferry` and the real
/// rest `.so`, against the Tekmetric simulator: three overlapping job boards paged until an
/// empty page (with a short page before the end), each repair order completed by its detail
/// call, four at a time, through 429s; the one deleted since it was listed is a dead letter
/// naming the status and path, never a failed batch; a storm of 503s, 429s or 401s stops the
/// run with nothing committed. Into SQLite and into the real PostgreSQL.
@Suite struct RESTDetailEndToEndTests {
    static func config(_ warehouse: TestWarehouse) -> String {
        """
        version: 1
        state: state.db
        connections:
          tekmetric:
            plugin: rest
            http:
              endpoint: "${TM_BASE_URL}/api"
              auth: { type: api_key, key: "${TM_TOKEN}", header: x-auth-token }
              max_attempts: 3
            config:
              streams:
                - name: repair_orders
                  path: shop/42/job-board-group-by
                  query: { view: list, groupBy: NONE }
                  requests: [{ board: ACTIVE }, { board: POSTED }, { board: COMPLETE }]
                  primary_key: id
                  pagination: { type: page, page_param: page, start_page: 0, stop: empty_page }
                  detail: { path: "shop/42/repair-order/{id}", concurrency: 4 }
        \(warehouse.connection)
        pipelines:
          repair_orders:
            source: { connection: tekmetric, stream: repair_orders }
            destination: { connection: warehouse, stream: repair_orders }
            write: upsert
            primary_key: [id]
            transforms:
              - { op: rename, fields: { repairOrderNumber: number, customerId: customer_id, amountPaid: amount_paid } }
              - { op: drop, fields: [repairOrderStatus, customer] }
        """
    }

    struct Setup {
        let api: TekmetricSimulator
        let server: LoopbackServer
        let sandbox: Sandbox
        let warehouse: TestWarehouse

        init?(
            _ kind: TestWarehouse.Kind, rateLimitEvery: Int = 0, plainAppend: Bool = false, name: String = #function
        ) throws {
            api = TekmetricSimulator(rateLimitEvery: rateLimitEvery)
            let api = api
            server = try LoopbackServer { api.reply($0) }
            sandbox = try Sandbox("\(name)-\(kind)")
            guard let warehouse = TestWarehouse(kind, sandbox: sandbox) else { return nil }
            self.warehouse = warehouse
            var config = RESTDetailEndToEndTests.config(warehouse)
            if plainAppend {
                // No transforms and no change detection: the host passes the source's bytes on as
                // they came, except the records the source marked.
                config = config.replacing("write: upsert", with: "write: append")
                config = String(config[..<config.range(of: "    transforms:")!.lowerBound])
            }
            try sandbox.write("ferry.yaml", config)
        }

        func ferry(_ arguments: [String] = ["run"]) throws -> Sandbox.Outcome {
            try sandbox.ferry(
                arguments, environment: ["TM_BASE_URL": server.url, "TM_TOKEN": TekmetricSimulator.token])
        }

        var rows: [String] {
            get throws {
                try warehouse.rows(
                    "SELECT id, number, customer_id, amount_paid FROM \(warehouse.table("repair_orders")) ORDER BY id")
            }
        }

        var deadLetters: [String] {
            get throws {
                try sandbox.sql("state.db", "SELECT stage || ' ' || error || ' ' || record FROM dead_letters")
            }
        }
    }

    /// Every listed repair order but the deleted one: list fields and detail fields together.
    static func expectedRows(_ api: TekmetricSimulator) -> [String] {
        api.expectedIDs.map { "\($0)|\($0 - 1000 + 20000)|\($0 + 500)|\($0 * 10)" }
    }

    @Test(arguments: TestWarehouse.kinds)
    func overlappingBoardsWithDetailsLandOncePerKeyAndTheDeletedOrderIsADeadLetter(_ kind: TestWarehouse.Kind) throws {
        guard let setup = try Setup(kind, rateLimitEvery: 4) else { return }
        defer { setup.warehouse.dropSchema() }
        let first = try setup.ferry()
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(try setup.rows == Self.expectedRows(setup.api))
        // Each board to its empty page: ACTIVE's short page 1 did not end it.
        #expect(
            setup.api.boardRequests == [
                "ACTIVE/0", "ACTIVE/1", "ACTIVE/2", "ACTIVE/3", "POSTED/0", "POSTED/1", "POSTED/2", "COMPLETE/0",
                "COMPLETE/1", "COMPLETE/2",
            ])
        // One detail call per distinct key (1003 and 1006 are on two boards), plus the 429s asked again.
        let answered = setup.api.detailCalls.count - setup.api.rateLimited.count
        #expect(!setup.api.rateLimited.isEmpty)
        #expect(answered == setup.api.expectedIDs.count + 1, "\(setup.api.detailCalls)")
        #expect(Set(setup.api.detailCalls) == Set(setup.api.expectedIDs + [TekmetricSimulator.deleted]))
        // At most detail.concurrency calls at once, and more than one (each takes 30 ms).
        #expect((2...4).contains(setup.api.mostInFlight), "\(setup.api.mostInFlight)")
        let letters = try setup.deadLetters
        #expect(letters.count == 1, "\(letters)")
        #expect(
            letters.first?.hasPrefix(
                "source stream 'repair_orders': detail GET shop/42/repair-order/1005 answered HTTP 404") == true,
            "\(letters)")
        #expect(letters.first?.contains(#""id":1005"#) == true)
        // `ferry errors list` shows it with the status and path, and no credential anywhere.
        let listed = try setup.ferry(["errors", "list"])
        #expect(listed.stdout.contains("repair-order/1005 answered HTTP 404"), "\(listed.stdout)\(listed.stderr)")
        for text in [first.stdout, first.stderr, listed.stdout] + letters {
            #expect(!text.contains(TekmetricSimulator.token))
        }

        // A rerun reads the same and changes nothing: same rows, the same one dead letter.
        let rerun = try setup.ferry()
        #expect(rerun.status == 3, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try setup.rows == Self.expectedRows(setup.api))
        #expect(try setup.deadLetters == letters)
        let runs = try setup.sandbox.sql("state.db", "SELECT written_count FROM runs ORDER BY id")
        #expect(runs.last == "0", "\(runs)")
    }

    @Test func withoutTransformsTheMarkedRecordIsStillTakenOutOfTheBatch() throws {
        guard let setup = try Setup(.sqlite, plainAppend: true) else { return }
        let run = try setup.ferry()
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        let ids = try setup.warehouse.rows("SELECT id, repairOrderNumber FROM repair_orders ORDER BY id")
        #expect(ids == setup.api.expectedIDs.map { "\($0)|\($0 - 1000 + 20000)" })
        let columns = try setup.warehouse.rows("SELECT name FROM pragma_table_info('repair_orders')")
        #expect(!columns.contains("__ferry_reject"), "\(columns)")
        #expect(try setup.deadLetters.count == 1)
    }

    /// A storm of 503s, 429s or 401s on the detail calls is not the records' fault: after the
    /// host's retries the run stops (failed; for 429, stopped by the rate limit) with nothing
    /// written and no dead letter, and a rerun once the API recovers completes it.
    @Test(arguments: [(503, Int32(1)), (429, Int32(75)), (401, Int32(1))])
    func aDetailStormStopsTheRunWithNothingCommittedAndARerunCompletesIt(_ storm: (status: Int, exit: Int32)) throws {
        guard let setup = try Setup(.sqlite, name: "storm\(storm.status)") else { return }
        setup.api.detailStorm.withLock { $0 = storm.status }
        let failed = try setup.ferry()
        #expect(failed.status == storm.exit, "\(failed.stdout)\(failed.stderr)")
        #expect(
            failed.stdout.contains("HTTP \(storm.status)") || failed.stderr.contains("HTTP \(storm.status)"),
            "\(failed.stderr)")
        #expect(try setup.rows.isEmpty)
        #expect(try setup.deadLetters.isEmpty)

        setup.api.detailStorm.withLock { $0 = nil }
        let rerun = try setup.ferry()
        #expect(rerun.status == 3, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try setup.rows == Self.expectedRows(setup.api))
        #expect(try setup.deadLetters.count == 1)
    }
}
