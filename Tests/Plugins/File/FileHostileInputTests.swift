import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import FerryTesting
import Foundation
import Testing

/// Files written by other tools, or to hurt: a byte order mark at the start,
/// and a record too large to hold.
@Suite struct FileHostileInputTests {
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    @Test func aByteOrderMarkIsNotPartOfTheFirstRecordOrHeader() throws {
        let directory = TemporaryDirectory()
        let jsonl = directory.file("events.jsonl"), csv = directory.file("rows.csv")
        _ = FileManager.default.createFile(
            atPath: jsonl, contents: Data(Self.byteOrderMark + Array("{\"id\":1}\n{\"id\":2}\n".utf8)))
        _ = FileManager.default.createFile(atPath: csv, contents: Data(Self.byteOrderMark + Array("id,v\n1,a\n".utf8)))
        let lines = try FileTest.readAll(try FileTest.open(["path": .string(jsonl)]), ReadRequest(stream: "events"))
            .lines
        #expect(lines == [#"{"id":1}"#, #"{"id":2}"#])
        let rows = try FileTest.readAll(try FileTest.open(["path": .string(csv)]), ReadRequest(stream: "rows")).batches
        #expect(rows.flatMap(\.records) == [["id": 1, "v": "a"]])
        let schema = try FileTest.open(["path": .string(csv)]).discover().streams.first?.schema
        #expect(schema?["properties"]?.objectValue?.keys.first == "id")
    }

    @Test(arguments: [true, false])
    func aFileWithAByteOrderMarkSyncsTheSameWithAndWithoutChangeDetection(changeDetection: Bool) throws {
        let sandbox = try Sandbox()
        _ = FileManager.default.createFile(
            atPath: sandbox.path("in.jsonl"),
            contents: Data(Self.byteOrderMark + Array("{\"id\":1,\"v\":\"a\"}\n{\"id\":2,\"v\":\"b\"}\n".utf8)))
        _ = FileManager.default.createFile(
            atPath: sandbox.path("in.csv"), contents: Data(Self.byteOrderMark + Array("id,v\n1,a\n2,b\n".utf8)))
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              jsonl: { plugin: file, config: { path: in.jsonl, primary_key: id } }
              csv: { plugin: file, config: { path: in.csv, primary_key: id } }
              db: { plugin: sqlite, config: { path: out.db } }
            pipelines:
              from_jsonl: { source: { connection: jsonl, stream: in }, destination: { connection: db, stream: j },
                            write: upsert, change_detection: \(changeDetection) }
              from_csv: { source: { connection: csv, stream: in }, destination: { connection: db, stream: c },
                          write: upsert, change_detection: \(changeDetection) }
            """)
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for table in ["j", "c"] {
            #expect(try sandbox.sql("out.db", "SELECT id || '=' || v FROM \(table) ORDER BY id;") == ["1=a", "2=b"])
        }
    }

    @Test func aRecordOverMaxRecordBytesFailsTheReadNamingTheOffsetAndTheSetting() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("big.jsonl")
        let big = #"{"id":2,"blob":""# + String(repeating: "x", count: 3 << 20) + #""}"#
        FileTest.write(path, "{\"id\":1}\n" + big + "\n{\"id\":3}\n")
        let limited = try FileTest.open(["path": .string(path), "max_record_bytes": .int(1 << 20)])
        let error = try #require(throws: PluginError.self) { try limited.read(ReadRequest(stream: "big")) }
        #expect(error.status == FERRY_ERR_INVALID)
        #expect(
            error.message.contains("record at byte 9 of '\(path)' is larger than max_record_bytes (1048576 bytes)"),
            "\(error)")
        // The default (16 MiB) reads it.
        let lines = try FileTest.readAll(try FileTest.open(["path": .string(path)]), ReadRequest(stream: "big")).lines
        #expect(lines.count == 3)
        let bad = try #require(throws: PluginError.self) {
            try FileTest.open(["path": .string(path), "max_record_bytes": .int(10)])
        }
        #expect(bad.message == "config.max_record_bytes must be at least 1024, got 10", "\(bad)")
    }
}
