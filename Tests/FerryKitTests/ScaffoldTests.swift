import FerryTesting
import Foundation
import Testing

/// `ferry plugins new`: each project builds as is, passes its own test, and passes
/// `ferry plugins test` (the issue's "done means").
@Suite struct ScaffoldTests {
    /// The config `ferry plugins test` opens each kind with.
    static func config(for kind: String, in sandbox: Sandbox) throws -> String {
        switch kind {
        case "destination": try sandbox.write("config.json", #"{"path": "\#(sandbox.path("written.jsonl"))"}"#)
        case "transform": try sandbox.write("config.json", #"{"field": "origin", "value": "kit"}"#)
        default: try sandbox.write("config.json", #"{"count": 40}"#)
        }
    }

    /// The config `ferry plugins test` opens each Swift kind with.
    static func swiftConfig(for kind: String, in sandbox: Sandbox) throws -> String {
        switch kind {
        case "destination": try sandbox.write("config.json", #"{"reject_field": "bad"}"#)
        default: try config(for: kind, in: sandbox)
        }
    }

    @Test(arguments: ["source", "destination", "transform"])
    func aCProjectBuildsPassesItsTestAndTheKit(kind: String) throws {
        let sandbox = try Sandbox()
        let name = "acme-\(kind)"
        let created = try sandbox.ferry(["plugins", "new", name, "--lang", "c", "--kind", kind])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("Created c \(kind) plugin '\(name)'"), "\(created.stdout)")
        let project = sandbox.folder.appendingPathComponent(name)
        for file in [
            "Makefile", "\(name).c", "test/test.c", "include/ferry_plugin.h", "include/ferry_helpers.h", "README.md",
        ] {
            #expect(FileManager.default.fileExists(atPath: project.appendingPathComponent(file).path), "\(file)")
        }
        try Shell.run("/usr/bin/env", ["make"], in: project)
        let tested = try Shell.run("/usr/bin/env", ["make", "test"], in: project)
        #expect(tested.contains("ok: \(name) passed"), "\(tested)")
        let library = project.appendingPathComponent("libferry-\(name).so").path
        let kit = try sandbox.ferry(["plugins", "test", library, "--config", Self.config(for: kind, in: sandbox)])
        #expect(kit.status == 0, "\(kit.stdout)\(kit.stderr)")
        #expect(kit.stdout.contains("\(name): every check passed."), "\(kit.stdout)")
        if kind == "source" { #expect(kit.stdout.contains("ok    crash kit"), "\(kit.stdout)") }
    }

    /// The out-of-tree Swift project builds against the SDK package alone, passes its test
    /// and the kit, and exports its entry point only.
    @Test(arguments: ["source", "destination", "transform"])
    func aSwiftProjectBuildsWithTheSDKPackageAlone(kind: String) throws {
        let sandbox = try Sandbox()
        let name = "acme-swift-\(kind)"
        let created = try sandbox.ferry(["plugins", "new", name, "--lang", "swift", "--kind", kind])
        #expect(created.status == 0, "\(created.stderr)")
        let project = sandbox.folder.appendingPathComponent(name)
        let manifest = try String(contentsOf: project.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(!manifest.contains("url:"), "depends on nothing fetched: \(manifest)")
        try Shell.run("/usr/bin/env", ["swift", "build", "--build-tests"], in: project)
        let resolved = try Shell.run("/usr/bin/env", ["swift", "package", "show-dependencies"], in: project)
        #expect(resolved.contains("pluginapi") || resolved.contains("PluginAPI"), "\(resolved)")
        #expect(!resolved.contains("Yams") && !resolved.contains("swift-argument-parser"), "\(resolved)")
        let tested = try Shell.run("/usr/bin/env", ["swift", "test", "--skip-build"], in: project)
        #expect(tested.contains("passed"), "\(tested)")
        let library = project.appendingPathComponent(".build/debug/libferry-\(name).so").path
        // Global and weak definitions only: lowercase type letters are LOCAL entries (see ExportedSymbolsTests).
        let symbols = try Shell.run("/usr/bin/env", ["nm", "-D", "--defined-only", library])
        let exported = symbols.split(separator: "\n").compactMap { line -> Substring? in
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let type = fields[fields.count - 2].first else { return nil }
            return type.isUppercase || "uvw".contains(type) ? fields[fields.count - 1] : nil
        }
        #expect(exported == ["ferry_plugin_v1"], "\(symbols)")
        let kit = try sandbox.ferry(["plugins", "test", library, "--config", Self.swiftConfig(for: kind, in: sandbox)])
        #expect(kit.status == 0, "\(kit.stdout)\(kit.stderr)")
        #expect(kit.stdout.contains("\(name): every check passed."), "\(kit.stdout)")
    }

    @Test func aBadNameAnExistingFolderOrAMissingSDKIsRefused() throws {
        let sandbox = try Sandbox()
        let bad = try sandbox.ferry(["plugins", "new", "Acme", "--lang", "c"])
        #expect(bad.status == 64, "\(bad.stderr)")
        #expect(bad.stderr.contains("'Acme': a plugin name starts with a lowercase letter"), "\(bad.stderr)")
        try sandbox.write("taken/keep.txt", "mine")
        let taken = try sandbox.ferry(["plugins", "new", "taken", "--lang", "c"])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("\(sandbox.path("taken")) already exists"), "\(taken.stderr)")
        #expect(try sandbox.read("taken/keep.txt") == "mine")
        let noSDK = try sandbox.ferry(["plugins", "new", "lost", "--lang", "swift", "--sdk", sandbox.path("nowhere")])
        #expect(noSDK.status == 2)
        #expect(
            noSDK.stderr.contains("the plugin SDK package is not at \(sandbox.path("nowhere")) (no Package.swift)"),
            "\(noSDK.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("lost")), "nothing is written")
    }
}
