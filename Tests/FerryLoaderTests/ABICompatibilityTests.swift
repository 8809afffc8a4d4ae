import FerryTesting
import Foundation
import Testing

/// The compatibility promise: a plugin built once against ABI 1.1 (the C reference
/// connector, checked in as `Tests/Fixtures/abi-1.1/libferry-cdemo.so`, never rebuilt)
/// still loads and syncs in every later host. Its README says how it was built.
@Suite struct ABICompatibilityTests {
    static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/abi-1.1/libferry-cdemo.so")

    /// A sandbox whose `plugins/` folder holds a copy of the frozen binary, which wins
    /// over the freshly built cdemo beside `ferry` (an earlier folder wins a name).
    static func sandbox(count: Int) throws -> Sandbox {
        let sandbox = try Sandbox()
        let plugins = sandbox.folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture, to: plugins.appendingPathComponent("libferry-cdemo.so"))
        try config(sandbox, count: count)
        return sandbox
    }

    static func config(_ sandbox: Sandbox, count: Int) throws {
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              numbers: { plugin: cdemo, config: { count: \(count), batch_size: 7 } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
            pipelines:
              copy:
                source: { connection: numbers, stream: numbers }
                destination: { connection: db, stream: numbers }
                write: upsert
                primary_key: [id]
            """)
    }

    @Test func theFrozenBinaryIsTheOneLoaded() throws {
        let sandbox = try Self.sandbox(count: 1)
        let listed = try sandbox.ferry(["plugins", "info", "cdemo", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains(sandbox.path("plugins/libferry-cdemo.so")), "\(listed.stdout)")
        #expect(
            listed.stdout.contains(#""abi" : "1.1""#) || listed.stdout.contains(#""abi": "1.1""#), "\(listed.stdout)")
    }

    @Test func theFrozenBinarySyncsAndResumesFromItsCheckpoint() throws {
        let sandbox = try Self.sandbox(count: 20)
        let first = try sandbox.ferry(["run"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(
            try sandbox.sql("out/db.sqlite", "SELECT COUNT(*), MIN(id), MAX(id), SUM(value) FROM numbers;") == [
                "20|1|20|420"
            ])
        #expect(try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints;") == [#"{"last_id":20}"#])

        // Five more records: the next run starts from the stored checkpoint and reads only those.
        try Self.config(sandbox, count: 25)
        let second = try sandbox.ferry(["run", "--json"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains(#""read":5"#) || second.stdout.contains(#""read" : 5"#), "\(second.stdout)")
        #expect(try sandbox.sql("out/db.sqlite", "SELECT COUNT(*), MAX(id) FROM numbers;") == ["25|25"])
    }
}
