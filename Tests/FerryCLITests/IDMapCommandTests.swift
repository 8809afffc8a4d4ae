import FerryTesting
import Foundation
import Testing

/// `ferry idmap`: mappings brought in from any source stream (here a CSV file through the
/// file connector) are listed, shown, exported as CSV, kept per site, and found by lookups.
@Suite struct IDMapCommandTests {
    static func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        try sandbox.write("mapping.csv", "vcom_key,yuman_id\nVC1,101\n\"VC,2\",102\n")
        try sandbox.write(
            "tickets.jsonl", #"{"ticket":1,"system":"VC1"}"# + "\n" + #"{"ticket":2,"system":"VC,2"}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              mapping: { plugin: file, config: { path: mapping.csv } }
              tickets: { plugin: file, config: { path: tickets.jsonl, primary_key: ticket } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              work_orders:
                source: { connection: tickets, stream: tickets }
                destination: { connection: db, stream: work_orders }
                write: upsert
                transforms:
                  - { op: lookup, field: system, scope: yuman/sites, to: site_id, on_missing: dead_letter }
            sites:
              north: {}
            """)
        return sandbox
    }

    @Test func importedMappingsAreListedShownExportedAndFoundByLookups() throws {
        let sandbox = try Self.sandbox()
        let imported = try sandbox.ferry([
            "idmap", "import", "yuman/sites", "--connection", "mapping", "--stream", "mapping",
            "--source-field", "vcom_key", "--destination-field", "yuman_id", "--site", "north",
        ])
        #expect(imported.status == 0, "\(imported.stdout)\(imported.stderr)")
        #expect(imported.stdout.contains("Imported 2 mapping(s) into 'yuman/sites'"))
        let list = try sandbox.ferry(["idmap", "list", "--site", "north"])
        #expect(list.stdout.contains("yuman/sites") && list.stdout.contains("2"), "\(list.stdout)")
        #expect(try sandbox.ferry(["idmap", "list"]).stdout.contains("No ID mappings."), "the default site has none")
        let show = try sandbox.ferry(["idmap", "show", "yuman/sites", "--site", "north", "--json"])
        #expect(
            show.stdout.filter { !$0.isWhitespace }.contains(#""destination_id":"102","source_id":"VC,2""#),
            "\(show.stdout)")
        let export = try sandbox.ferry(["idmap", "export", "yuman/sites", "--site", "north"])
        #expect(export.stdout == "source_id,destination_id\n\"VC,2\",102\nVC1,101\n", "\(export.stdout)")

        let run = try sandbox.ferry(["run", "--site", "north"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT ticket, site_id FROM work_orders ORDER BY ticket;") == [
                "1|101", "2|102",
            ])
    }

    @Test func aRecordWithoutTheFieldsImportsNothingAndSaysWhich() throws {
        let sandbox = try Self.sandbox()
        let bad = try sandbox.ferry([
            "idmap", "import", "yuman/sites", "--connection", "mapping", "--stream", "mapping",
            "--source-field", "vcom_key", "--destination-field", "yuman", "--site", "north",
        ])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("record 1 of mapping/mapping: field 'yuman' is missing"), "\(bad.stderr)")
        #expect(try sandbox.ferry(["idmap", "list", "--site", "north"]).stdout.contains("No ID mappings."))
    }

    @Test func aCSVFileImportsWithoutAConnection() throws {
        let sandbox = try Self.sandbox()
        let imported = try sandbox.ferry([
            "idmap", "import", "yuman/sites", "--file", "mapping.csv",
            "--source-field", "vcom_key", "--destination-field", "yuman_id",
        ])
        #expect(imported.status == 0, "\(imported.stdout)\(imported.stderr)")
        let export = try sandbox.ferry(["idmap", "export", "yuman/sites"])
        #expect(export.stdout == "source_id,destination_id\n\"VC,2\",102\nVC1,101\n", "\(export.stdout)")
        let both = try sandbox.ferry([
            "idmap", "import", "yuman/sites", "--file", "mapping.csv", "--connection", "mapping",
            "--stream", "mapping", "--source-field", "vcom_key", "--destination-field", "yuman_id",
        ])
        #expect(both.status == 64, "one source at a time: \(both.stderr)")
    }
}
