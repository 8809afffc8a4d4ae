import FerryCore
import FerrySQLite
import Foundation
import Testing

@testable import FerryState

/// What only the SQLite store has: a file, its mode, its schema and durability.
@Suite("SQLiteStateStore")
struct SQLiteStateStoreTests {
    let orders = PipelineID(pipeline: "orders")

    private func mode(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Hashes are written in their keys' byte order (SQLite's), equal keys in arrival order so
    /// that the later hash is the one kept: the same order as sorting the UTF-8 bytes stably.
    @Test func hashesAreWrittenInTheKeysByteOrderEqualKeysAsTheyCame() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["1", "10", "9", "\"a\"", "\"a\u{0}\"", "é", "e\u{301}", "ü", "12345678", "123456789", "😀", ""]
        for _ in 0..<50 {
            let hashes = (0..<200).map { index -> (key: String, hash: UInt64) in
                let key = (0..<Int.random(in: 1...3, using: &generator)).map { _ in
                    pieces.randomElement(using: &generator)!
                }.joined()
                return (key, UInt64(index))
            }
            let expected = hashes.indices.sorted { left, right in
                Array(hashes[left].key.utf8).lexicographicallyPrecedes(Array(hashes[right].key.utf8))
            }
            #expect(SQLiteStateStore.keyOrder(hashes) == expected)
        }
    }

    @Test func theDatabaseAndItsWALAndSHMFilesAreCreatedPrivateWhateverTheUmask() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("nested/dir/state.db")
        let previous = umask(0)
        defer { umask(previous) }
        let store = try SQLiteStateStore(path: path)
        let run = try store.beginRun(orders)
        try store.commit(
            BatchCommit(run: run, pipeline: orders, stream: "s", checkpoint: "c", counts: BatchCounts(read: 1)))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(try mode(of: path) == 0o600)
        #expect(try mode(of: path + "-wal") == 0o600)
        #expect(try mode(of: path + "-shm") == 0o600)
        #expect(try mode(of: directory.path("nested/dir")) == 0o700)
        store.close()
    }

    @Test func anExistingFileKeepsItsMode() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.db")
        #expect(
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o400 | 0o200]))
        _ = try SQLiteStateStore(path: path)
        #expect(try mode(of: path) == 0o600)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        _ = try SQLiteStateStore(path: path)
        #expect(try mode(of: path) == 0o640)
    }

    @Test func theConnectionRunsInWALWithFullSyncAndForeignKeys() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.db")
        _ = try SQLiteStateStore(path: path)
        // journal_mode is stored in the file; the others are per connection, so check a connection set up the same way.
        let database = try SQLiteDatabase(path: path)
        #expect(try database.pragma("journal_mode") == "wal")
        #expect(try database.userVersion == SQLiteStateStore.schemaVersion)
        let store = try SQLiteStateStore(path: path)
        let settings = try store.withConnectionForTesting { db in
            (try db.pragma("synchronous"), try db.pragma("foreign_keys"), try db.pragma("busy_timeout"))
        }
        #expect(settings.0 == "2") // FULL
        #expect(settings.1 == "1")
        #expect(settings.2 == "5000")
    }

    @Test func theSchemaIsVersionedAndANewerDatabaseIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.db")
        #expect(SQLiteStateStore.schemaVersion >= 1)
        let store = try SQLiteStateStore(path: path)
        try store.setValue("v", scope: "s", key: "k")
        store.close()
        #expect(throws: StateError.self) { try store.value(scope: "s", key: "k") }

        // Reopening applies nothing twice and keeps the data.
        let reopened = try SQLiteStateStore.open(path: path)
        #expect(try reopened.value(scope: "s", key: "k") == "v")
        reopened.close()

        let database = try SQLiteDatabase(path: path)
        #expect(try database.userVersion == SQLiteStateStore.schemaVersion)
        try database.execute(
            "PRAGMA user_version = \(SQLiteStateStore.schemaVersion + 1)", purpose: "pretend a newer ferry wrote it")
        database.close()
        let error = #expect(throws: StateError.self) { _ = try SQLiteStateStore(path: path) }
        #expect(error?.kind == .storage)
        #expect(error?.description.contains("newer") == true)
        #expect(error?.description.contains(path) == true)
    }

    @Test func aFileThatIsNotADatabaseGivesAClearError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.db")
        try Data(repeating: 0x41, count: 8_192).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StateError.self) { _ = try SQLiteStateStore(path: path) }
        #expect(error?.description.contains("not a database") == true)
    }

    @Test func everythingSurvivesCloseAndReopen() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.db")
        let store = try SQLiteStateStore(path: path)
        let finished = try store.beginRun(orders)
        try store.commit(
            BatchCommit(
                run: finished, pipeline: orders, stream: "items", checkpoint: "cp",
                counts: BatchCounts(read: 3, written: 2),
                idMappings: [("scope", "src", "dst")],
                deadLetters: [
                    DeadLetter(
                        pipeline: orders, stream: "items", stage: "transform", error: "bad",
                        record: "{}", createdAt: 5)
                ],
                hashes: [("a", UInt64.max), ("b", 2)]))
        try store.finishRun(finished, outcome: RunOutcome(status: .deadLettered, message: "1 rejected"))
        try store.setValue("token", scope: "api", key: "refresh")
        let running = try store.beginRun(PipelineID(site: "x", pipeline: "y"))
        store.close()

        let reopened = try SQLiteStateStore(path: path)
        #expect(try reopened.checkpoint(for: orders, stream: "items") == "cp")
        #expect(try reopened.destinationID(scope: "scope", sourceID: "src") == "dst")
        #expect(
            try reopened.recordHashes(for: orders, stream: "items", keys: ["a", "b"]) == ["a": UInt64.max, "b": 2])
        #expect(try reopened.value(scope: "api", key: "refresh") == "token")
        #expect(try reopened.deadLetters(for: orders, includeReplayed: false, limit: 5).map(\.error) == ["bad"])
        let runs = try reopened.recentRuns(of: nil, limit: 5)
        #expect(runs.map(\.id) == [running, finished])
        #expect(
            runs[1].status == .deadLettered && runs[1].message == "1 rejected"
                && runs[1].counts == BatchCounts(read: 3, written: 2))
        // The lease of the still-running run (this live process) survives too.
        let busy = #expect(throws: StateError.self) { _ = try reopened.beginRun(PipelineID(site: "x", pipeline: "y")) }
        #expect(busy?.kind == .pipelineBusy)
    }

    // MARK: A real crash

    /// The child half of `aProcessKilledMidCommitLosesOnlyItsOpenBatch`: commits one
    /// batch, then dies by SIGKILL inside the second batch's transaction.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FERRY_STATE_CRASH_CHILD"] != nil))
    func crashChild() throws {
        let path = try #require(ProcessInfo.processInfo.environment["FERRY_STATE_CRASH_CHILD"])
        let store = try SQLiteStateStore(path: path)
        let run = try store.beginRun(orders)
        try store.commit(
            BatchCommit(
                run: run, pipeline: orders, stream: "items", checkpoint: "batch-1", counts: BatchCounts(read: 1),
                hashes: [("k1", 1)]))
        store.commitFaultHook = { step in
            if step == "removedHashKeys" { _ = kill(getpid(), SIGKILL) }
        }
        try store.commit(
            BatchCommit(
                run: run, pipeline: orders, stream: "items", checkpoint: "batch-2", counts: BatchCounts(read: 1),
                hashes: [("k2", 2)]))
        Issue.record("the child should have been killed")
    }

    @Test func aProcessKilledMidCommitLosesOnlyItsOpenBatch() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("state.db")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = Self.testRunnerArguments(filter: "crashChild")
        child.environment = ProcessInfo.processInfo.environment.merging(["FERRY_STATE_CRASH_CHILD": path]) { $1 }
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        child.waitUntilExit()
        try #require(
            child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL,
            "child ended with \(child.terminationReason) \(child.terminationStatus)")

        let store = try SQLiteStateStore(path: path)
        #expect(try store.checkpoint(for: orders, stream: "items") == "batch-1")
        #expect(try store.recordHashes(for: orders, stream: "items", keys: ["k1", "k2"]) == ["k1": 1])
        // The killed child's lease is taken over, and its run marked as interrupted.
        let run = try store.beginRun(orders)
        let runs = try store.recentRuns(of: orders, limit: 2)
        #expect(runs.map(\.id) == [run, run - 1])
        #expect(runs[1].status == .failed && runs[1].counts.read == 1)
        #expect(runs[1].message?.contains("pid \(child.processIdentifier)") == true)
    }

    /// Arguments that make this test binary run only the tests matching `filter`.
    private static func testRunnerArguments(filter: String) -> [String] {
        var arguments = Array(CommandLine.arguments.dropFirst())
        // Drop the filters and outputs this run was given; keep the rest (such as the testing library).
        var kept: [String] = []
        var index = 0
        let valued: Set<String> = [
            "--filter", "--skip", "--xunit-output", "--event-stream-output-path", "--event-stream-version",
            "--attachments-path", "--configuration-path",
        ]
        while index < arguments.count {
            if valued.contains(arguments[index]) { index += 2; continue }
            kept.append(arguments[index])
            index += 1
        }
        arguments = kept
        if !arguments.contains("--testing-library") { arguments += ["--testing-library", "swift-testing"] }
        return arguments + ["--filter", filter]
    }
}
