import FerryLoader
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Another user swapping a plugin file while the host checks and loads it: what
/// was checked must be what runs, or nothing runs. Each test swaps in a loop on
/// a second thread while the loader probes a bounded number of times.
@Suite struct PluginLoadRaceTests {
    static let attempts = 300

    /// Renames two hard-linked files over `target`, alternately, until stopped.
    final class Swapper: Sendable {
        private let stopped = Mutex(false)
        private let finished = Mutex(false)

        init(target: URL, alternatives: [URL]) {
            let thread = Thread { [self] in
                var index = 0
                while !stopped.withLock({ $0 }) {
                    let temporary = target.path + ".swap"
                    unlink(temporary)
                    link(alternatives[index % alternatives.count].path, temporary)
                    rename(temporary, target.path)
                    index += 1
                }
                finished.withLock { $0 = true }
            }
            thread.start()
        }

        /// Stops the loop and waits until the thread has left it.
        func stop() {
            stopped.withLock { $0 = true }
            while !finished.withLock({ $0 }) { sched_yield() }
        }
    }

    /// Builds two plugins (not named `*.so`, so no discovery picks them up) to swap.
    static func buildPair(in folder: URL, names: (String, String)) throws -> (URL, URL) {
        let first = folder.appendingPathComponent("\(names.0).keep")
        let second = folder.appendingPathComponent("\(names.1).keep")
        try Fixtures.buildFixture(at: first, name: names.0)
        try Fixtures.buildFixture(at: second, name: names.1)
        return (first, second)
    }

    @Test func aSymlinkIntoAFolderOthersCanWriteIsRefusedWhileItsTargetIsSwapped() throws {
        let plugins = try Fixtures.makeTemporaryFolder()
        let open = try Fixtures.makeTemporaryFolder()
        let (innocent, evil) = try Self.buildPair(in: open, names: ("innocent", "evil"))
        let target = open.appendingPathComponent("target.so")
        try FileManager.default.copyItem(at: innocent, to: target)
        let link = plugins.appendingPathComponent("libswapped.so")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        // Any user may now replace target.so: the folder the symlink points into is world-writable.
        try #require(chmod(open.path, 0o777) == 0)

        let swapper = Swapper(target: target, alternatives: [evil, innocent])
        var refusals = 0
        var loaded: [String] = []
        for _ in 0..<Self.attempts {
            do {
                loaded.append(try PluginLoader().probe(path: link.path).descriptor.name)
            } catch  where error.kind == .unsafeLocation {
                refusals += 1
                #expect(error.description.contains(open.path), "\(error)")
            } catch {
                Issue.record("unexpected: \(error)")
            }
        }
        swapper.stop()
        #expect(loaded.isEmpty, "loaded \(loaded.count) times through an attacker-writable folder")
        #expect(refusals == Self.attempts)
    }

    @Test func aFileSwappedBetweenCheckAndLoadIsNeverLoaded() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let (good, evil) = try Self.buildPair(in: Fixtures.makeTemporaryFolder(), names: ("swapgood", "swapevil"))
        // The evil file fails the checks (world-writable): only a load by path after a check could run it.
        try #require(chmod(evil.path, 0o666) == 0)
        let target = folder.appendingPathComponent("libswap.so")
        try FileManager.default.copyItem(at: good, to: target)

        let swapper = Swapper(target: target, alternatives: [evil, good])
        var names = Set<String>()
        var refusals = 0
        for _ in 0..<Self.attempts {
            do {
                names.insert(try PluginLoader().probe(path: target.path).descriptor.name)
            } catch  where error.kind == .unsafeLocation {
                refusals += 1
            } catch {
                // A rename in flight can make the path vanish for an instant.
                #expect(error.kind == .unreadable, "\(error)")
            }
        }
        swapper.stop()
        #expect(!names.contains("swapevil"), "the swapped-in file ran")
        #expect(names.isSubset(of: ["swapgood"]))
        #expect(refusals + names.count > 0)
    }

    @Test(.enabled(if: geteuid() == 0, "chown to another group needs root"))
    func aFileWritableByANonRootGroupIsRefused() throws {
        let folder = try Fixtures.makeTemporaryFolder()
        let plugin = try Fixtures.copyGoodPlugin(into: folder, as: "libgroup.so")
        let group = getgrnam("nogroup").map { $0.pointee.gr_gid } ?? 65534
        try #require(chown(plugin.path, 0, group) == 0 && chmod(plugin.path, 0o775) == 0)
        let error = try #require(throws: PluginLoadError.self) { try PluginLoader().probe(path: plugin.path) }
        #expect(error.kind == .unsafeLocation)
        #expect(error.description.contains("writable by group"), "\(error)")
        // The same mode with root's group is accepted, as sshd accepts it.
        try #require(chown(plugin.path, 0, 0) == 0)
        #expect(try PluginLoader().probe(path: plugin.path).descriptor.name == "good")
    }
}
