import FerryLoader
import Foundation
import Testing

/// The order, filtering and de-duplication of plugin folders.
@Suite struct PluginSearchPathTests {
    @Test func standardOrder() {
        let path = PluginSearchPath(
            configFolders: ["/opt/a", "rel"],
            configFile: "/etc/ferry/ferry.yaml",
            environment: ["FERRY_PLUGIN_PATH": "/env/one::/env/two:/opt/a"],
            executablePath: "/usr/local/bin/ferry")
        #expect(
            path.folders == [
                "/opt/a", "/etc/ferry/rel", "/env/one", "/env/two", "/etc/ferry/plugins",
                "/usr/local/bin", "/usr/local/lib/ferry/plugins",
            ])
        #expect(path.entries.map(\.kind) == [.plugins, .plugins, .plugins, .plugins, .plugins, .executable, .plugins])
    }

    @Test func withoutConfigOrExecutable() {
        let path = PluginSearchPath(environment: [:], executablePath: nil)
        #expect(path.folders.isEmpty)
    }

    @Test func executableFolderCountsOnlyFerryLibraries() {
        let exe = PluginSearchPath.Folder(path: "/bin", kind: .executable)
        #expect(exe.accepts(fileName: "libferry-cdemo.so"))
        #expect(!exe.accepts(fileName: "libFoundation.so"))
        #expect(!exe.accepts(fileName: "libferry-cdemo.so.1"))
        let plugins = PluginSearchPath.Folder(path: "/p")
        #expect(plugins.accepts(fileName: "anything.so"))
        #expect(!plugins.accepts(fileName: "README.md"))
    }

    @Test func missingFoldersAndSymlinkDuplicatesAreSkipped() throws {
        let real = try Fixtures.makeTemporaryFolder()
        let link = real.deletingLastPathComponent().appendingPathComponent(real.lastPathComponent + "-link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        defer { try? FileManager.default.removeItem(at: link) }
        let path = PluginSearchPath(folders: ["/no/such/folder", real.path, link.path])
        #expect(path.existingFolders().map(\.path) == [real.path])
    }

    @Test func currentExecutableIsKnown() {
        #expect(PluginSearchPath.currentExecutablePath?.hasPrefix("/") == true)
    }
}
