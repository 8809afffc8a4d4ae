import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The seed's `run_sync --filters='{"Nummer": "11400-BE"}'` as `ferry run products --filter
/// Nummer=…`, on the real `ferry`, the rest `.so` and the 4D simulator into Django's tables:
/// the filter goes to 4D in `$filter`, only the named record is written, the checkpoint stays
/// (records the filter skipped come with the next run), and bad input is refused clearly.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] != "1", "FERRY_SKIP_POSTGRES=1"))
struct FourDFilterTests {
    typealias Setup = FourDExampleTests.Setup

    func name(_ sku: String, _ setup: Setup) throws -> [String] {
        try setup.query("SELECT name FROM {s}.products_variantproduct WHERE sku = '\(sku)'")
    }

    func changedRows(since versions: [String], _ setup: Setup) throws -> [String] {
        Set(try setup.database.versions()).subtracting(versions).map { String($0.split(separator: "|")[0]) }
    }

    @Test func aFilteredRunWritesOnlyTheNamedRecordAndLeavesTheCheckpoint() throws {
        let simulator = try FourDERPFixtures.simulator()
        defer { simulator.stop() }
        let setup = try Setup(simulator)
        #expect(try setup.ferry(["run"]).status == 3, "V5 is refused")
        let checkpoints = try setup.sandbox.sql("ferry-state.db", "SELECT stream || checkpoint FROM checkpoints")
        var versions = try setup.database.versions()

        // Two variants change in 4D; the user asks for one of them.
        var named = FourDERPFixtures.variants[1]
        named["Bezeichnung"] = "Holzregal Eiche, natur geölt"
        named["modified_date"] = "2025-03-01T00:00:01Z"
        var other = FourDERPFixtures.variants[2]
        other["Bezeichnung"] = "Hängeleuchte Messing, poliert"
        other["modified_date"] = "2025-03-01T00:00:02Z"
        simulator.upsert("Artikel_Variante", [named, other])

        let filtered = try setup.ferry(["run", "products", "--filter", "Nummer=11400-NA"])
        #expect(filtered.status == 0, "\(filtered.stdout)\(filtered.stderr)")
        // Pushed down into 4D's query, beside the stream's own filter, from the start (not the cursor).
        #expect(
            simulator.reads(of: "Artikel_Variante").last?.query["$filter"]
                == #"(active = true) AND (Nummer = "11400-NA")"#)
        #expect(try changedRows(since: versions, setup) == ["products_variantproduct"], "one row rewritten")
        #expect(try name("11400-NA", setup) == ["Holzregal Eiche, natur geölt"])
        #expect(try name("11500-01", setup) == ["Hängeleuchte Messing"], "the other change waits")
        #expect(
            try setup.sandbox.sql("ferry-state.db", "SELECT stream || checkpoint FROM checkpoints") == checkpoints,
            "a filtered run moves no checkpoint")

        // A value the connector does not push down (it holds a quote): the host filters what it reads.
        versions = try setup.database.versions()
        var quoted = FourDERPFixtures.variants[0]
        quoted["Farbe"] = "O'Neill beige"
        quoted["modified_date"] = "2025-03-01T00:00:03Z"
        var unasked = FourDERPFixtures.variants[6]
        unasked["Bezeichnung"] = "Variante 3 S, neu"
        unasked["modified_date"] = "2025-03-01T00:00:04Z"
        simulator.upsert("Artikel_Variante", [quoted, unasked])
        let hostFiltered = try setup.ferry(["run", "products", "--filter", "Farbe=O'Neill beige"])
        #expect(hostFiltered.status == 0, "\(hostFiltered.stdout)\(hostFiltered.stderr)")
        #expect(simulator.reads(of: "Artikel_Variante").last?.query["$filter"] == "active = true")
        #expect(try changedRows(since: versions, setup) == ["products_variantproduct"])
        #expect(
            try setup.query("SELECT color FROM {s}.products_variantproduct WHERE sku = '11400-BE'") == ["O'Neill beige"]
        )
        #expect(try name("20003-S", setup) == ["Variante 3 S"])

        // The next incremental run brings what the filtered runs skipped: their checkpoint stayed behind it.
        let next = try setup.ferry(["run", "products"])
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(try name("11500-01", setup) == ["Hängeleuchte Messing, poliert"])
        #expect(try name("20003-S", setup) == ["Variante 3 S, neu"])
    }

    @Test func badFiltersAndUnknownPipelinesAreRefusedBeforeAnythingIsRead() throws {
        let simulator = try FourDERPFixtures.simulator()
        defer { simulator.stop() }
        let setup = try Setup(simulator)
        let noEquals = try setup.ferry(["run", "products", "--filter", "Nummer"])
        #expect(noEquals.status == 64)
        #expect(
            noEquals.stderr.contains("--filter takes FIELD=VALUE (e.g. Nummer=11400-BE), got 'Nummer'"),
            "\(noEquals.stderr)")
        let noField = try setup.ferry(["run", "products", "--filter", "=11400-BE"])
        #expect(noField.status == 64 && noField.stderr.contains("names no field"), "\(noField.stderr)")
        let twice = try setup.ferry(["run", "products", "--filter", "Nummer=1", "--filter", "Nummer=2"])
        #expect(twice.status == 64 && twice.stderr.contains("names 'Nummer' twice"), "\(twice.stderr)")
        let unnamed = try setup.ferry(["run", "--filter", "Nummer=11400-BE"])
        #expect(unnamed.status == 64 && unnamed.stderr.contains("name them"), "\(unnamed.stderr)")
        let unknown = try setup.ferry(["run", "produkte", "--filter", "Nummer=11400-BE"])
        #expect(unknown.status == 2, "an unknown pipeline, as without --filter")
        #expect(unknown.stderr.contains("no pipeline named 'produkte'"), "\(unknown.stderr)")
        #expect(simulator.reads(of: "Artikel_Variante").isEmpty, "nothing was read")
    }
}
