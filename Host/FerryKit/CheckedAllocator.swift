import Foundation

/// Runs `ferry plugins test` again, in a child process, under glibc's checking allocator
/// (`libc_malloc_debug.so.0` preloaded, `glibc.malloc.check=3`, freed memory filled with a
/// pattern): a plugin that writes past a block it allocated, frees one twice or frees what
/// it did not allocate is stopped at the faulty call instead of passing by luck, and the
/// parent names the check the crash happened in. Where the library is missing (another C
/// library), the checks run in place, unchecked, and say so.
public enum CheckedAllocator {
    /// Set in the child: the checks already run under the checking allocator.
    static let markerVariable = "FERRY_KIT_ALLOCATOR"
    /// The file the child writes the name of each check into as it starts.
    static let progressVariable = "FERRY_KIT_PROGRESS"

    /// True in the child process.
    public static var isActive: Bool { ProcessInfo.processInfo.environment[markerVariable] == "checked" }

    /// glibc's debugging allocator, where this system has it.
    public static var library: String? {
        let folders = [
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/lib64", "/usr/lib64", "/lib", "/usr/lib",
        ]
        return folders.map { "\($0)/libc_malloc_debug.so.0" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// What the child's end looked like.
    public struct Outcome {
        /// The exit status, when it exited.
        public var status: Int32?
        /// The signal that killed it, when one did.
        public var signal: Int32?
        /// The check running when it ended.
        public var lastCheck: String?
    }

    /// Runs this `ferry` again with the same arguments under the checking allocator, its
    /// output going where this process's goes.
    /// - Parameter library: ``library``.
    public static func rerun(preloading library: String) throws -> Outcome {
        let progress = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-kit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: progress) }
        var environment = ProcessInfo.processInfo.environment
        environment[markerVariable] = "checked"
        environment[progressVariable] = progress.path
        environment["LD_PRELOAD"] = ([library] + [environment["LD_PRELOAD"]].compactMap { $0 }).joined(separator: ":")
        // check=3: report and abort on the first inconsistency; perturb: freed memory reads as 0xA5.
        let tunables = "glibc.malloc.check=3:glibc.malloc.perturb=165"
        environment["GLIBC_TUNABLES"] = [environment["GLIBC_TUNABLES"], tunables].compactMap { $0 }.joined(
            separator: ":")
        // The kit names the crash; a backtrace of the host's frames would bury glibc's one line.
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "enable=no" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = Array(CommandLine.arguments.dropFirst())
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        let lastCheck = (try? String(contentsOf: progress, encoding: .utf8)).flatMap { $0.isEmpty ? nil : $0 }
        if process.terminationReason == .uncaughtSignal {
            return Outcome(status: nil, signal: process.terminationStatus, lastCheck: lastCheck)
        }
        return Outcome(status: process.terminationStatus, signal: nil, lastCheck: lastCheck)
    }

    /// Notes the check starting now, for the parent to name if the process dies in it.
    public static func note(check: String) {
        guard let path = ProcessInfo.processInfo.environment[progressVariable] else { return }
        try? check.write(toFile: path, atomically: false, encoding: .utf8)
    }

}
