import FerryTesting
import Foundation
import Testing

/// `ferry` fixes glibc's malloc thresholds before anything allocates (Host/CAllocatorSettings),
/// so freed buffers go back to the system instead of staying resident; a user who set a threshold
/// keeps theirs. Seen from a plugin's `open`, in the real executable.
@Suite struct AllocatorSettingsTests {
    /// With glibc's moving thresholds, freeing an 8 MiB block lifts the threshold past 8 MiB and a
    /// 6 MiB block would come from the heap; `ferry`'s fixed 4 MiB threshold maps it on its own,
    /// and leaves a 2 MiB one to the heap (glibc's own fixed 128 KiB would map it).
    @Test func largeBlocksStayMappedOnTheirOwnAfterALargerOneWasFreed() throws {
        #expect(
            try allocatorReport(environment: [:])
                == "6 MiB mapped on its own: yes\n2 MiB mapped on its own: no\n")
    }

    /// A threshold the user set, either way glibc reads one, is left as it is: 32 MiB here, so the
    /// 6 MiB block comes from the heap.
    @Test(arguments: [
        ["MALLOC_MMAP_THRESHOLD_": "33554432"],
        ["GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432"],
    ])
    func aThresholdTheUserSetIsKept(environment: [String: String]) throws {
        #expect(
            try allocatorReport(environment: environment)
                == "6 MiB mapped on its own: no\n2 MiB mapped on its own: no\n")
    }

    /// What the fixture plugin's `open` reports under `ferry check` with `environment` added.
    private func allocatorReport(environment: [String: String]) throws -> String {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.path("plugins"), withIntermediateDirectories: true)
        try Fixtures.buildFixture(
            at: URL(fileURLWithPath: sandbox.path("plugins/libprobe.so")), name: "probe",
            defines: ["FX_OPEN_REPORTS_ALLOCATOR"])
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              probe: { plugin: probe }
            pipelines:
              p: { source: { connection: probe, stream: s }, destination: { connection: probe } }
            """)
        let reportPath = sandbox.path("allocator.txt")
        let outcome = try sandbox.ferry(
            ["check"], environment: environment.merging(["FX_ALLOCATOR_REPORT": reportPath]) { $1 })
        guard let report = try? String(contentsOfFile: reportPath, encoding: .utf8) else {
            Issue.record("the plugin wrote no report: \(outcome.stderr)")
            return ""
        }
        return report
    }
}
