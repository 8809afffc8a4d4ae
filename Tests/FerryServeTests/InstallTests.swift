import FerryTesting
import Foundation
import Testing

/// `scripts/install.sh` into a temporary prefix, then the demo run from there: the
/// installed `ferry` must find the plugins under PREFIX/lib/ferry/plugins, not beside
/// the build.
@Suite struct InstallTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theInstalledFerryRunsTheDemoWithItsPlugins() throws {
        let sandbox = try Sandbox()
        let prefix = sandbox.path("prefix")
        // The build the tests run on is installed as is (a release build is what users install).
        let configuration = Sandbox.buildFolder.lastPathComponent == "release" ? "release" : "debug"
        let install = try Self.run(
            "/bin/bash",
            [
                Self.repository.appendingPathComponent("scripts/install.sh").path,
                "--prefix", prefix, "--configuration", configuration, "--no-build",
            ])
        #expect(install.status == 0, "\(install.output)")
        let ferry = prefix + "/bin/ferry"
        let version = try Self.run(ferry, ["--version"])
        #expect(
            version.output.wholeMatch(of: #/\d+\.\d+\.\d+ \(plugin ABI 1\.\d+, runtime swift-\d+\.\d+\.\d+\)\n/#)
                != nil, "\(version.output)")
        for file in [
            "share/man/man1/ferry.1", "share/bash-completion/completions/ferry", "share/zsh/site-functions/_ferry",
            "share/fish/vendor_completions.d/ferry.fish", "share/ferry/ferry.service",
            "lib/ferry/plugins/libferry-sqlite.so",
        ] {
            #expect(FileManager.default.fileExists(atPath: prefix + "/" + file), "\(file)")
        }
        let manual = try sandbox.read("prefix/share/man/man1/ferry.1")
        #expect(manual.contains(".SS ferry serve") && manual.contains("\\fB--listen\\fR"))
        let unit = try sandbox.read("prefix/share/ferry/ferry.service")
        #expect(unit.contains("ExecStart=\(prefix)/bin/ferry serve") && unit.contains("NoNewPrivileges=yes"))

        // A Swift plugin project made by the installed copy depends on the installed SDK package,
        // not on the source tree the tests run from.
        #expect(FileManager.default.fileExists(atPath: prefix + "/share/ferry/sdk/FerryPluginSDK/PluginExport.swift"))
        #expect(!FileManager.default.fileExists(atPath: prefix + "/share/ferry/sdk/.build"))
        let scaffold = try Self.run(
            "/bin/sh", ["-c", "cd '\(sandbox.folder.path)' && '\(ferry)' plugins new acme --lang swift"])
        #expect(scaffold.status == 0, "\(scaffold.output)")
        let manifest = try sandbox.read("acme/Package.swift")
        #expect(manifest.contains(#"path: "\#(prefix)/share/ferry/sdk""#), "\(manifest)")

        // The demo, from the installed copy.
        try FileManager.default.copyItem(
            at: Self.repository.appendingPathComponent("examples/demo/data"),
            to: sandbox.folder.appendingPathComponent("demo/data"))
        try FileManager.default.copyItem(
            at: Self.repository.appendingPathComponent("examples/demo/ferry.yaml"),
            to: sandbox.folder.appendingPathComponent("demo/ferry.yaml"))
        let plugins = try Self.run(ferry, ["plugins", "--config", sandbox.path("demo/ferry.yaml")])
        #expect(plugins.output.contains(prefix + "/lib/ferry/plugins/libferry-file.so"), "\(plugins.output)")
        let demo = try Self.run(ferry, ["run", "--config", sandbox.path("demo/ferry.yaml")])
        #expect(demo.status == 3, "the demo ends with its four dead letters on purpose: \(demo.output)")
        #expect(try sandbox.sql("demo/out/warehouse.db", "SELECT COUNT(*) FROM orders;") == ["1719"])

        // `serve` from the installed copy: it carries its API description, with no bundle beside it.
        try sandbox.write("ferry.yaml", "state: state.db\nconnections: {}\npipelines: {}\n")
        let serve = try ServeProcess(sandbox, executable: ferry)
        let (status, _) = try serve.request("GET", "/healthz", token: nil)
        #expect(status == 200)
        let (documentStatus, document) = try serve.raw("GET", "/openapi.yaml")
        #expect(
            documentStatus == 200 && String(decoding: document ?? Data(), as: UTF8.self).hasPrefix("openapi: 3.1.0"))
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("install-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
