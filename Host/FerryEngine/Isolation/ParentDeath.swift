import Glibc

/// Makes the plugin-host child end with its host: the kernel sends it SIGKILL when the
/// host process dies (`PR_SET_PDEATHSIG`), so a killed `ferry` leaves no plugin running.
enum ParentDeath {
    private static let setDeathSignal: Int32 = 1 // PR_SET_PDEATHSIG, <linux/prctl.h>

    /// Arms the death signal, then checks the host still lives: it may have died before.
    static func follow(_ parent: Int32) {
        // prctl is variadic, which Swift does not import: called through its address with
        // the fixed arguments it takes for this option.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") {
            _ = unsafeBitCast(symbol, to: Prctl.self)(setDeathSignal, UInt(SIGKILL), 0, 0, 0)
        }
        if getppid() != parent { _exit(0) }
    }
}
