import FerryTesting
import Foundation
import Testing

/// Every plugin library `swift build` leaves beside `ferry` exports its entry point and
/// nothing else: the Swift connectors through the version script
/// `Plugins/ferry-plugin.exports`, the C reference through `-fvisibility=hidden`. A
/// plugin exporting its SDK would let two plugins (or a plugin and the host) interpose
/// each other's symbols.
@Suite struct ExportedSymbolsTests {
    /// The first-party plugins that must be there, so the test cannot pass on an empty folder.
    static let expected = [
        "demo", "cdemo", "file", "sqlite", "rest", "postgres", "influxdb", "postgrest", "wattivahti",
    ]

    /// The built plugin libraries beside the test bundle.
    static func builtPlugins() throws -> [URL] {
        let folder = Sandbox.buildFolder
        return try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix("libferry-") && $0.hasSuffix(".so") }.sorted()
            .map { folder.appendingPathComponent($0) }
    }

    /// The names a library exports: the global and weak definitions of its dynamic symbol
    /// table (`nm -D --defined-only`). The linker keeps some Swift metadata there with LOCAL
    /// binding (lowercase type letters: relocations refer to them), which no other object
    /// can bind to, so they are not exports.
    static func exportedSymbols(of library: URL) throws -> [String] {
        try Sandbox.outputLines(of: "/usr/bin/env", ["nm", "-D", "--defined-only", library.path])
            .compactMap { line -> String? in
                let fields = line.split(separator: " ")
                guard fields.count >= 3, let type = fields[fields.count - 2].first else { return nil }
                return type.isUppercase || "uvw".contains(type) ? String(fields[fields.count - 1]) : nil
            }
    }

    @Test func everyFirstPartyPluginIsBuilt() throws {
        let names = try Self.builtPlugins().map {
            $0.deletingPathExtension().lastPathComponent.replacingOccurrences(of: "libferry-", with: "")
        }
        for name in Self.expected { #expect(names.contains(name), "libferry-\(name).so missing: \(names)") }
    }

    @Test func eachPluginExportsOnlyItsEntryPoint() throws {
        let libraries = try Self.builtPlugins()
        try #require(!libraries.isEmpty)
        for library in libraries {
            let symbols = try Self.exportedSymbols(of: library)
            #expect(symbols == ["ferry_plugin_v1"], "\(library.lastPathComponent) exports \(symbols.prefix(20))")
        }
    }
}
