import FerryTesting
import Foundation
import Testing

/// `examples/4d-erp/ferry.yaml` as a user of the old pyERP sync runs it: the real `ferry`,
/// the `rest` connector against the 4D simulator (`FourDSimulator`), the seed's field maps
/// in transforms, and the `postgres` connector into Django's tables (created by the
/// migration in `FourDERPFixtures`, not by Ferry) on the real PostgreSQL that
/// scripts/test.sh starts.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] != "1", "FERRY_SKIP_POSTGRES=1"))
struct FourDExampleTests {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/4d-erp/ferry.yaml").path

    /// A sandbox holding the example, Django's tables in a fresh schema, and the
    /// environment a user's `.env` would give.
    struct Setup {
        let sandbox: Sandbox
        let database: FourDDatabase
        let environment: [String: String]

        init(_ simulator: FourDSimulator, pageSize: Int = 1000, name: String = #function) throws {
            guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"] else {
                throw MissingDatabase()
            }
            sandbox = try Sandbox(name)
            try sandbox.write("ferry.yaml", try String(contentsOfFile: FourDExampleTests.example, encoding: .utf8))
            database = try FourDDatabase(dsn: dsn)
            environment = [
                "LEGACY_ERP_URL": simulator.url, "LEGACY_ERP_USER": FourDSimulator.user,
                "LEGACY_ERP_PASSWORD": FourDSimulator.password, "LEGACY_ERP_PAGE_SIZE": "\(pageSize)",
                "ERP_DATABASE_URL": dsn, "ERP_DATABASE_SCHEMA": database.schema,
            ]
        }

        @discardableResult
        func ferry(_ arguments: [String], extra: [String: String] = [:]) throws -> Sandbox.Outcome {
            let outcome = try sandbox.ferry(arguments, environment: environment.merging(extra) { $1 })
            let printed = outcome.stdout + outcome.stderr
            #expect(!printed.contains(FourDSimulator.password), "the 4D password was printed")
            #expect(!printed.contains("SESSION"), "the WASID4D session id was printed")
            return outcome
        }

        @discardableResult
        func query(_ sql: String) throws -> [String] {
            try database.query(sql.replacingOccurrences(of: "{s}", with: database.schema))
        }
    }

    struct MissingDatabase: Error, CustomStringConvertible {
        var description: String {
            "FERRY_TEST_PG_DSN is not set: run scripts/test.sh (it starts a PostgreSQL server); FERRY_SKIP_POSTGRES=1 skips this test"
        }
    }

    @Test func theSeedsFieldMapsLandInDjangosTablesFieldByField() throws {
        let simulator = try FourDERPFixtures.simulator()
        defer { simulator.stop() }
        let setup = try Setup(simulator)

        let run = try setup.ferry(["run"])
        #expect(run.status == 3, "a variant with a negative weight and an address without an email: \(run.stderr)")

        // Parent products, by sku (trimmed), descriptions '' where 4D has none.
        #expect(
            try setup.query(
                "SELECT legacy_id, sku, base_sku, name, name_en, description, description_en, weight FROM {s}.products_parentproduct WHERE sku IN ('11400', '11500') ORDER BY sku"
            ) == [
                "F1|11400|11400|Holzregal Eiche|Oak shelf|||2.500",
                "F2|11500|11500|Hängeleuchte||Aus Messing|Brass|0.750",
            ])
        // A variant, every mapped field: sku trimmed, base_sku and variant_code, booleans,
        // the D!M!YYYY date as that calendar day (no zone shift), 0!0!0 as NULL, Coll's
        // prices exact in NUMERIC columns, the parent linked by its Django id.
        #expect(
            try setup.query(
                """
                SELECT v.legacy_id, v.sku, v.base_sku, v.variant_code, v.legacy_parent_id, v.legacy_sku, v.legacy_ref,
                       v.name, v.name_en, v.description, v.description_en, v.weight, v.category_code, v.is_hanging,
                       v.is_one_sided, v.is_new, v.is_sales_item, v.release_date, v.discontinued_on IS NULL, v.color,
                       v.size, v.price_laden, v.price_handel, v.price_empf, v.price_einkauf, p.sku
                  FROM {s}.products_variantproduct v JOIN {s}.products_parentproduct p ON p.id = v.parent_id
                 WHERE v.sku = '11400-BE'
                """)
                == [
                    "V1|11400-BE|11400|BE|F1|11400-BE|R-77|Holzregal Eiche, beige|Oak shelf, beige|||2.750|RG|f|t|t|t|2013-10-05|t|beige|L|129.90|64.95|139.00|31.10|11400"
                ])
        // The variant code from the number when ArtikelArt is empty; absent prices NULL.
        #expect(
            try setup.query(
                "SELECT base_sku, variant_code, release_date, discontinued_on, price_laden, price_handel IS NULL, is_new FROM {s}.products_variantproduct WHERE sku = '11400-NA'"
            ) == ["11400|NA|2024-12-31|2030-01-01|99.99|t|f"])
        // fk_ArtNr wins over the old number; text numbers are numbers.
        #expect(
            try setup.query(
                "SELECT base_sku, variant_code, weight, release_date FROM {s}.products_variantproduct WHERE sku = '11500-01'"
            ) == ["11500|01|0.800|2020-02-01"])
        #expect(
            try setup.query(
                "SELECT price_laden, price_handel, release_date IS NULL FROM {s}.products_variantproduct WHERE sku = '20003-S'"
            ) == ["13.50|5.00|t"])
        // Active variants only (V4 is not), V5 refused by the seed's validation, V6 waiting
        // for its family; every written variant linked to the family of its base_sku.
        #expect(
            try setup.query("SELECT count(*) FROM {s}.products_variantproduct") == [
                "\(FourDERPFixtures.writtenVariants)"
            ])
        #expect(
            try setup.query(
                "SELECT count(*) FROM {s}.products_variantproduct v JOIN {s}.products_parentproduct p ON p.id = v.parent_id AND p.sku = v.base_sku"
            ) == ["\(FourDERPFixtures.writtenVariants)"])
        #expect(
            try setup.query(
                "SELECT sku FROM {s}.products_variantproduct WHERE sku IN ('11500-99', '11500-02', '90000-XL')")
                == [])

        // Customers by customer_number, amounts exact, '' for missing text, inactive left out.
        #expect(
            try setup.query(
                """
                SELECT legacy_id, customer_number, legacy_address_number, customer_group, delivery_block, price_group,
                       vat_id, payment_method, shipping_method, credit_limit, discount_percentage,
                       payment_terms_discount_days, payment_terms_net_days
                  FROM {s}.sales_customer ORDER BY customer_number
                """)
                == [
                    "K1|10001|501|H|f|2|DE123456789|RE|DHL|12345678.90|2.50|14|30",
                    "K2|10002|502|E|t|||||0.00|||",
                ])
        // Addresses linked to their customer's Django id; the invalid email refused.
        #expect(
            try setup.query(
                """
                SELECT a.legacy_id, a.address_number, c.customer_number, a.company_name, a.company_name_2, a.street,
                       a.postal_code, a.city, a.country, a.phone, a.email
                  FROM {s}.sales_address a JOIN {s}.sales_customer c ON c.id = a.customer_id ORDER BY a.legacy_id
                """)
                == [
                    "A1|501|10001|Möbel Müller GmbH||Hauptstr. 1|50667|Köln|DE|+49 221 1234|info@moebel-mueller.example",
                    "A2|502|10002|Lampen Lutz||Ring 5|80331|München|DE||einkauf@lampen.example",
                ])
        let errors = try setup.ferry(["errors", "list"])
        #expect(errors.stdout.contains("weight is negative"), "\(errors.stdout)")
        #expect(errors.stdout.contains("email is not an address"), "\(errors.stdout)")

        // What was asked of 4D: the seed's `active` filter, ordered by the cursor field,
        // the customers by last_modified, all in one session.
        let variants = try #require(simulator.reads(of: "Artikel_Variante").first)
        #expect(variants.query["$filter"] == "active = true")
        #expect(variants.query["$orderby"] == "modified_date")
        #expect(variants.query["$top"] == "1000")
        #expect(simulator.reads(of: "Kunden").first?.query["$orderby"] == "last_modified")
        #expect(simulator.logins == 1)
    }

    @Test func aRerunChangesNothingAndTheNextRunReadsOnlyWhatChanged() throws {
        let simulator = try FourDERPFixtures.simulator()
        defer { simulator.stop() }
        let setup = try Setup(simulator)
        let first = try setup.ferry(["run"])
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        let versions = try setup.database.versions()

        // Incremental: each table asked only for what changed after its checkpoint.
        let second = try setup.ferry(["run"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(
            simulator.reads(of: "Kunden").last?.query["$filter"]
                == #"(active = true) AND (last_modified > "2025-02-01T00:00:02Z")"#)
        #expect(
            simulator.reads(of: "Artikel_Familie").last?.query["$filter"] == #"modified_date > "2025-01-01T00:00:06Z""#)
        #expect(try setup.database.versions() == versions, "no row was written again")
        // A full run (the nightly one) reads and writes everything again, which repairs rows
        // edited in Django by hand, and leaves the same content.
        let contents = try FourDERPFixtures.contents(setup.database)
        try setup.query("UPDATE {s}.products_variantproduct SET name = 'von Hand' WHERE sku = '11400-BE'")
        let full = try setup.ferry(["run", "--full"])
        #expect(full.status == 3, "V5 is read and refused again: \(full.stderr)")
        #expect(simulator.reads(of: "Kunden").last?.query["$filter"] == "active = true")
        #expect(try FourDERPFixtures.contents(setup.database) == contents)
        // One 4D session served the three runs.
        #expect(simulator.logins == 1)
        let versionsAfterFull = try setup.database.versions()

        // A customer changed in 4D: the next run writes that row, and only it.
        var changed = FourDERPFixtures.customers[1]
        changed["Rabatt"] = "3,75"
        changed["last_modified"] = "2025-02-05T10:00:00Z"
        simulator.upsert("Kunden", [changed])
        #expect(try setup.ferry(["run", "customers"]).status == 0)
        #expect(
            try setup.query("SELECT discount_percentage FROM {s}.sales_customer WHERE customer_number = '10002'") == [
                "3.75"
            ])
        let after = try setup.database.versions()
        #expect(
            Set(after).subtracting(versionsAfterFull).map { $0.split(separator: "|")[0] } == ["sales_customer"],
            "\(Set(after).subtracting(versionsAfterFull))")
    }

    @Test func aVariantWhoseFamilyArrivesInALaterRunWaitsAndIsLinked() throws {
        let simulator = try FourDERPFixtures.simulator()
        defer { simulator.stop() }
        let setup = try Setup(simulator)
        #expect(try setup.ferry(["run"]).status == 3)
        #expect(try setup.query("SELECT count(*) FROM {s}.products_variantproduct WHERE sku = '90000-XL'") == ["0"])
        let status = try setup.ferry(["status"])
        // PIPELINE, LAST RUN, STARTED, DEAD LETTERS, WAITING, CHECKPOINT
        let products = status.stdout.split(separator: "\n").first { $0.hasPrefix("products ") }
        #expect(products?.split(separator: " ").dropFirst(4).first == "1", "one variant waits: \(status.stdout)")

        // Runs without the family keep it waiting, not lost and not a dead letter.
        #expect(try setup.ferry(["run", "product_families", "products"]).status == 0)
        #expect(try setup.query("SELECT count(*) FROM {s}.products_variantproduct WHERE sku = '90000-XL'") == ["0"])

        simulator.upsert("Artikel_Familie", [FourDERPFixtures.lateFamily])
        let run = try setup.ferry(["run", "product_families", "products"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            try setup.query(
                "SELECT v.sku, v.base_sku, p.sku, p.legacy_id FROM {s}.products_variantproduct v JOIN {s}.products_parentproduct p ON p.id = v.parent_id WHERE v.sku = '90000-XL'"
            ) == ["90000-XL|90000|90000|F9"])
        let errors = try setup.ferry(["errors", "list"])
        #expect(!errors.stdout.contains("90000-XL"), "\(errors.stdout)")
    }

    @Test func runningOneEntityReadsOnlyItsTables() throws {
        let simulator = try FourDERPFixtures.simulator()
        defer { simulator.stop() }
        let setup = try Setup(simulator)
        let check = try setup.ferry(["check"])
        #expect(check.status == 0, "the example and its schedules parse: \(check.stdout)\(check.stderr)")
        let (variantReads, familyReads) = (
            simulator.reads(of: "Artikel_Variante").count, simulator.reads(of: "Artikel_Familie").count
        )

        // `run_sync --entity-type=customer`: customers, then their addresses.
        #expect(try setup.ferry(["run", "customers", "addresses"]).status == 3)
        #expect(simulator.reads(of: "Artikel_Variante").count == variantReads)
        #expect(simulator.reads(of: "Artikel_Familie").count == familyReads)
        #expect(try setup.query("SELECT count(*) FROM {s}.sales_address") == ["2"])
        #expect(try setup.query("SELECT count(*) FROM {s}.products_parentproduct") == ["0"])

        // Variants alone, before any family: all wait for their parents.
        let customerReads = simulator.reads(of: "Kunden").count
        #expect(try setup.ferry(["run", "products"]).status == 3, "V5 is refused")
        #expect(try setup.query("SELECT count(*) FROM {s}.products_variantproduct") == ["0"])
        #expect(simulator.reads(of: "Kunden").count == customerReads, "customers were not read again")
        // The families' run brings the parents; the waiting variants follow.
        #expect(try setup.ferry(["run", "product_families", "products"]).status == 0)
        #expect(
            try setup.query("SELECT count(*) FROM {s}.products_variantproduct WHERE parent_id IS NOT NULL") == [
                "\(FourDERPFixtures.writtenVariants)"
            ])
    }

    @Test func aKillMidRunLosesNothing() throws {
        // Four installations, each holding its own 4D session.
        let simulator = try FourDERPFixtures.simulator(licences: 4)
        defer { simulator.stop() }
        // Pages of 3 records, so each pipeline writes several batches.
        let clean = try Setup(simulator, pageSize: 3)
        #expect(try clean.ferry(["run"]).status == 3)
        let expected = try FourDERPFixtures.contents(clean.database)

        for kill in [1, 3, 6] {
            let setup = try Setup(simulator, pageSize: 3, name: "kill\(kill)")
            let killed = try setup.ferry(["run"], extra: setup.sandbox.failPoints("after_write:kill:\(kill)"))
            #expect(killed.status == -9, "killed at the destination's write \(kill): \(killed.stderr)")
            let rerun = try setup.ferry(["run"])
            #expect(rerun.status == 3 || rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
            #expect(try FourDERPFixtures.contents(setup.database) == expected, "killed at write \(kill)")
        }
    }

    @Test func anExpiredSessionLogsInAgainAndTheLicenceLimitIsARetryableError() throws {
        let simulator = try FourDERPFixtures.simulator(licences: 2)
        defer { simulator.stop() }
        let setup = try Setup(simulator)

        // Every licence held elsewhere: the run fails saying so, and writes nothing.
        simulator.holdLicences(2)
        let refused = try setup.ferry(["run", "customers"])
        #expect(refused.status != 0)
        #expect((refused.stdout + refused.stderr).contains("no free session"), "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("[retryable]"), "\(refused.stderr)")
        #expect(try setup.query("SELECT count(*) FROM {s}.sales_customer") == ["0"])

        // The licences free up: the next run (cron's next turn) goes through.
        simulator.holdLicences(0)
        #expect(try setup.ferry(["run", "customers"]).status == 0)
        #expect(simulator.logins == 1)

        // 4D restarted (or the session timed out): 401, one new login, the run goes on;
        // a 503 on the way is retried.
        simulator.expireSessions()
        simulator.failNext("/rest/Adressen", status: 503)
        let run = try setup.ferry(["run", "addresses"])
        #expect(run.status == 3, "A3's email is refused: \(run.stdout)\(run.stderr)")
        #expect(simulator.logins == 2)
        #expect(try setup.query("SELECT count(*) FROM {s}.sales_address") == ["2"])
        // An unknown table is 4D's __ERROR, named in the failure.
        let broken = try setup.sandbox.read("ferry.yaml").replacingOccurrences(
            of: "path: Adressen", with: "path: Adresse")
        try setup.sandbox.write("ferry.yaml", broken)
        let failed = try setup.ferry(["run", "addresses", "--full"])
        #expect(failed.status != 0)
        #expect((failed.stdout + failed.stderr).contains("Dataclass Adresse does not exist"), "\(failed.stderr)")
    }
}
