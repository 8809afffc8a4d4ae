import FerryTesting
import Foundation
import Testing

/// A plugin that crashes the host leaves a backtrace naming it, and no memory
/// contents that could carry a secret past redaction.
@Suite struct CrashReportTests {
    /// Without SWIFT_BACKTRACE `ferry` adds it (in a lent slot of the environment, SHLVL's
    /// here); a user's own `registers=all` is overridden in place: `ferry` appends its settings,
    /// and the last one wins.
    @Test(arguments: [nil, "output-to=stderr", "output-to=stderr,registers=all,images=all"])
    func aCrashingPluginLeavesItsBacktraceButNoRegisterMemory(userSettings: String?) throws {
        let secret = "Planted-Env-0042" // 16 bytes: what a register line shows of the memory it points at
        let outcome = try crashingCheck(
            environment: ["FX_SECRET": secret, "SHLVL": "2"], backtraceSettings: userSettings)
        expectNoRegisterMemory(in: outcome, secret: secret)
    }

    /// With no SWIFT_BACKTRACE and no variable to lend its slot, `ferry` starts itself once
    /// more with the settings added, and they are in force just the same.
    @Test func withNothingToLendTheRestartedFerryLeavesNoRegisterMemory() throws {
        let secret = "Planted-Env-0042"
        let outcome = try crashingCheck(
            environment: ["FX_SECRET": secret], backtraceSettings: nil, emptyEnvironment: true)
        expectNoRegisterMemory(in: outcome, secret: secret)
    }

    /// The lent variable is back before any plugin runs, beside the settings; the process was
    /// not started again (the environment it started with has no SWIFT_BACKTRACE).
    @Test func aLentVariableIsBackBeforeAnyPluginRuns() throws {
        let report = try environmentSeenByAPlugin(["SHLVL": "7"])
        #expect(report.contains("SHLVL=7\n"), "\(report)")
        #expect(report.contains("SWIFT_BACKTRACE=registers=none,images=mentioned\n"), "\(report)")
        #expect(report.contains("started with SWIFT_BACKTRACE=no"), "\(report)")
    }

    /// With nothing to lend, the settings arrive by the restart: the environment the process
    /// started with holds them.
    @Test func withNothingToLendTheSettingsArriveByARestart() throws {
        let report = try environmentSeenByAPlugin([:])
        #expect(report.contains("SHLVL=(unset)\n"), "\(report)")
        #expect(report.contains("SWIFT_BACKTRACE=registers=none,images=mentioned\n"), "\(report)")
        #expect(report.contains("started with SWIFT_BACKTRACE=yes"), "\(report)")
    }

    private func expectNoRegisterMemory(in outcome: Sandbox.Outcome, secret: String) {
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
    /// `backtraceSettings` or, when nil, not set at all; with `emptyEnvironment`, `environment`
    /// (and PATH) is all the process gets.
    private func crashingCheck(
        environment: [String: String], backtraceSettings: String?, emptyEnvironment: Bool = false
    ) throws -> Sandbox.Outcome {
        let sandbox = try sandboxWithPlugin(defines: ["FX_OPEN_CRASHES"])
        guard let backtraceSettings else { return try checkWithoutSettings(sandbox, environment, emptyEnvironment) }
        return try sandbox.ferry(
            ["check"], environment: environment.merging(["SWIFT_BACKTRACE": backtraceSettings]) { $1 })
    }

    /// What a plugin's `open` sees of the environment when `ferry check` starts without
    /// SWIFT_BACKTRACE and with `environment` alone (and PATH).
    private func environmentSeenByAPlugin(_ environment: [String: String]) throws -> String {
        let sandbox = try sandboxWithPlugin(defines: ["FX_OPEN_REPORTS_ENVIRONMENT"])
        let reportPath = sandbox.path("environment.txt")
        let outcome = try checkWithoutSettings(
            sandbox, environment.merging(["FX_ENV_REPORT": reportPath]) { $1 }, true)
        guard let report = try? String(contentsOfFile: reportPath, encoding: .utf8) else {
            Issue.record("the plugin wrote no report: \(outcome.stderr)")
            return ""
        }
        return report
    }

    /// `ferry check` with SWIFT_BACKTRACE unset; with `emptyEnvironment`, `environment` and PATH
    /// are the whole environment.
    private func checkWithoutSettings(
        _ sandbox: Sandbox, _ environment: [String: String], _ emptyEnvironment: Bool
    ) throws -> Sandbox.Outcome {
        guard emptyEnvironment else {
            return try sandbox.run(
                "/usr/bin/env", ["-u", "SWIFT_BACKTRACE", Sandbox.ferryExecutable, "check"], environment: environment)
        }
        let assignments = (environment.merging(["PATH": "/usr/bin:/bin"]) { $1 }).map { "\($0.key)=\($0.value)" }
        return try sandbox.run("/usr/bin/env", ["-i"] + assignments + [Sandbox.ferryExecutable, "check"])
    }

    /// A sandbox whose only connection's plugin is the fixture built with `defines`.
    private func sandboxWithPlugin(defines: [String]) throws -> Sandbox {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.path("plugins"), withIntermediateDirectories: true)
        try Fixtures.buildFixture(
            at: URL(fileURLWithPath: sandbox.path("plugins/libcrasher.so")), name: "crasher", defines: defines)
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              broken: { plugin: crasher }
            pipelines:
              p: { source: { connection: broken, stream: s }, destination: { connection: broken } }
            """)
        return sandbox
    }
}
