import FerryTesting
import Foundation
import Testing

/// `ferry` is linked with its relative relocations packed (`DT_RELR`, Package.swift's
/// `packsRelativeRelocations`): each start then maps and reads 8 KB of them instead of 713 KB.
/// A build that loses the setting (another linker, the flag dropped) still runs, so only the
/// executable's own tables show it.
@Suite struct PackedRelocationsTests {
    static var ferry: String { Sandbox.ferryExecutable }

    @Test func theExecutablePacksItsRelativeRelocations() throws {
        let dynamic = try Sandbox.outputLines(of: "/usr/bin/env", ["readelf", "--dynamic", "--wide", Self.ferry])
        #expect(dynamic.contains { $0.contains("(RELR)") }, "no DT_RELR entry in \(Self.ferry)")
    }

    /// Packed, at most a handful stay in `.rela.dyn` (lld keeps those at odd addresses there):
    /// unpacked there were 29,698.
    @Test func fewRelativeRelocationsAreLeftUnpacked() throws {
        let relocations = try Sandbox.outputLines(of: "/usr/bin/env", ["readelf", "--relocs", "--wide", Self.ferry])
        let unpacked = relocations.filter { $0.contains("R_X86_64_RELATIVE") || $0.contains("R_AARCH64_RELATIVE") }
        #expect(unpacked.count < 100, "\(unpacked.count) relative relocations left in .rela.dyn")
    }
}
