import CStartupPages
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Gives back, once a process's first batch is written, the pages of code and read-only data
/// that only its start needed: the dynamic loader's symbol and relocation tables, the
/// configuration's parsing, the plugins' loading, libcurl's and OpenSSL's set-up; and once more
/// after its first commit group. The kernel maps 64 KiB of file around each page touched, so
/// those pages were more than half of a 1M-record load's resident code at its peak
/// (docs/performance.md, *Start-up pages given back*).
///
/// Only clean pages of read-only segments of loaded objects are released: they stay in the
/// kernel's page cache, and the code the run goes on using is mapped back on its next call, a
/// minor fault a page. `FERRY_KEEP_STARTUP_PAGES=1` keeps them (to compare, or for a tool that
/// counts on them staying mapped).
enum StartupPages {
    /// 0: nothing released yet; 1: released after the first batch; 2: released again after the
    /// first commit group, when that group's one-time work (the first merge's and checkpoint's
    /// set-up) is behind the run too.
    private static let releases = Atomic(0)

    /// Releases the pages after the process's first batch is written, and once more when its first
    /// commit group has committed (`committed`); every other call does nothing.
    static func release(afterBatchCommitting committed: Bool, logger: Logger) {
        let done = releases.load(ordering: .relaxed)
        guard done == 0 || (done == 1 && committed) else { return }
        guard releases.compareExchange(expected: done, desired: done + 1, ordering: .relaxed).exchanged else { return }
        if let keep = getenv("FERRY_KEEP_STARTUP_PAGES").map({ String(cString: $0) }), !keep.isEmpty, keep != "0" {
            if done == 0 { logger.debug("Start-up pages kept (FERRY_KEEP_STARTUP_PAGES).") }
            return
        }
        var result = ferry_startup_pages_release()
        guard ferry_release_startup_pages(&result) == 0 else {
            let code = errno
            logger.debug("Start-up pages kept: this platform cannot release them.", metadata: ["errno": "\(code)"])
            return
        }
        logger.debug(
            done == 0 ? "Start-up pages released." : "Start-up pages released after the first commit.",
            metadata: [
                "released_kib": "\(result.released_bytes >> 10)", "kept_segments": "\(result.kept_segments)",
            ])
    }
}
