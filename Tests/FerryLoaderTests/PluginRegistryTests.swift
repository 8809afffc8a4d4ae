import FerryBuild
import FerryLoader
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every way a plugin file or folder can be refused: each error is one line
/// naming the file and the problem, and a good plugin beside it still loads.
@Suite struct PluginRegistryTests {
    /// Discovers `folder` (with a good plugin copied in) and checks the one refusal.
    ///
    /// - Returns: the refusal, for further checks.
    @discardableResult
    func expectRefusal(
        of bad: URL, in folder: URL, kind: PluginLoadError.Kind, mentions: [String],
        loader: PluginLoader = PluginLoader(), good: URL? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> PluginLoadError? {
        if good == nil { try Fixtures.copyGoodPlugin(into: folder) }
        let found = PluginRegistry.discover(searchPath: PluginSearchPath(folders: [folder.path]), loader: loader)
        #expect(
            found.plugins.map(\.name) == ["good"], "the good plugin must still load", sourceLocation: sourceLocation)
        #expect(found.errors.count == 1, "\(found.errors)", sourceLocation: sourceLocation)
        let error = try #require(found.errors.first, sourceLocation: sourceLocation)
        let line = error.description
        #expect(error.kind == kind, "\(line)", sourceLocation: sourceLocation)
        #expect(line.hasPrefix(bad.path + ": "), "\(line)", sourceLocation: sourceLocation)
        #expect(!line.contains("\n"), sourceLocation: sourceLocation)
        for word in mentions {
            #expect(line.contains(word), "'\(word)' missing from: \(line)", sourceLocation: sourceLocation)
        }
        return error
    }

    @Test func textFileNamedSO() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("notes.so")
        try "hello, this is text\n".write(to: bad, atomically: true, encoding: .utf8)
        try expectRefusal(of: bad, in: folder, kind: .notELF, mentions: ["not an ELF shared object", "hello, t"])
    }

    @Test func emptyFileNamedSO() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("empty.so")
        _ = FileManager.default.createFile(atPath: bad.path, contents: Data())
        try expectRefusal(of: bad, in: folder, kind: .notELF, mentions: ["not an ELF shared object"])
    }

    @Test func executableCopiedAsSO() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("ls.so")
        try FileManager.default.copyItem(atPath: "/bin/ls", toPath: bad.path)
        try expectRefusal(of: bad, in: folder, kind: .notSharedLibrary, mentions: ["executable, not a shared library"])
    }

    @Test func otherArchitecture() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("arm.so")
        var bytes = try Data(contentsOf: Fixtures.goodPlugin.get())
        bytes[18] = 183
        bytes[19] = 0
        try bytes.write(to: bad)
        try expectRefusal(
            of: bad, in: folder, kind: .wrongArchitecture, mentions: ["built for aarch64, this host is x86_64"])
    }

    @Test func missingDependency() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let libraries = try Fixtures.makeTemporaryFolder()
        let dependency = libraries.appendingPathComponent("libdep.so")
        try Fixtures.buildDependency(at: dependency)
        let bad = folder.appendingPathComponent("needsdep.so")
        try Fixtures.buildFixture(
            at: bad, name: "needsdep", defines: ["FX_NEEDS_DEP"], linkArguments: ["-L", libraries.path, "-ldep"])
        try FileManager.default.removeItem(at: dependency)
        try expectRefusal(of: bad, in: folder, kind: .missingDependency, mentions: ["missing dependency", "libdep.so"])
    }

    @Test func unresolvedSymbol() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("undefined.so")
        try Fixtures.buildFixture(at: bad, name: "undefined", defines: ["FX_UNDEFINED"])
        try expectRefusal(
            of: bad, in: folder, kind: .unresolvedSymbol, mentions: ["unresolved symbol", "ferry_fixture_nowhere"])
    }

    @Test func noEntrySymbol() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("noentry.so")
        try Fixtures.buildFixture(at: bad, name: "noentry", defines: ["FX_NO_ENTRY"])
        try expectRefusal(
            of: bad, in: folder, kind: .noEntrySymbol,
            mentions: ["not a Ferry plugin: no symbol 'ferry_plugin_v1'", "FERRY_EXPORT"])
    }

    @Test func wrongMajor() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("major2.so")
        try Fixtures.buildFixture(at: bad, name: "major2", defines: ["FX_MAJOR=2"])
        try expectRefusal(
            of: bad, in: folder, kind: .incompatibleABI,
            mentions: ["built for Ferry ABI 2.", "this host speaks ABI 1."])
    }

    @Test func minorBelowFloor() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let good = folder.appendingPathComponent("libgood.so")
        try Fixtures.buildFixture(at: good, name: "good", defines: ["FX_MINOR=1"])
        let bad = folder.appendingPathComponent("minor0.so")
        try Fixtures.buildFixture(at: bad, name: "minor0", defines: ["FX_MINOR=0"])
        let loader = PluginLoader(minimumMinor: 1, hostMinor: 1)
        try expectRefusal(
            of: bad, in: folder, kind: .incompatibleABI, mentions: ["ABI 1.0", "at least 1.1"],
            loader: loader, good: good)
    }

    @Test func swiftRuntimeMismatch() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("oldswift.so")
        try Fixtures.buildFixture(at: bad, name: "oldswift", defines: [#"FX_RUNTIME="swift-5.9.0""#])
        try expectRefusal(
            of: bad, in: folder, kind: .runtimeMismatch,
            mentions: ["swift-5.9.0", SwiftRuntime.tag, "toolchain"])
    }

    @Test func matchingSwiftRuntimeAndOtherRuntimesLoad() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        try Fixtures.buildFixture(
            at: folder.appendingPathComponent("same.so"), name: "same",
            defines: ["FX_RUNTIME=\"\(SwiftRuntime.tag)\""])
        try Fixtures.buildFixture(
            at: folder.appendingPathComponent("rusty.so"), name: "rusty", defines: [#"FX_RUNTIME="rust""#])
        let found = PluginRegistry.discover(searchPath: PluginSearchPath(folders: [folder.path]))
        #expect(found.errors.isEmpty, "\(found.errors)")
        #expect(found.plugins.map(\.runtime) == ["rust", SwiftRuntime.tag])
    }

    @Test func runtimeTagIsThisCompilersVersion() {
        #expect(SwiftRuntime.tag.hasPrefix("swift-6."))
        #if compiler(>=6.3.1) && !compiler(>=6.3.2)
            #expect(SwiftRuntime.tag == "swift-6.3.1")
        #endif
    }

    @Test func initFailsWithMessage() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("nolicence.so")
        try Fixtures.buildFixture(at: bad, name: "nolicence", defines: ["FX_INIT_FAILS"])
        try expectRefusal(
            of: bad, in: folder, kind: .initFailed,
            mentions: ["init failed with FERRY_ERR_INVALID (-1): no licence key in FX_LICENCE"])
    }

    @Test func missingRequiredSlot() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("nowrite.so")
        try Fixtures.buildFixture(at: bad, name: "nowrite", defines: ["FX_NO_WRITE"])
        try expectRefusal(
            of: bad, in: folder, kind: .invalidTable, mentions: ["'nowrite'", "source, destination", "no write"])
    }

    @Test func invalidName() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("upper.so")
        try Fixtures.buildFixture(at: bad, name: "Upper Case")
        try expectRefusal(of: bad, in: folder, kind: .invalidDescriptor, mentions: ["'Upper Case'", "[a-z0-9_-]+"])
    }

    @Test func unknownCapabilityBits() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = folder.appendingPathComponent("caps.so")
        try Fixtures.buildFixture(at: bad, name: "caps", defines: ["FX_CAPS=33"])
        try expectRefusal(of: bad, in: folder, kind: .invalidDescriptor, mentions: ["unknown capability bits 0x21"])
    }

    @Test func duplicateNameNamesBothFiles() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let first = try Fixtures.copyGoodPlugin(into: folder, as: "a.so")
        let second = try Fixtures.copyGoodPlugin(into: folder, as: "b.so")
        try Fixtures.buildFixture(at: folder.appendingPathComponent("c.so"), name: "other")
        let found = PluginRegistry.discover(searchPath: PluginSearchPath(folders: [folder.path]))
        #expect(found.plugins.map(\.name) == ["good", "other"])
        #expect(found.plugin(named: "good")?.path == first.path)
        let error = try #require(found.errors.first)
        #expect(found.errors.count == 1)
        #expect(error.kind == .duplicateName)
        #expect(error.description.hasPrefix(second.path + ": "))
        #expect(error.description.contains(first.path))
    }

    @Test func duplicateAcrossFoldersKeepsSearchOrder() throws {
        let early = try Fixtures.makeTemporaryFolder(), late = try Fixtures.makeTemporaryFolder()
        let winner = try Fixtures.copyGoodPlugin(into: early)
        let loser = try Fixtures.copyGoodPlugin(into: late)
        let found = PluginRegistry.discover(
            searchPath: PluginSearchPath(folders: [early.path, late.path]))
        #expect(found.plugins.map(\.path) == [winner.path])
        #expect(found.errors.map(\.path) == [loser.path])
    }

    @Test func worldWritableFolderIsRefused() throws {
        let unsafe = try Fixtures.makeTemporaryFolder(), safe = try Fixtures.makeTemporaryFolder()
        try Fixtures.copyGoodPlugin(into: unsafe, as: "libunsafe.so")
        let good = try Fixtures.copyGoodPlugin(into: safe)
        chmod(unsafe.path, 0o777)
        let found = PluginRegistry.discover(
            searchPath: PluginSearchPath(folders: [unsafe.path, safe.path]))
        #expect(found.plugins.map(\.path) == [good.path])
        let error = try #require(found.errors.first)
        #expect(found.errors.count == 1)
        #expect(error.kind == .unsafeLocation)
        #expect(error.description.hasPrefix(unsafe.path + ": refusing plugin folder: it is world-writable (mode 777)"))
        #expect(error.description.contains("chmod o-w"))
    }

    @Test func worldWritableFileIsRefused() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let bad = try Fixtures.copyGoodPlugin(into: folder, as: "open.so")
        chmod(bad.path, 0o666)
        try expectRefusal(
            of: bad, in: folder, kind: .unsafeLocation, mentions: ["refusing plugin file", "world-writable"])
    }

    @Test(.enabled(if: geteuid() == 0, "chown to another user needs root"))
    func folderOwnedByAnotherUserIsRefused() throws {
        let foreign = try Fixtures.makeTemporaryFolder(), safe = try Fixtures.makeTemporaryFolder()
        try Fixtures.copyGoodPlugin(into: foreign, as: "libforeign.so")
        let good = try Fixtures.copyGoodPlugin(into: safe)
        let nobody = getpwnam("nobody").map { $0.pointee.pw_uid } ?? 65534
        try #require(chown(foreign.path, nobody, gid_t(nobody)) == 0)
        let found = PluginRegistry.discover(
            searchPath: PluginSearchPath(folders: [foreign.path, safe.path]))
        #expect(found.plugins.map(\.path) == [good.path])
        let error = try #require(found.errors.first)
        #expect(error.kind == .unsafeLocation)
        #expect(error.description.hasPrefix(foreign.path + ": refusing plugin folder: it is owned by nobody"))
    }

    @Test func selectionInitialisesOnlyWantedPlugins() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        try Fixtures.copyGoodPlugin(into: folder)
        try Fixtures.buildFixture(
            at: folder.appendingPathComponent("libfailing.so"), name: "failing", defines: ["FX_INIT_FAILS"])
        let found = PluginRegistry.discover(
            searchPath: PluginSearchPath(folders: [folder.path]), only: ["good", "absent"])
        #expect(found.plugins.map(\.name) == ["good"])
        // "failing" was probed but its init (which would fail) never ran.
        #expect(found.errors.isEmpty, "\(found.errors)")
        #expect(found.unselected.map(\.descriptor.name) == ["failing"])
        #expect(found.missing == ["absent"])
    }

    @Test func loaderOpensEachPathOnce() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let path = try Fixtures.copyGoodPlugin(into: folder).path
        let first = try PluginLoader().load(path: path)
        let second = try PluginLoader().load(path: path)
        #expect(first.api == second.api)
    }
}
