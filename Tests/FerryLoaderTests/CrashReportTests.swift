import FerryCLI
import FerryTesting
import Foundation
import Testing

/// A plugin that crashes the host leaves a backtrace naming it, and no memory
/// contents that could carry a secret past redaction.
@Suite struct CrashReportTests {
    @Test func aCrashingPluginLeavesItsBacktraceButNoRegisterMemory() throws {
        let secret = "Planted-Env-0042" // 16 bytes: what a register line shows of the memory it points at
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.path("plugins"), withIntermediateDirectories: true)
        try Fixtures.buildFixture(
            at: URL(fileURLWithPath: sandbox.path("plugins/libcrasher.so")), name: "crasher",
            defines: ["FX_OPEN_CRASHES"])
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              broken: { plugin: crasher }
            pipelines:
              p: { source: { connection: broken, stream: s }, destination: { connection: broken } }
            """)
        let outcome = try sandbox.ferry(
            ["check"], environment: ["FX_SECRET": secret, "SWIFT_BACKTRACE": "output-to=stderr"])
        #expect(outcome.status == -SIGSEGV, "\(outcome.stderr)")
        let report = outcome.stderr + outcome.stdout
        #expect(report.contains("Program crashed"), "\(report)")
        #expect(report.contains("fx_open"), "the plugin's symbol is in the backtrace: \(report)")
        #expect(report.contains("libcrasher.so"), "the plugin's file is in the backtrace")
        #expect(!report.contains(secret), "register memory reached the report")
        #expect(!report.contains("Registers:"))
    }

    @Test func theSettingsAreAddedOnceAndKeepTheUsersOwn() {
        #expect(CrashReportSettings.value(replacing: nil) == "registers=none,images=mentioned")
        #expect(CrashReportSettings.value(replacing: "enable=no") == "enable=no,registers=none,images=mentioned")
        #expect(
            CrashReportSettings.value(replacing: "registers=all,images=all")
                == "registers=all,images=all,registers=none,images=mentioned")
        #expect(CrashReportSettings.value(replacing: "enable=no,registers=none,images=mentioned") == nil)
    }
}
