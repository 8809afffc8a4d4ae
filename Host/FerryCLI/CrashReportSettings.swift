import Foundation

/// How a crash report may look: the backtrace (plugin file, symbol, host frames)
/// and the images it mentions, but no registers.
///
/// Swift's runtime catches a crash (a trap in an in-process plugin kills the
/// host) and prints a report; its default shows each register with the 16
/// bytes of memory it points at, which can be environment text or a token:
/// secrets past the redactor. The runtime reads its settings from
/// `SWIFT_BACKTRACE` once, before `main`, so `ferry` appends its own settings
/// and re-executes itself once, early, when they are not in force yet.
/// Settings are `key=value` pairs where the last one wins, so a user's other
/// settings (`enable=no`, `output-to=stderr`) are kept.
public enum CrashReportSettings {
    /// What `ferry` adds to `SWIFT_BACKTRACE`.
    public static let required = "registers=none,images=mentioned"

    /// The `SWIFT_BACKTRACE` value to run with, or nil when `current` already ends with `required`.
    ///
    /// - Parameter current: the inherited value, if any.
    public static func value(replacing current: String?) -> String? {
        guard let current, !current.isEmpty else { return required }
        if current == required || current.hasSuffix("," + required) { return nil }
        return current + "," + required
    }

    /// Re-executes the running `ferry` with the required settings when they are not in force.
    ///
    /// Returns only when they are in force, or when re-executing failed (then the
    /// process goes on with the runtime's defaults rather than not at all).
    public static func enforce() {
        guard let value = value(replacing: ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"]) else { return }
        setenv("SWIFT_BACKTRACE", value, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
