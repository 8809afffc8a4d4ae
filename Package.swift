// swift-tools-version:6.1
// The whole build: the stable plugin ABI (PluginAPI/), the host (Host/), every
// first-party connector as its own dynamic library (Plugins/), and the tests.
import PackageDescription

/// A first-party connector: one folder under Plugins/, one `libferry-<name>.so`.
/// The host finds these beside its own executable, so `swift build` is enough.
/// `exclude` names sub-folders that hold other targets (a connector's own C module).
func connector(_ folder: String, target: String, dependencies: [Target.Dependency] = [], exclude: [String] = []) -> (
    Product, Target
) {
    (
        .library(name: "ferry-\(folder)", type: .dynamic, targets: [target]),
        .target(
            name: target,
            dependencies: ["FerryPluginSDK", "FerryTime", "FerryBuild"] + dependencies,
            path: "Plugins/\(folder)",
            exclude: ["README.md"] + exclude
        )
    )
}

let swiftPlugins = [
    connector("demo", target: "DemoPlugin"),
    connector("file", target: "FilePlugin"),
    connector("sqlite", target: "SQLitePlugin", dependencies: ["CSQLite", "FerrySQLite"]),
    connector("rest", target: "RESTPlugin"),
    connector("postgres", target: "PostgresPlugin", dependencies: ["CLibPQ"], exclude: ["CLibPQ"]),
    connector("influxdb", target: "InfluxDBPlugin"),
    connector("postgrest", target: "PostgRESTPlugin"),
    connector("wattivahti", target: "WattiVahtiPlugin"),
]

let package = Package(
    name: "Ferry",
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        .executable(name: "ferry-bench", targets: ["FerryBench"]),
        .library(name: "FerryPluginSDK", targets: ["FerryPluginSDK"]),
        // The C reference connector, built by SwiftPM's clang from plain C.
        .library(name: "ferry-cdemo", type: .dynamic, targets: ["CDemoPlugin"]),
    ] + swiftPlugins.map(\.0),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `ferry serve` only: its HTTP API and metrics. The plugin SDK never depends on these.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: PluginAPI: the C ABI, the JSON codec and the Swift SDK for connector authors.
        .target(name: "CFerryPlugin", path: "PluginAPI/CFerryPlugin"),
        .target(name: "FerryJSON", path: "PluginAPI/FerryJSON"),
        .target(name: "FerryTime", path: "PluginAPI/FerryTime"),
        .target(name: "FerryURL", path: "PluginAPI/FerryURL"),
        // Ferry's version (one header, read by C and Swift) and the Swift runtime tag.
        .target(name: "CFerryVersion", path: "PluginAPI/CFerryVersion"),
        .target(name: "FerryBuild", dependencies: ["CFerryVersion"], path: "PluginAPI/FerryBuild"),
        // SQLite's C API and one small wrapper of it, for the host's state store and the sqlite connector alike.
        .systemLibrary(
            name: "CSQLite", path: "PluginAPI/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "FerrySQLite", dependencies: ["CSQLite"], path: "PluginAPI/FerrySQLite"),
        .target(
            name: "FerryPluginSDK", dependencies: ["CFerryPlugin", "FerryJSON", "FerryBuild", "FerryURL"],
            path: "PluginAPI/FerryPluginSDK"),

        // MARK: Host: the ferry executable and its modules, lightest first.
        .target(
            name: "FerryCore",
            dependencies: [
                "FerryJSON", "FerryTime", .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/FerryCore"
        ),
        .systemLibrary(
            name: "CCurl", path: "Host/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "FerryState", dependencies: ["FerryCore", "CSQLite", "FerrySQLite"], path: "Host/FerryState"),
        // The shared state store on PostgreSQL (`state: postgres://…`); the connector's libpq module, reused.
        .target(name: "FerryStatePostgres", dependencies: ["FerryCore", "CLibPQ"], path: "Host/FerryStatePostgres"),
        .target(
            name: "FerryHTTP",
            dependencies: [
                "FerryCore", "CCurl", "FerryJSON", "FerryURL", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/FerryHTTP"
        ),
        .target(
            name: "FerryLoader", dependencies: ["FerryCore", "CFerryPlugin", "FerryBuild"], path: "Host/FerryLoader"),
        .target(
            name: "FerryEngine",
            dependencies: [
                "FerryCore", "FerryState", "FerryStatePostgres", "FerryHTTP", "FerryLoader", "CFerryPlugin",
                "FerryPluginSDK", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/FerryEngine"
        ),
        // `ferry serve`: the schedule (pure, clock-injected) and the service around it.
        .target(
            name: "FerrySchedule", dependencies: ["FerryCore", "FerryTime"], path: "Host/FerrySchedule",
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(
            name: "FerryServe",
            dependencies: [
                "FerrySchedule", "FerryEngine", "FerryCore", "FerryJSON", "FerryHTTP", "CCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/FerryServe",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "FerryCLI",
            dependencies: [
                "FerryEngine", "FerryBuild", "FerryServe", "FerrySchedule", "CFerryPlugin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Host/FerryCLI"
        ),
        .executableTarget(name: "ferry", dependencies: ["FerryCLI"], path: "Host/ferry"),

        // MARK: Plugins
        // libpq for the postgres connector: its own module inside the connector's folder.
        .systemLibrary(
            name: "CLibPQ", path: "Plugins/postgres/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "CDemoPlugin", dependencies: ["CFerryPlugin", "CFerryVersion"], path: "Plugins/cdemo",
            exclude: ["README.md"], publicHeadersPath: ".", cSettings: [.unsafeFlags(["-fvisibility=hidden"])]),

        // MARK: Benchmarks
        .executableTarget(
            name: "FerryBench",
            dependencies: [
                "FerryEngine", "FerryCore", "FerryLoader", "FerryPluginSDK", "CFerryPlugin", "FerryJSON", "FerryState",
                "FerryStatePostgres",
            ],
            path: "Benchmarks/FerryBench"),

        // MARK: Tests
        // Helpers shared by the test targets: a sandbox folder that runs the real `ferry`.
        .target(
            name: "FerryTesting", dependencies: ["FerryHTTP", .product(name: "Logging", package: "swift-log")],
            path: "Tests/FerryTesting"),
        .testTarget(name: "FerryJSONTests", dependencies: ["FerryJSON"], path: "Tests/FerryJSONTests"),
        .testTarget(
            name: "FerryPluginSDKTests", dependencies: ["FerryPluginSDK", "FerryJSON"],
            path: "Tests/FerryPluginSDKTests"),
        .testTarget(name: "FerryCoreTests", dependencies: ["FerryCore"], path: "Tests/FerryCoreTests"),
        .testTarget(
            name: "FerryHTTPTests", dependencies: ["FerryHTTP", "FerryEngine", "FerryTesting"],
            path: "Tests/FerryHTTPTests"),
        .testTarget(
            name: "FerryStateTests", dependencies: ["FerryState", "FerryStatePostgres", "FerrySQLite", "CLibPQ"],
            path: "Tests/FerryStateTests"),
        .testTarget(
            name: "FerryLoaderTests",
            dependencies: ["FerryLoader", "FerryEngine", "FerryCLI", "FerryTesting", "FerryBuild"],
            path: "Tests/FerryLoaderTests"),
        .testTarget(
            name: "FerryEngineTests",
            dependencies: ["FerryEngine", "FerryCore", "FerryJSON", "FerryPluginSDK", "FerryTesting"],
            path: "Tests/FerryEngineTests"),
        // The command line as a user meets it: the real `ferry` in a sandbox, help texts against golden files.
        .testTarget(
            name: "FerryCLITests", dependencies: ["FerryCLI", "FerryTesting"], path: "Tests/FerryCLITests",
            exclude: ["Golden"]),
        .testTarget(
            name: "PluginTests",
            dependencies: ["FerryEngine", "FerryHTTP", "CLibPQ", "FerryTesting", "WattiVahtiPlugin"],
            path: "Tests/Plugins"),
        .testTarget(
            name: "FerryScheduleTests", dependencies: ["FerrySchedule", "FerryCore"], path: "Tests/FerryScheduleTests",
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(
            name: "FerryServeTests",
            dependencies: [
                "FerryServe", "FerrySchedule", "FerryEngine", "FerryTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Yams", package: "Yams"),
            ],
            path: "Tests/FerryServeTests", swiftSettings: [.swiftLanguageMode(.v6)]),
    ] + swiftPlugins.map(\.1),
    swiftLanguageModes: [.v6]
)
