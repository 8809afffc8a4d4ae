import FerryTesting
import Foundation
import Testing

/// `isolation: process` end to end: the real `ferry`, each isolated connection's plugin in
/// a child `ferry plugin-host`. A plugin that segfaults fails its own pipeline only, with
/// its name and signal, and costs nothing committed; an isolated sync matches in-process.
@Suite(.serialized) struct ProcessIsolationTests {
    /// The flaky C source (isolated) into SQLite, and a second pipeline in the same run: demo's
    /// source through demo's transform (both isolated) into SQLite.
    static func sandbox(isolation: String = "process") throws -> Sandbox {
        let sandbox = try FlakySource.sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              api: { plugin: flaky, isolation: \(isolation), config: { path: \(sandbox.path("data/records.txt")) } }
              db: { plugin: sqlite, config: { path: out/db.sqlite } }
              counter: { plugin: demo, isolation: \(isolation), config: { count: 30 } }
              tagger: { plugin: demo, isolation: \(isolation), config: { tag: checked } }
            pipelines:
              copy:
                source: { connection: api, stream: records }
                destination: { connection: db, stream: records }
                write: upsert
                primary_key: [seq]
                batch_size: 10
                commit_seconds: 1s
              numbers:
                source: { connection: counter, stream: numbers }
                destination: { connection: db, stream: numbers }
                write: upsert
                transform_plugins: [tagger]
            """)
        return sandbox
    }

    static func count(_ sandbox: Sandbox, _ query: String) throws -> Int {
        Int(try sandbox.sql("out/db.sqlite", query).first ?? "") ?? -1
    }

    /// The live `ferry plugin-host` processes serving a plugin file under `folder`.
    static func pluginHosts(under folder: URL) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let arguments = String(decoding: data, as: UTF8.self).split(separator: "\0").map(String.init)
            guard arguments.contains("plugin-host"), arguments.contains(where: { $0.hasPrefix(folder.path) }) else {
                return nil
            }
            return pid
        }
    }

    @Test func aSegfaultingSourceFailsItsPipelineOnlyAndARerunDeliversEveryRecordOnce() throws {
        let sandbox = try Self.sandbox()
        try sandbox.write("data/records.txt.faults", "segfault_at 3\n")
        let crashed = try sandbox.ferry(["run"])
        // The host survived the plugin's segfault: it reports and exits 1 (a pipeline failed).
        #expect(crashed.status == 1, "\(crashed.stdout)\(crashed.stderr)")
        #expect(
            crashed.stderr.contains("plugin 'flaky' (process isolation) died of SIGSEGV during read_next"),
            "\(crashed.stderr)")
        // Two batches were committed before the crash, nothing of the third.
        #expect(try Self.count(sandbox, "SELECT COUNT(*) FROM records") == 20)
        // The other pipeline of the same run went on.
        #expect(try Self.count(sandbox, "SELECT COUNT(*) FROM numbers") == 30)
        #expect(Self.pluginHosts(under: sandbox.folder).isEmpty)

        try FileManager.default.removeItem(atPath: sandbox.path("data/records.txt.faults"))
        let rerun = try sandbox.ferry(["run"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try Self.count(sandbox, "SELECT COUNT(*) FROM records") == 100)
        #expect(try Self.count(sandbox, "SELECT COUNT(DISTINCT seq) FROM records") == 100)
        let seqs = try sandbox.sql("out/db.sqlite", "SELECT seq FROM records ORDER BY seq").compactMap { Int($0) }
        #expect(seqs == Array(1...100))
    }

    @Test func anIsolatedSyncWritesWhatAnInProcessSyncWrites() throws {
        var tables: [[String]] = []
        for isolation in ["in_process", "process"] {
            let sandbox = try Self.sandbox(isolation: isolation)
            let run = try sandbox.ferry(["run"])
            #expect(run.status == 0, "\(isolation): \(run.stdout)\(run.stderr)")
            tables.append(
                try sandbox.sql("out/db.sqlite", "SELECT * FROM records ORDER BY seq")
                    + sandbox.sql("out/db.sqlite", "SELECT * FROM numbers ORDER BY id"))
            // demo's open counts its openings in host state: the isolated plugin reached the host's store.
            let opened = try sandbox.sql(
                "state.db", "SELECT value FROM kv WHERE scope = 'connection:counter' AND key = 'opened'")
            #expect(opened.first.flatMap { Int($0) } ?? 0 >= 1, "\(isolation): \(opened)")
        }
        #expect(tables[0].count == 130)
        #expect(tables[0].filter { $0.hasSuffix("|checked") }.count == 30, "\(tables[0].suffix(3))")
        #expect(tables[0] == tables[1])
    }

    @Test func thePluginHostDiesWithAKilledFerry() throws {
        let sandbox = try Self.sandbox()
        // The child is inside read_next, not reading its socket, when its host is killed:
        // only the death signal the kernel sends it (PR_SET_PDEATHSIG) ends it.
        try sandbox.write("data/records.txt.faults", "hang_at 3\n")
        let process = try sandbox.start(["run", "copy"])
        try sandbox.waitForMark("data/records.txt.hanging")
        #expect(Self.pluginHosts(under: sandbox.folder).count == 1)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // This bound only ends a hung test; the kernel kills the orphan at once.
        waitUntil(within: 30) { Self.pluginHosts(under: sandbox.folder).isEmpty }
        #expect(Self.pluginHosts(under: sandbox.folder).isEmpty)

        try FileManager.default.removeItem(atPath: sandbox.path("data/records.txt.faults"))
        let rerun = try sandbox.ferry(["run", "copy"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try Self.count(sandbox, "SELECT COUNT(*) FROM records") == 100)
        #expect(try Self.count(sandbox, "SELECT COUNT(DISTINCT seq) FROM records") == 100)
    }

    @Test func aCtrlCReachesTheIsolatedPluginAsCancel() throws {
        let sandbox = try Self.sandbox()
        // The third read_next waits until the plugin's cancel slot is called: only a cancel
        // passed on to the child ends it.
        try sandbox.write("data/records.txt.faults", "hang_at 3\n")
        let process = try sandbox.start(["run", "copy"])
        try sandbox.waitForMark("data/records.txt.hanging")
        // The third read runs ahead of the writes: wait until the two batches read before it are
        // committed (`commit_seconds` after the first write), or the Ctrl-C may stop the run
        // between them (batch 2 is then read again by the next run: right, but not this test's).
        waitUntil(within: 60) { (try? Self.count(sandbox, "SELECT COUNT(*) FROM records")) == 20 }
        kill(process.processIdentifier, SIGINT)
        // The bound only ends a hung test; a cancel reaches the plugin within milliseconds.
        waitUntil(within: 60) { !process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(try Self.count(sandbox, "SELECT COUNT(*) FROM records") == 20)
        // The child's read answered the cancel: the run stopped, it did not fail.
        #expect(try sandbox.sql("state.db", "SELECT status FROM runs") == ["cancelled"])
        #expect(Self.pluginHosts(under: sandbox.folder).isEmpty)
    }

    @Test func aBadIsolationValueIsAConfigErrorAtItsLine() throws {
        let sandbox = try Self.sandbox(isolation: "proces")
        for command in [["check"], ["run"]] {
            let outcome = try sandbox.ferry(command)
            #expect(outcome.status == 2, "\(command): \(outcome.stdout)\(outcome.stderr)")
            #expect(
                outcome.stderr.contains(
                    "ferry.yaml:3:25: connections.api.isolation: expected one of in_process, process, got 'proces'; did you mean 'process'?"
                ), "\(outcome.stderr)")
        }
    }
}
