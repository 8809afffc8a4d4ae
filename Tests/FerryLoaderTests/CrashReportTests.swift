import FerryTesting
import Foundation
import Testing

/// A plugin that crashes the host leaves a backtrace naming it, and no memory
/// contents that could carry a secret past redaction.
@Suite struct CrashReportTests {
    /// Without SWIFT_BACKTRACE `ferry` adds it (executing itself again); a user's own
    /// `registers=all` is overridden in place: `ferry` appends its settings, and the last one wins.
    @Test(arguments: [nil, "output-to=stderr", "output-to=stderr,registers=all,images=all"])
    func aCrashingPluginLeavesItsBacktraceButNoRegisterMemory(userSettings: String?) throws {
        let secret = "Planted-Env-0042" // 16 bytes: what a register line shows of the memory it points at
        let outcome = try crashingCheck(environment: ["FX_SECRET": secret], backtraceSettings: userSettings)
        #expect(outcome.status == -SIGSEGV, "\(outcome.stderr)")
        let report = outcome.stderr + outcome.stdout
        #expect(report.contains("Program crashed"), "\(report)")
        #expect(report.contains("fx_open"), "the plugin's symbol is in the backtrace: \(report)")
        #expect(report.contains("libcrasher.so"), "the plugin's file is in the backtrace")
        #expect(!report.contains(secret), "register memory reached the report")
        #expect(!report.contains("Registers:"))
    }

    /// The settings are appended, not substituted: a user who turned the report off keeps it off.
    @Test func aUsersOwnSettingsAreKept() throws {
        let outcome = try crashingCheck(environment: [:], backtraceSettings: "enable=no")
        #expect(outcome.status == -SIGSEGV, "\(outcome.stderr)")
        #expect(!(outcome.stderr + outcome.stdout).contains("Program crashed"), "\(outcome.stderr)")
    }

    /// `ferry check` on a connection whose plugin crashes in `open`, SWIFT_BACKTRACE set to
    /// `backtraceSettings` or, when nil, not set at all.
    private func crashingCheck(environment: [String: String], backtraceSettings: String?) throws -> Sandbox.Outcome {
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
        guard let backtraceSettings else {
            return try sandbox.run(
                "/usr/bin/env", ["-u", "SWIFT_BACKTRACE", Sandbox.ferryExecutable, "check"], environment: environment)
        }
        return try sandbox.ferry(
            ["check"], environment: environment.merging(["SWIFT_BACKTRACE": backtraceSettings]) { $1 })
    }
}
