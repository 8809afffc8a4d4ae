import FerryTesting
import Foundation
import Testing

/// `ferry plugins test` through the real binary: a plugin that keeps the contract
/// passes every check and the crash kit; each deliberately broken build of the same
/// plugin fails, for its own reason; the first-party plugins pass.
@Suite struct ConformanceKitTests {
    @Test func aPluginThatKeepsTheContractPassesEveryCheckAndTheCrashKit() throws {
        let sandbox = try Sandbox()
        let plugin = try KitPlugin.build(in: sandbox)
        let run = try sandbox.ferry(["plugins", "test", plugin, "--seed", "42"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        for check in [
            "spec", "open", "discover", "read", "checkpoints", "cancel", "unknown stream", "write", "errors", "memory",
            "leaks",
        ] {
            #expect(run.stdout.contains("ok    \(check)\n"), "\(check): \(run.stdout)")
        }
        #expect(run.stdout.contains("ok    crash kit (seed 42)"), "\(run.stdout)")
        #expect(run.stdout.contains("kit: every check passed."))
    }

    @Test(arguments: [
        ("BREAK_SPEC_JSON", "FAIL  spec: spec is not valid JSON"),
        ("BREAK_SPEC_SCHEMA", #"FAIL  spec: spec: config.type is not a JSON Schema type: "map""#),
        ("BREAK_COUNT", "FAIL  read: batch 1: record_count is 8 but the batch holds 7 record lines"),
        ("BREAK_NEWLINE", "FAIL  read: batch 1: the batch does not end with a newline"),
        ("BREAK_CHECKPOINT", "FAIL  checkpoints: reading from the checkpoint of batch 2"),
        ("BREAK_CANCEL", "FAIL  cancel: read_next after cancel returned a batch of 7 records, expected cancelled"),
        (
            "BREAK_ERROR",
            "FAIL  errors: open returned invalid but error.status is ok; open returned invalid without an error message"
        ),
        ("BREAK_RELEASE", "FAIL  memory: read_next: the batch's release did not set release to NULL"),
        (
            "BREAK_WRITE_COUNTS",
            "FAIL  write: write: accepted_count 19 + rejected_count 0 is not the batch's 20 records"
        ),
    ])
    func aBrokenPluginFailsForItsReason(define: String, message: String) throws {
        let sandbox = try Sandbox()
        let plugin = try KitPlugin.build(in: sandbox, breaking: define)
        let run = try sandbox.ferry(["plugins", "test", plugin, "--crash-rounds", "0"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains(message), "\(run.stdout)")
        #expect(run.stdout.contains("kit: 1 check(s) failed."), "\(run.stdout)")
    }

    /// A batch release that never frees: the heap grows by the stream's size on every read.
    @Test func aPluginThatLeaksItsBatchesFailsTheLeakCheck() throws {
        let sandbox = try Sandbox()
        let plugin = try KitPlugin.build(in: sandbox, breaking: "BREAK_LEAK")
        let config = try sandbox.write("config.json", #"{"count": 200}"#)
        let run = try sandbox.ferry(["plugins", "test", plugin, "--config", config, "--crash-rounds", "0"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(
            run.stdout.contains("FAIL  leaks: after each of 6 rounds of reading 'items' whole (200 records"),
            "\(run.stdout)")
        #expect(run.stdout.contains("the plugin keeps memory it no longer uses"), "\(run.stdout)")
        #expect(run.stdout.contains("kit: 1 check(s) failed."), "\(run.stdout)")
    }

    /// One byte written past a block: unchecked it passes by luck; under glibc's checking
    /// allocator (the default) the checks die at the faulty free, and the kit names the check.
    @Test func aPluginThatWritesPastItsBlockFailsUnderTheCheckingAllocator() throws {
        let sandbox = try Sandbox()
        let plugin = try KitPlugin.build(in: sandbox, breaking: "BREAK_OVERFLOW")
        let run = try sandbox.ferry(["plugins", "test", plugin, "--crash-rounds", "0"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Allocator: glibc's checking malloc"), "\(run.stdout)")
        #expect(
            run.stdout.contains("FAIL  read: the checks died of SIGABRT under glibc's checking allocator"),
            "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("libferry-kit.so: the checks stopped in 'read'."), "\(run.stdout)")

        let unchecked = try sandbox.ferry(["plugins", "test", plugin, "--crash-rounds", "0", "--no-malloc-check"])
        #expect(unchecked.stdout.contains("Allocator: unchecked (--no-malloc-check)"), "\(unchecked.stdout)")
        #expect(!unchecked.stdout.contains("died of"), "\(unchecked.stdout)")
    }

    @Test func aSourceWhoseReReadDiffersFailsTheCrashKit() throws {
        let sandbox = try Sandbox()
        let plugin = try KitPlugin.build(in: sandbox, breaking: "BREAK_REREAD")
        let run = try sandbox.ferry(["plugins", "test", plugin, "--seed", "7", "--crash-rounds", "3"])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("ok    checkpoints"), "conformance alone cannot see it: \(run.stdout)")
        #expect(run.stdout.contains("FAIL  crash kit (seed 7): after kills at"), "\(run.stdout)")
        #expect(run.stdout.contains("the uninterrupted run 20 (20 missing or changed"), "\(run.stdout)")
    }

    @Test func aConfigThatIsNoObjectIsRefusedWithItsFile() throws {
        let sandbox = try Sandbox()
        let plugin = try KitPlugin.build(in: sandbox)
        let config = try sandbox.write("config.json", "[1, 2]")
        let run = try sandbox.ferry(["plugins", "test", plugin, "--config", config])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--config \(config) does not hold a JSON object"), "\(run.stderr)")
    }

    @Test(arguments: [
        ("libferry-cdemo.so", #"{"count": 30}"#), ("libferry-demo.so", #"{"count": 30}"#),
        ("libferry-sqlite.so", #"{"path": "SANDBOX/kit.db"}"#),
    ])
    func aFirstPartyPluginPasses(file: String, config: String) throws {
        let sandbox = try Sandbox()
        // An absolute path: the crash kit runs `ferry` in a scratch folder of its own.
        let configFile = try sandbox.write(
            "config.json", config.replacingOccurrences(of: "SANDBOX", with: sandbox.folder.path))
        let plugin = Sandbox.buildFolder.appendingPathComponent(file).path
        let run = try sandbox.ferry(["plugins", "test", plugin, "--config", configFile, "--seed", "3"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stdout.contains("FAIL"), "\(run.stdout)")
    }
}
