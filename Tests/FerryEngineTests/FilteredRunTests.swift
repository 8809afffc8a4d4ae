import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Testing

@testable import FerryEngine

/// `--filter FIELD=VALUE`: how an argument is read, what a record must hold to match, and
/// the runs a filter must never make (a mirror's deletions), through the real `ferry`.
@Suite struct FilteredRunTests {
    @Test func anArgumentSplitsAtItsFirstEqualsSign() throws {
        #expect(try RecordFilter(parsing: "Nummer=11400-BE") == RecordFilter(field: "Nummer", value: "11400-BE"))
        #expect(try RecordFilter(parsing: "query=a=b") == RecordFilter(field: "query", value: "a=b"))
        #expect(try RecordFilter(parsing: "note=") == RecordFilter(field: "note", value: ""))
        #expect(throws: RunOptionError.self) { try RecordFilter(parsing: "Nummer") }
        #expect(throws: RunOptionError.self) { try RecordFilter(parsing: " =x") }
        #expect(throws: RunOptionError.self) {
            try RecordFilter.validate([RecordFilter(field: "a", value: "1"), RecordFilter(field: "a", value: "2")])
        }
    }

    @Test func valuesCompareAsTextAndMissingFieldsNeverMatch() throws {
        let record = try JSONParser().parse(
            #"{"Nummer": " 11400-BE ", "KundenNr": 10002, "active": true, "price": 12.5, "gone": null}"#)
        #expect(RecordFilter(field: "KundenNr", value: "10002").matches(record))
        #expect(!RecordFilter(field: "KundenNr", value: "10002.0").matches(record))
        #expect(RecordFilter(field: "active", value: "true").matches(record))
        #expect(RecordFilter(field: "price", value: "12.5").matches(record))
        #expect(!RecordFilter(field: "Nummer", value: "11400-BE").matches(record), "no trimming")
        #expect(RecordFilter(field: "Nummer", value: " 11400-BE ").matches(record))
        #expect(!RecordFilter(field: "gone", value: "").matches(record))
        #expect(!RecordFilter(field: "missing", value: "").matches(record))
    }

    @Test func aMirrorPipelineRefusesAFilterAndDeletesNothing() throws {
        let sandbox = try Sandbox()
        try sandbox.write("data/people.jsonl", #"{"id":1,"name":"Aino"}"# + "\n" + #"{"id":2,"name":"Eero"}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              people: { plugin: file, config: { path: data/people.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              people:
                source: { connection: people, stream: people }
                destination: { connection: db, stream: people }
                write: mirror
                primary_key: [id]
            """)
        #expect(try sandbox.ferry(["run"]).status == 0)
        let refused = try sandbox.ferry(["run", "people", "--filter", "id=1"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("mirrors its source (write: mirror) and would delete every other record"))
        #expect(try sandbox.sql("out/db.sqlite", "SELECT id FROM people ORDER BY id") == ["1", "2"])
    }
}
