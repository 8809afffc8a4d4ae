import FerryTesting
import Foundation
import Testing

/// `examples/tekmetric/` as a user runs it: its own `ferry.yaml` and `schema.sql`, the real
/// `ferry` and rest `.so`, two shops of the Tekmetric simulator (their own JWTs) as two sites,
/// into the real PostgreSQL that scripts/test.sh starts. Repair orders from three overlapping
/// job boards paged to an empty page, inside a `-3d` window, each completed by its detail,
/// estimate and labor profit, fanned out into six tables keyed by `(shop_id, tm_id)`, with the
/// derived totals checked against figures computed by hand; employees, customers and vehicles;
/// a rerun that changes nothing; a kill -9 between two tables' writes that loses and doubles
/// nothing; an expired JWT that stops one shop and not the other; one repair order by id.
@Suite(.serialized) struct TekmetricWarehouseEndToEndTests {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/tekmetric")

    static let tables = [
        "repair_orders", "jobs", "job_parts", "job_labor", "job_sublets", "job_fees", "employees", "customers",
        "vehicles",
    ]

    struct Setup {
        let api: TekmetricShopsSimulator
        let server: LoopbackServer
        let sandbox: Sandbox
        let dsn: String
        let schema: String

        init?(rateLimitEvery: Int = 0, name: String = #function) throws {
            guard !TestWarehouse.kinds.filter({ $0 == .postgres }).isEmpty else { return nil }
            guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"], !dsn.isEmpty else {
                Issue.record("FERRY_TEST_PG_DSN is not set: run scripts/test.sh; FERRY_SKIP_POSTGRES=1 skips this test")
                return nil
            }
            self.dsn = dsn
            schema = "tekmetric_\(UInt32.random(in: 0...UInt32.max))"
            api = TekmetricShopsSimulator(rateLimitEvery: rateLimitEvery)
            let api = api
            server = try LoopbackServer { api.reply($0) }
            sandbox = try Sandbox(name)
            for file in ["ferry.yaml", "schema.sql"] {
                try sandbox.write(
                    file,
                    try String(
                        contentsOf: TekmetricWarehouseEndToEndTests.example.appendingPathComponent(file),
                        encoding: .utf8))
            }
            // The README's set-up step: the tables, in the warehouse's schema.
            _ = try Sandbox.outputLines(
                of: "/usr/bin/psql",
                [
                    dsn, "-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE SCHEMA \(schema)", "-c",
                    "SET search_path TO \(schema)", "-f", sandbox.path("schema.sql"),
                    // The seed's token table, which the browser extension writes and the config reads.
                    "-c", "CREATE TABLE jwt_tokens (shop_id bigint PRIMARY KEY, jwt_token text NOT NULL)",
                    "-c",
                    "INSERT INTO jwt_tokens VALUES (6212, '\(TekmetricShopsSimulator.token(6212))'), "
                        + "(7001, '\(TekmetricShopsSimulator.token(7001))')",
                ])
        }

        /// What the browser extension does after a fresh login: the shop's row gets the new JWT.
        static func storeToken(_ token: String, shop: Int, dsn: String, schema: String) {
            _ = try? Sandbox.outputLines(
                of: "/usr/bin/psql",
                [dsn, "-q", "-c", "UPDATE \(schema).jwt_tokens SET jwt_token = '\(token)' WHERE shop_id = \(shop)"])
        }

        func dropSchema() {
            _ = try? Sandbox.outputLines(
                of: "/usr/bin/psql", [dsn, "-q", "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"])
        }

        /// The variables the example reads, pointed at the simulator and the test warehouse.
        func environment(_ extra: [String: String] = [:]) -> [String: String] {
            [
                "TM_BASE_URL": server.url, "JWT_TOKENS_DSN": dsn, "TM_JWT_TABLE": "\(schema).jwt_tokens",
                "WAREHOUSE_DSN": dsn, "WAREHOUSE_SCHEMA": schema,
                // Pages of 5 customers and vehicles: Spring paging over several pages.
                "TM_PAGE_SIZE": "5",
            ].merging(extra, uniquingKeysWith: { $1 })
        }

        func ferry(_ arguments: [String], environment: [String: String] = [:]) throws -> Sandbox.Outcome {
            try sandbox.ferry(arguments, environment: self.environment(environment))
        }

        /// Rows of a query, columns joined by `|`.
        func rows(_ sql: String) throws -> [String] {
            // psql prints the SET's tag first, then the query's rows.
            Array(
                try Sandbox.outputLines(
                    of: "/usr/bin/psql",
                    [dsn, "-At", "-v", "ON_ERROR_STOP=1", "-c", "SET search_path TO \(schema)", "-c", sql]
                ).dropFirst())
        }

        /// Every table's rows without the warehouse UUIDs, in key order: what two runs compare.
        var snapshot: [String] {
            get throws {
                try TekmetricWarehouseEndToEndTests.tables.flatMap { table in
                    try rows(
                        "SELECT '\(table)', to_jsonb(t) - 'id' - \(Self.links.map { "'\($0.column)'" }.joined(separator: " - ")) "
                            + "FROM \(table) t ORDER BY shop_id, tm_id")
                }
            }
        }

        /// Each child's link to its parent's warehouse UUID, each repair order's to its
        /// customer's, vehicle's and service writer's, within its shop (the `references` of the
        /// warehouse connection), with the Tekmetric ids they follow.
        static let links: [(child: String, column: String, parent: String, match: String)] = [
            ("jobs", "repair_order_id", "repair_orders", "p.tm_id = c.ro_tm_id"),
            ("job_parts", "job_id", "jobs", "p.tm_id = c.job_tm_id"),
            ("job_labor", "job_id", "jobs", "p.tm_id = c.job_tm_id"),
            ("job_labor", "technician_id", "employees", "p.tm_id = c.technician_tm_id"),
            ("job_sublets", "job_id", "jobs", "p.tm_id = c.job_tm_id"),
            ("job_fees", "job_id", "jobs", "p.tm_id = c.job_tm_id"),
            ("repair_orders", "customer_id", "customers", "p.tm_id = c.customer_tm_id"),
            ("repair_orders", "vehicle_id", "vehicles", "p.tm_id = c.vehicle_tm_id"),
            ("repair_orders", "service_writer_id", "employees", "p.tm_id = c.service_writer_tm_id"),
        ]

        /// The links that are not the id of the row their Tekmetric ids name (null where that
        /// row exists, or set where it does not); empty when every link is right.
        func unlinkedRows() throws -> [String] {
            try Self.links.flatMap { link in
                try rows(
                    "SELECT '\(link.child).\(link.column)', c.shop_id, c.tm_id FROM \(link.child) c "
                        + "LEFT JOIN \(link.parent) p ON p.shop_id = c.shop_id AND \(link.match) "
                        + "WHERE c.\(link.column) IS DISTINCT FROM p.id")
            }
        }

        /// The warehouse UUIDs by table and key: an upsert must keep them.
        var uuids: [String] {
            get throws {
                try TekmetricWarehouseEndToEndTests.tables.flatMap { table in
                    try rows("SELECT '\(table)', shop_id, tm_id, id FROM \(table) ORDER BY shop_id, tm_id")
                }
            }
        }

        func deadLetters(_ site: String) throws -> [String] {
            try sandbox.sql("state.db", "SELECT error FROM dead_letters WHERE site = '\(site)'")
        }
    }

    @Test func twoShopsLandWithHandCheckedTotalsAndARerunChangesNothing() throws {
        guard let setup = try Setup(rateLimitEvery: 9) else { return }
        defer { setup.dropSchema() }

        let north = try setup.ferry(["run", "--site", "shop_6212"])
        // Repair order 505 was deleted after it was listed: one dead letter, exit 3.
        #expect(north.status == 3, "\(north.stdout)\(north.stderr)")
        let south = try setup.ferry(["run", "--site", "shop_7001"])
        #expect(south.status == 0, "\(south.stdout)\(south.stderr)")
        #expect(setup.api.rateLimited > 0)

        // Each shop's repair orders in the window, once, with its shop id; 501 exists in both.
        for shop in TekmetricShopsSimulator.shops {
            #expect(
                try setup.rows("SELECT tm_id FROM repair_orders WHERE shop_id = \(shop) ORDER BY tm_id")
                    == TekmetricShopsSimulator.expectedOrders(shop).map(String.init))
        }
        // The order updated 40 days ago is outside `-3d`: not even its detail was asked for.
        #expect(!setup.api.calls.contains { $0.contains("repair-order/\(TekmetricShopsSimulator.old)") })
        // 506 is on the posted board only, updated today but posted 40 days ago: each board is
        // windowed by its own date, as the seed did, so it is not read either.
        #expect(!setup.api.calls.contains { $0.contains("repair-order/\(TekmetricShopsSimulator.postedLongAgo)") })
        // Every board to its empty page (ACTIVE's short pages did not end it).
        let boardCalls = setup.api.calls.filter { $0.contains("job-board-group-by") }.count
        #expect(boardCalls >= 4 + 2 + 1 + 3 + 2 + 1, "\(boardCalls)")

        // Repair order 501 of shop 6212, by hand: jobs 9001 (authorized: parts 2 × 4550, labor
        // 1.5 h × 12000, fee 1500 = 28600), 9002 (declined: 4 × 15000 + 0.75 h × 12000 = 69000),
        // 9003 (authorized: sublet 9900 + 0.5 h × 11000 = 15400). Authorized 28600 + 15400 =
        // 44000 of a potential 113000; profit 53000 of which labor 18750, parts 34250; GP
        // 0.469026548 → 46.90 %, labor 0.576923 → 57.69 %.
        #expect(
            try setup.rows(
                """
                SELECT ro_number, status_code, customer_tm_id, vehicle_tm_id, service_writer_tm_id,
                  authorized_total_cents, authorized_parts_cents, authorized_labor_cents, authorized_sublet_cents,
                  authorized_fees_cents, authorized_labor_hours, potential_total_cents, job_count,
                  total_profit_cents, labor_profit_cents, parts_profit_cents, gp_percent, labor_gp_percent,
                  amount_paid_cents, balance_due_cents
                FROM repair_orders WHERE shop_id = 6212 AND tm_id = 501
                """) == [
                    "30501|POSTED|601|701|77|44000|9100|23500|9900|1500|2.00|113000|3|53000|18750|34250|46.90|57.69|56500|56500"
                ])
        // 502's total margin is "NaN": no GP %, as the seed ignores it; its one job is declined.
        #expect(
            try setup.rows(
                "SELECT authorized_total_cents, potential_total_cents, gp_percent IS NULL, labor_gp_percent FROM repair_orders WHERE shop_id = 6212 AND tm_id = 502"
            ) == ["0|11502|t|60.00"])
        // Shop 7001 answers nested ids; its 501 is another order than shop 6212's.
        #expect(
            try setup.rows(
                "SELECT customer_tm_id, vehicle_tm_id, authorized_total_cents, gp_percent FROM repair_orders WHERE shop_id = 7001 AND tm_id = 501"
            ) == ["601|701|11501|25.00"])

        #expect(
            try setup.rows(
                "SELECT tm_id, ro_tm_id, name, authorized, declined, total_cents, subtotal_cents, parts_price_cents, parts_cost_cents, labor_price_cents, labor_hours, sublet_price_cents, fee_price_cents, gp_percent, sort_order FROM jobs WHERE shop_id = 6212 AND ro_tm_id = 501 ORDER BY tm_id"
            ) == [
                "9001|501|Front brakes|t|f|28600|27100|9100|4000|18000|1.50|0|1500|42.86|0",
                "9002|501|Tires|f|t|69000|69000|60000|36000|9000|0.75|0|0|30.00|1",
                "9003|501|Alignment|t|f|15400|15400|0|0|5500|0.50|9900|0|28.50|2",
            ])
        #expect(
            try setup.rows(
                "SELECT tm_id, job_tm_id, ro_tm_id, name, quantity, retail_cents, cost_cents, total_retail_cents, profit_cents FROM job_parts WHERE shop_id = 6212 AND ro_tm_id = 501 ORDER BY tm_id"
            ) == [
                "70001|9001|501|Brake pads|2.00|4550|2000|9100|5100", "70002|9002|501|Tire|4.00|15000|9000|60000|24000",
            ])
        #expect(
            try setup.rows(
                "SELECT tm_id, job_tm_id, hours, rate_cents, total_cents, labor_cost_cents, technician_tm_id FROM job_labor WHERE shop_id = 6212 AND ro_tm_id = 501 ORDER BY tm_id"
            ) == [
                "80001|9001|1.50|12000|18000|18000|77", "80002|9002|0.75|12000|9000|9000|78",
                "80003|9003|0.50|11000|5500|5500|77",
            ])
        #expect(
            try setup.rows("SELECT tm_id, job_tm_id, ro_tm_id, name, retail_cents, cost_cents FROM job_sublets")
                == ["96001|9003|501|Alignment|9900|6000"])
        #expect(
            try setup.rows("SELECT shop_id, tm_id, job_tm_id, total_cents FROM job_fees") == ["6212|95001|9001|1500"])
        // Child rows per shop: 501 (3 jobs), 502 and 503 (1 each) in 6212; 501, 601, 602 in 7001.
        #expect(
            try setup.rows("SELECT shop_id, count(*) FROM jobs GROUP BY shop_id ORDER BY 1") == ["6212|5", "7001|3"])
        #expect(
            try setup.rows("SELECT shop_id, count(*) FROM job_parts GROUP BY shop_id ORDER BY 1") == [
                "6212|4", "7001|3",
            ])

        // Employees (list, then each one), customers (Spring pages of 5: 5, 5, 2) and vehicles per shop.
        #expect(
            try setup.rows(
                "SELECT shop_id, tm_id, last_name, role_code, hourly_rate_cents, can_perform_work FROM employees WHERE tm_id = 79"
            ) == ["6212|79|No79|SERVICE_WRITER|7900|f", "7001|79|No79|SERVICE_WRITER|7900|f"])
        #expect(
            try setup.rows("SELECT shop_id, count(*) FROM customers GROUP BY shop_id ORDER BY 1") == [
                "6212|12", "7001|12",
            ])
        #expect(
            try setup.rows("SELECT email, phone FROM customers WHERE shop_id = 6212 AND tm_id = 601")
                == ["c601@mail.example|555-0601"])
        #expect(
            try setup.rows("SELECT tm_id, make FROM vehicles WHERE shop_id = 7001 AND tm_id IN (701, 702) ORDER BY 1")
                == ["701|Honda", "702|Toyota"])

        // Links by warehouse UUID, as the seed stored them.
        let unlinked = try setup.unlinkedRows()
        #expect(unlinked.isEmpty, "\(unlinked)")
        #expect(try setup.rows("SELECT count(*) FROM jobs WHERE repair_order_id IS NULL") == ["0"])

        let letters = try setup.deadLetters("shop_6212")
        #expect(letters.count == 1 && letters[0].contains("repair-order/505 answered HTTP 404"), "\(letters)")
        #expect(try setup.deadLetters("shop_7001").isEmpty)
        for text in [north.stdout, north.stderr, south.stdout, south.stderr] + letters {
            for shop in TekmetricShopsSimulator.shops { #expect(!text.contains(TekmetricShopsSimulator.token(shop))) }
        }

        // A rerun of both shops reads everything again and changes nothing, UUIDs included.
        let before = try setup.snapshot
        let ids = try setup.uuids
        #expect(try setup.ferry(["run", "--site", "shop_6212"]).status == 3)
        #expect(try setup.ferry(["run", "--site", "shop_7001"]).status == 0)
        #expect(try setup.snapshot == before)
        #expect(try setup.uuids == ids)
        let written = try setup.sandbox.sql(
            "state.db", "SELECT sum(written_count) FROM runs WHERE id > (SELECT max(id) - 8 FROM runs)")
        #expect(written == ["0"], "\(written)")
    }

    /// kill -9 between two tables' writes of a batch (one repair order per batch), at several
    /// points: the rerun leaves exactly what an uninterrupted run leaves, without a duplicate
    /// child or a lost one.
    @Test(arguments: [2, 7, 13])
    func aKillBetweenTwoTablesLosesAndDoublesNothing(_ hit: Int) throws {
        guard let clean = try Setup(name: "clean\(hit)"), let killed = try Setup(name: "killed\(hit)") else { return }
        defer {
            clean.dropSchema()
            killed.dropSchema()
        }
        let small = ["TM_BATCH_SIZE": "1"]
        #expect(try clean.ferry(["run", "--site", "shop_6212", "repair_orders_6212"], environment: small).status == 3)

        let crashed = try killed.ferry(
            ["run", "--site", "shop_6212", "repair_orders_6212"],
            environment: small.merging(["FERRY_FAILPOINTS": "between_outputs:kill:\(hit)"]) { $1 })
        #expect(crashed.status == -9, "\(crashed.stdout)\(crashed.stderr)")
        let rerun = try killed.ferry(["run", "--site", "shop_6212", "repair_orders_6212"], environment: small)
        #expect(rerun.status == 3, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try killed.snapshot == clean.snapshot)
        let unlinked = try killed.unlinkedRows()
        #expect(unlinked.isEmpty, "\(unlinked)")
        #expect(try killed.rows("SELECT count(*) FROM job_parts") == ["4"])
        #expect(try killed.deadLetters("shop_6212").count == 1)
    }

    /// An expired JWT stops that shop's run with the 401 named and no token shown; the other
    /// shop, with its own token, syncs on.
    @Test func anExpiredJWTStopsOneShopAndNotTheOther() throws {
        guard let setup = try Setup() else { return }
        defer { setup.dropSchema() }
        setup.api.expire(7001)
        let expired = try setup.ferry(["run", "--site", "shop_7001", "repair_orders_7001"])
        #expect(expired.status == 1, "\(expired.stdout)\(expired.stderr)")
        #expect((expired.stdout + expired.stderr).contains("401"), "\(expired.stdout)\(expired.stderr)")
        #expect(!(expired.stdout + expired.stderr).contains(TekmetricShopsSimulator.token(7001)))
        #expect(try setup.rows("SELECT count(*) FROM repair_orders") == ["0"])

        let other = try setup.ferry(["run", "--site", "shop_6212", "repair_orders_6212"])
        #expect(other.status == 3, "\(other.stdout)\(other.stderr)")
        #expect(try setup.rows("SELECT DISTINCT shop_id FROM repair_orders") == ["6212"])
    }

    /// The user logs in again in the browser mid-run: the JWT the run read from `jwt_tokens`
    /// starts answering 401, the extension stores the new one, and the run reads the row again
    /// and carries on with it, losing nothing; no token appears in the output.
    @Test func aJWTRenewedInTheTokenTableMidRunIsPickedUp() throws {
        guard let setup = try Setup() else { return }
        defer { setup.dropSchema() }
        let fresh = TekmetricShopsSimulator.token(6212, login: 1)
        let (dsn, schema) = (setup.dsn, setup.schema)
        setup.api.relogin(6212, atCall: 4) { Setup.storeToken($0, shop: 6212, dsn: dsn, schema: schema) }
        let run = try setup.ferry(["run", "--site", "shop_6212", "repair_orders_6212"])
        let output = run.stdout + run.stderr
        #expect(run.status == 3, "\(output)")
        #expect(
            try setup.rows("SELECT tm_id FROM repair_orders ORDER BY tm_id")
                == TekmetricShopsSimulator.expectedOrders(6212).map(String.init), "\(output)")
        #expect(setup.api.calls.count > 4)
        #expect(!output.contains(fresh) && !output.contains(TekmetricShopsSimulator.token(6212)), "\(output)")

        // A row that still holds a rejected token stops the run, naming the query's table.
        setup.api.relogin(6212, atCall: setup.api.calls.count + 1) { _ in }
        let stale = try setup.ferry(["run", "--site", "shop_6212", "repair_orders_6212", "--full"])
        #expect(stale.status == 1, "\(stale.stdout)\(stale.stderr)")
        #expect((stale.stdout + stale.stderr).contains("jwt_tokens"), "\(stale.stdout)\(stale.stderr)")
        #expect(!(stale.stdout + stale.stderr).contains(fresh))
    }

    /// The seed's full backfill: the profit-details report, paged by its `nextKeys` object
    /// until `hasNext` is false, then each repair order in full: orders on no job board land
    /// with their jobs; a narrower window reads nothing older.
    @Test func theHistoricalBackfillPagesTheProfitReportByItsNextKeys() throws {
        guard let setup = try Setup() else { return }
        defer { setup.dropSchema() }
        let small = ["TM_REPORT_PAGE_SIZE": "3"]
        let run = try setup.ferry(["run", "--site", "shop_6212_backfill", "--since", "-70d"], environment: small)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let posted = (TekmetricShopsSimulator.history[6212]! + [501, 504]).sorted()
        #expect(
            try setup.rows("SELECT tm_id FROM repair_orders WHERE shop_id = 6212 ORDER BY tm_id")
                == posted.map(String.init))
        #expect(try setup.rows("SELECT count(*) FROM jobs WHERE ro_tm_id = 451") == ["1"])
        // Their customers and vehicles are in no paged list: fetched with each order, as the seed
        // did for one the warehouse lacked, and linked by UUID.
        #expect(try setup.rows("SELECT count(*) FROM customers WHERE tm_id BETWEEN 551 AND 557") == ["7"])
        #expect(try setup.rows("SELECT count(*) FROM vehicles WHERE tm_id BETWEEN 651 AND 657") == ["7"])
        #expect(
            try setup.rows(
                "SELECT c.tm_id, v.tm_id FROM repair_orders r JOIN customers c ON c.id = r.customer_id "
                    + "JOIN vehicles v ON v.id = r.vehicle_id WHERE r.tm_id = 451") == ["551|651"])
        let unlinked = try setup.unlinkedRows()
        #expect(unlinked.isEmpty, "\(unlinked)")
        // Nine posted orders, three a page: three report pages, the last saying hasNext: false.
        let reports = setup.api.calls.filter { $0.contains("profit-details-report") }
        #expect(reports.count == 3, "\(setup.api.calls)")

        // A narrower window asks the report from its start: nothing older is read again, and
        // the warehouse keeps every row.
        let before = setup.api.calls.count
        let narrower = try setup.ferry(["run", "--site", "shop_6212_backfill", "--since", "-47d"], environment: small)
        #expect(narrower.status == 0, "\(narrower.stdout)\(narrower.stderr)")
        let again = setup.api.calls.dropFirst(before)
        #expect(
            !again.contains { call in (451...454).contains { call.hasSuffix("repair-order/\($0)") } },
            "older orders were read again: \(Array(again))")
        #expect(again.contains { $0.hasSuffix("repair-order/455") }, "\(Array(again))")
        #expect(try setup.rows("SELECT count(*) FROM repair_orders WHERE shop_id = 6212") == ["\(posted.count)"])
    }

    /// The seed's `sync_log`, `sync_cursors` and per-entity errors, queryable in the warehouse:
    /// Ferry's state in the same database (`FERRY_STATE=postgres://…`) and `sync_views.sql`'s
    /// views over it show each run with its counts, the cursors, and the dead letters.
    @Test func theSyncLogIsAViewOverTheStateKeptInTheWarehouse() throws {
        guard let setup = try Setup() else { return }
        let stateSchema = "ferrystate_\(UInt32.random(in: 0...UInt32.max))"
        defer {
            setup.dropSchema()
            _ = try? Sandbox.outputLines(
                of: "/usr/bin/psql", [setup.dsn, "-q", "-c", "DROP SCHEMA IF EXISTS \(stateSchema) CASCADE"])
        }
        let state = ["FERRY_STATE": setup.dsn + (setup.dsn.contains("?") ? "&" : "?") + "schema=\(stateSchema)"]
        let run = try setup.ferry(["run", "--site", "shop_6212"], environment: state)
        #expect(run.status == 3, "\(run.stdout)\(run.stderr)")
        try setup.sandbox.write(
            "sync_views.sql",
            try String(
                contentsOf: TekmetricWarehouseEndToEndTests.example.appendingPathComponent("sync_views.sql"),
                encoding: .utf8))
        _ = try Sandbox.outputLines(
            of: "/usr/bin/psql",
            [
                setup.dsn, "-q", "-v", "ON_ERROR_STOP=1", "-v", "state_schema=\(stateSchema)", "-c",
                "SET search_path TO \(setup.schema)", "-f", setup.sandbox.path("sync_views.sql"),
            ])
        let log = try setup.rows(
            "SELECT shop_id, entity_type, status, records_written > 0 FROM sync_log ORDER BY entity_type")
        #expect(
            log == [
                "6212|customers|succeeded|t", "6212|employees|succeeded|t", "6212|repair_orders|dead_lettered|t",
                "6212|vehicles|succeeded|t",
            ], "\(log)")
        // A first run creates every row it writes (the seed's created vs updated counts).
        #expect(
            try setup.rows("SELECT bool_and(records_created = records_written AND records_updated = 0) FROM sync_log")
                == ["t"])
        let errors = try setup.rows("SELECT shop_id, entity_type, error FROM sync_errors")
        #expect(errors.count == 1 && errors[0].hasPrefix("6212|repair_orders|"), "\(errors)")
        #expect(errors.first?.contains("repair-order/505") == true, "\(errors)")
        let synced = try setup.rows(
            "SELECT entity_type FROM sync_cursors WHERE shop_id = 6212 AND last_synced_at > now() - interval '1 hour' "
                + "ORDER BY entity_type")
        #expect(synced == ["customers", "employees", "repair_orders", "vehicles"], "\(synced)")
    }

    /// The seed's trigger endpoints, served by `ferry serve`: one repair order by id, the
    /// boards of the last days with a limit, and the historical backfill, each a POST.
    @Test func theSeedsTriggersAreServeRuns() throws {
        guard let setup = try Setup() else { return }
        defer { setup.dropSchema() }
        let serve = try ServeProcess(setup.sandbox, environment: setup.environment())
        defer {
            serve.signal(SIGTERM)
            _ = serve.waitForExit()
        }
        func trigger(_ pipeline: String, _ body: String, site: String) throws {
            let finished = serve.log.components(separatedBy: "Run finished.").count - 1
            let (status, answer) = try serve.request("POST", "/v1/pipelines/\(pipeline)/runs", body: body)
            #expect(status == 202, "\(status) \(answer)")
            try serve.waitForLog("Run finished.", occurrence: finished + 1)
            try serve.waitUntilIdle(pipeline, site: site)
        }

        // GET /api/sync/repair-orders/501?shop_id=6212
        try trigger("repair_orders_6212", #"{"site": "shop_6212", "record_id": 501}"#, site: "shop_6212")
        #expect(try setup.rows("SELECT shop_id, tm_id FROM repair_orders") == ["6212|501"], "\(serve.log)")
        #expect(!setup.api.calls.contains { $0.contains("job-board") })

        // GET /api/sync/repair-orders?shop_id=6212&days_back=7&limit=2
        try trigger("repair_orders_6212", #"{"site": "shop_6212", "days_back": 7, "limit": 2}"#, site: "shop_6212")
        let limited = try setup.rows("SELECT tm_id FROM repair_orders ORDER BY tm_id")
        // The first two orders of the ACTIVE board (501 again, then 502), not the third.
        #expect(limited == ["501", "502"], "\(limited) \(serve.log)")

        // GET /api/sync/repair-orders?shop_id=6212&board=POSTED: only that board is read.
        let before = setup.server.requests.count
        try trigger("repair_orders_6212", #"{"site": "shop_6212", "filters": {"board": "POSTED"}}"#, site: "shop_6212")
        let asked = setup.server.requests.dropFirst(before).map(\.target)
        let boards = asked.filter { $0.contains("job-board") }
        #expect(!boards.isEmpty && boards.allSatisfy { $0.contains("board=POSTED") }, "\(asked)")
        #expect(
            asked.filter { $0.hasPrefix("/api/shop/6212/repair-order/") } == ["/api/shop/6212/repair-order/502"],
            "\(asked)")

        // GET /api/sync/full-backfill?shop_id=6212 (the report, from 70 days back)
        let since = TekmetricShopsSimulator.day(70).prefix(10)
        try trigger(
            "repair_orders_history_6212", #"{"site": "shop_6212_backfill", "since": "\#(since)"}"#,
            site: "shop_6212_backfill")
        #expect(
            try setup.rows("SELECT count(*) FROM repair_orders WHERE tm_id BETWEEN 451 AND 457") == ["7"],
            "\(serve.log)")
        for shop in TekmetricShopsSimulator.shops {
            #expect(!serve.log.contains(TekmetricShopsSimulator.token(shop)))
        }
    }

    /// The seed's `store_raw`: with `TM_STORE_RAW=true` each repair order is kept as fetched
    /// (detail, estimate, labor profit) in `tm_raw_payloads`; without it nothing is.
    @Test func rawPayloadsAreKeptOnlyWhenAsked() throws {
        guard let setup = try Setup() else { return }
        defer { setup.dropSchema() }
        let plain = try setup.ferry(["run", "--site", "shop_6212", "repair_orders_6212", "--id", "501"])
        #expect(plain.status == 0, "\(plain.stdout)\(plain.stderr)")
        #expect(try setup.rows("SELECT count(*) FROM tm_raw_payloads") == ["0"])

        let raw = try setup.ferry(
            ["run", "--site", "shop_6212", "repair_orders_6212", "--id", "501"],
            environment: ["TM_STORE_RAW": "true"])
        #expect(raw.status == 0, "\(raw.stdout)\(raw.stderr)")
        #expect(
            try setup.rows(
                "SELECT shop_id, entity_type, tm_id, payload->>'repairOrderNumber', jsonb_array_length(payload->'estimate'->'jobs'), "
                    + "payload->'profit'->'totalProfit'->>'profit' FROM tm_raw_payloads") == [
                    "6212|repair_order|501|30501|3|53000"
                ])
    }

    /// The seed's `/api/sync/repair-orders/{ro_id}`: one repair order by id, through its
    /// detail, estimate and labor profit, without reading a job board.
    @Test func oneRepairOrderByID() throws {
        guard let setup = try Setup() else { return }
        defer { setup.dropSchema() }
        let one = try setup.ferry(["run", "--site", "shop_6212", "repair_orders_6212", "--id", "501"])
        #expect(one.status == 0, "\(one.stdout)\(one.stderr)")
        #expect(
            setup.api.calls == [
                "GET /api/shop/6212/repair-order/501", "GET /api/repair-order/501/estimate",
                "GET /api/repair-order/501/profit/labor", "GET /api/shop/6212/customer/601",
                "GET /api/shop/6212/vehicle/701",
            ])
        #expect(
            try setup.rows("SELECT shop_id, tm_id, authorized_total_cents FROM repair_orders") == ["6212|501|44000"])
        #expect(try setup.rows("SELECT count(*) FROM jobs") == ["3"])
    }
}
