import Foundation

/// Where the `ferry` executable that serves `ferry plugin-host` is.
public enum PluginHostExecutable {
    /// `FERRY_PLUGIN_HOST` when set; this process when it is `ferry`; otherwise the `ferry`
    /// beside this process's executable (the benchmark and the test bundle live in the same
    /// build folder as `ferry`).
    public static var path: String {
        if let override = ProcessInfo.processInfo.environment["FERRY_PLUGIN_HOST"], !override.isEmpty {
            return override
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if executable.lastPathComponent == "ferry" { return executable.path }
        return executable.deletingLastPathComponent().appendingPathComponent("ferry").path
    }
}
