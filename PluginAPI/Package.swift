// swift-tools-version:6.1
// The Ferry plugin SDK: the C ABI header and everything a connector links, as its own
// package with no dependencies, so that a plugin outside this repository depends on
// this folder alone (docs/writing-a-swift-plugin.md). The root package (the host and
// the first-party connectors) depends on it by path.
import PackageDescription

let package = Package(
    name: "PluginAPI",
    products: [
        // What a Swift connector imports: the SDK, the ABI's C types, the JSON codec.
        .library(name: "FerryPluginSDK", targets: ["FerryPluginSDK"]),
        .library(name: "CFerryPlugin", targets: ["CFerryPlugin"]),
        .library(name: "FerryJSON", targets: ["FerryJSON"]),
        // Small leaf modules shared by first-party connectors and the host.
        .library(name: "FerryTime", targets: ["FerryTime"]),
        .library(name: "FerryURL", targets: ["FerryURL"]),
        .library(name: "CFerryVersion", targets: ["CFerryVersion"]),
        .library(name: "FerryBuild", targets: ["FerryBuild"]),
        .library(name: "CSQLite", targets: ["CSQLite"]),
        .library(name: "FerrySQLite", targets: ["FerrySQLite"]),
        .library(name: "CSQLiteBufferedWAL", targets: ["CSQLiteBufferedWAL"]),
    ],
    targets: [
        .target(name: "CFerryPlugin", path: "CFerryPlugin"),
        .target(name: "FerryJSON", path: "FerryJSON"),
        .target(name: "FerryTime", path: "FerryTime"),
        .target(name: "FerryURL", path: "FerryURL"),
        // Ferry's version (one header, read by C and Swift) and the Swift runtime tag.
        .target(name: "CFerryVersion", path: "CFerryVersion"),
        .target(name: "FerryBuild", dependencies: ["CFerryVersion"], path: "FerryBuild"),
        // SQLite's C API and one small wrapper of it, for the host's state store and the sqlite connector alike.
        .systemLibrary(name: "CSQLite", path: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // A VFS that writes each WAL's appended frames a buffer at a time (its header says when it writes).
        .target(name: "CSQLiteBufferedWAL", dependencies: ["CSQLite"], path: "CSQLiteBufferedWAL"),
        .target(name: "FerrySQLite", dependencies: ["CSQLite", "CSQLiteBufferedWAL"], path: "FerrySQLite"),
        .target(
            name: "FerryPluginSDK", dependencies: ["CFerryPlugin", "FerryJSON", "FerryBuild", "FerryURL"],
            path: "FerryPluginSDK"),
    ],
    swiftLanguageModes: [.v6]
)
