import CStartupPages
import FerryTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Once a run has written its first batch, `ferry` gives back the resident pages of code and
/// read-only data that only its start touched (Host/CStartupPages): clean pages of loaded
/// objects' read-only segments, which the next use maps back from the page cache. A segment with
/// a copied page (a debugger's breakpoint, a uprobe) must keep it.
@Suite struct StartupPagesTests {
    /// `RssFile` of this process, in bytes: the resident pages mapped from files.
    private static func residentFileBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
        let kib = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kib << 10
    }

    @Test func theReadOnlySegmentsOfLoadedObjectsLeaveTheResidentSet() throws {
        let before = try Self.residentFileBytes()
        var result = ferry_startup_pages_release()
        #expect(ferry_release_startup_pages(&result) == 0, "errno \(errno)")
        let after = try Self.residentFileBytes()
        // The test process (Swift's runtime, Foundation, the test library) has megabytes of them.
        #expect(result.released_bytes > 1 << 20, "released \(result.released_bytes) bytes")
        #expect(after < before, "RssFile \(before) → \(after) bytes")
        // The code released is mapped back as it runs again.
        #expect([3, 1, 2].sorted() == [1, 2, 3])
    }

    /// A byte changed in a library's code page (as a debugger's breakpoint is) makes that page a
    /// private copy: releasing it would bring the file's byte back. Its segment is kept.
    @Test func aSegmentWithACopiedPageKeepsIt() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = folder.appendingPathComponent("libcopied.so")
        try Fixtures.buildDependency(at: library)
        let handle = try #require(dlopen(library.path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))
        let function = try #require(dlsym(handle, "ferry_fixture_dep"))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let page = UnsafeMutableRawPointer(bitPattern: Int(bitPattern: function) & ~(pageSize - 1))!
        let byte = function.assumingMemoryBound(to: UInt8.self)
        let original = byte.pointee
        // The function is never called again: its first byte becomes a breakpoint.
        #expect(mprotect(page, pageSize, PROT_READ | PROT_WRITE) == 0)
        byte.pointee = 0xCC
        #expect(mprotect(page, pageSize, PROT_READ | PROT_EXEC) == 0)

        var result = ferry_startup_pages_release()
        #expect(ferry_release_startup_pages(&result) == 0, "errno \(errno)")
        #expect(result.kept_segments >= 1)
        #expect(byte.pointee == 0xCC, "the copied page went back to the file's byte \(original)")
        #expect(original != 0xCC)
    }

    /// The real `ferry`: a run says at debug level what it released, and
    /// `FERRY_KEEP_STARTUP_PAGES=1` keeps the pages; the rows are written either way.
    @Test(arguments: [false, true])
    func aRunReleasesItsStartupPagesUnlessTold(keeps: Bool) throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              file: { plugin: file, config: { path: people.jsonl, primary_key: id } }
              db: { plugin: sqlite, config: { path: out.db } }
            pipelines:
              people: { source: { connection: file, stream: people }, destination: { connection: db, stream: people }, write: upsert }
            """)
        try sandbox.write(
            "people.jsonl", (1...300).map { #"{"id":\#($0),"name":"person \#($0)"}"# }.joined(separator: "\n") + "\n")
        let run = try sandbox.ferry(
            ["run", "--log-level", "debug"], environment: keeps ? ["FERRY_KEEP_STARTUP_PAGES": "1"] : [:])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let log = run.stdout + run.stderr
        let released = log.split(separator: "\n").filter { $0.contains("Start-up pages released.") }
        if keeps {
            #expect(released.isEmpty && log.contains("Start-up pages kept (FERRY_KEEP_STARTUP_PAGES)."), "\(log)")
        } else {
            #expect(released.count == 1, "\(log)")
            let kib = released.first.flatMap { line in
                line.split(separator: " ").first { $0.hasPrefix("released_kib=") }.flatMap {
                    Int($0.dropFirst("released_kib=".count))
                }
            }
            // ferry, Swift's runtime, Foundation, libcurl and SQLite: well over a MiB of them.
            #expect((kib ?? 0) > 1024, "\(released)")
        }
        #expect(try sandbox.sql("out.db", "SELECT count(*) FROM people") == ["300"])
    }
}
