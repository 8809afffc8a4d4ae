// swift-tools-version:6.1
// The whole build: the host (Host/), every
// first-party connector as its own dynamic library (Plugins/), and the tests.
// The stable plugin ABI and SDK (PluginAPI/) are their own package, depended on by path.
import PackageDescription

/// A module of the plugin SDK package (PluginAPI/Package.swift).
func sdk(_ module: String) -> Target.Dependency { .product(name: module, package: "PluginAPI") }

/// Every first-party connector exports `ferry_plugin_v1` and nothing else (Plugins/ferry-plugin.exports says why).
let exportsOnlyTheEntryPoint = LinkerSetting.unsafeFlags([
    "-Xlinker", "--version-script=\(Context.packageDirectory)/Plugins/ferry-plugin.exports",
])

/// `ferry` is linked by lld (in the Swift toolchain) with its relative relocations packed
/// (`DT_RELR`, read by glibc 2.36 and later): 29,698 of them take 8 KB instead of 713 KB that
/// every start maps and reads, 0.6–0.9 MiB less resident at start and about 1.2 MiB at a first
/// load's peak (docs/performance.md, *Relative relocations packed*). The toolchain's default
/// linker, gold, cannot pack them.
let packsRelativeRelocations = LinkerSetting.unsafeFlags([
    "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
])

/// The code a run executes, laid out first and together: lld places the functions a
/// `symbol-order.txt` names (the executed ones, hottest first; `scripts/order-symbols.sh` writes
/// it from `callgrind` runs) at the start of `.text`. The kernel maps 64 KiB of cached file around
/// each page of code a process touches, so `ferry`'s executed functions, scattered over 10 MB of
/// code, kept about 4.6 MiB of it resident; laid out together, 2.9–3.2 MiB (docs/performance.md,
/// *Executed code laid out together*). A listed name that a later change renamed is skipped.
func ordersSymbols(by file: String) -> LinkerSetting {
    .unsafeFlags([
        "-use-ld=lld", "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/\(file)",
        "-Xlinker", "--no-warn-symbol-ordering",
    ])
}

/// This package's modules linked into `ferry` or an ordered connector emit a section per
/// function, so that the linker can move each one; other packages' modules move by whole files.
let emitsFunctionSections = SwiftSetting.unsafeFlags(["-Xfrontend", "-function-sections"])

/// The modules linked into `ferry` from this package.
let hostModules: Set<String> = [
    "FerryCore", "FerryState", "FerryStatePostgres", "FerryHTTP", "FerryLoader", "FerryEngine", "FerrySchedule",
    "FerryServe", "FerryKit", "FerryCLI", "ferry",
]

/// A first-party connector: one folder under Plugins/, one `libferry-<name>.so`.
/// The host finds these beside its own executable, so `swift build` is enough.
/// `exclude` names sub-folders that hold other targets (a connector's own C module).
/// `ordered`: the connector's executed code is laid out first, as `ferry`'s is, by the
/// `symbol-order.txt` in its folder (the connectors of the REST → SQLite benchmark).
func connector(
    _ folder: String, target: String, dependencies: [Target.Dependency] = [], exclude: [String] = [],
    ordered: Bool = false
) -> (Product, Target) {
    (
        .library(name: "ferry-\(folder)", type: .dynamic, targets: [target]),
        .target(
            name: target,
            dependencies: [sdk("FerryPluginSDK"), sdk("FerryTime"), sdk("FerryBuild")] + dependencies,
            path: "Plugins/\(folder)",
            exclude: ["README.md"] + exclude + (ordered ? ["symbol-order.txt"] : []),
            swiftSettings: ordered ? [emitsFunctionSections] : [],
            linkerSettings: [exportsOnlyTheEntryPoint]
                + (ordered ? [ordersSymbols(by: "Plugins/\(folder)/symbol-order.txt")] : [])
        )
    )
}

let swiftPlugins = [
    connector("demo", target: "DemoPlugin"),
    connector("file", target: "FilePlugin"),
    connector("sqlite", target: "SQLitePlugin", dependencies: [sdk("CSQLite"), sdk("FerrySQLite")], ordered: true),
    connector("rest", target: "RESTPlugin", ordered: true),
    connector("postgres", target: "PostgresPlugin", dependencies: ["CLibPQ"], exclude: ["CLibPQ"]),
    connector("influxdb", target: "InfluxDBPlugin"),
    connector("postgrest", target: "PostgRESTPlugin"),
    connector("wattivahti", target: "WattiVahtiPlugin"),
    connector("graphql", target: "GraphQLPlugin"),
    // vysync's ticket rules (seed 000): VCOM tickets ↔ Yuman work orders.
    connector("vysync-tickets", target: "VysyncTicketsPlugin"),
]

let package = Package(
    name: "Ferry",
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        .executable(name: "ferry-bench", targets: ["FerryBench"]),
        // The C reference connector, built by SwiftPM's clang from plain C.
        .library(name: "ferry-cdemo", type: .dynamic, targets: ["CDemoPlugin"]),
    ] + swiftPlugins.map(\.0),
    dependencies: [
        // The plugin SDK and the leaf modules host and plugins share: its own package (PluginAPI/Package.swift).
        .package(path: "PluginAPI"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // `ferry serve` only: its HTTP API and metrics. The plugin SDK never depends on these.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: Host: the ferry executable and its modules, lightest first.
        .target(
            name: "FerryCore",
            dependencies: [
                sdk("FerryJSON"), sdk("FerryTime"), .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/FerryCore"
        ),
        .systemLibrary(
            name: "CCurl", path: "Host/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "FerryState", dependencies: ["FerryCore", sdk("CSQLite"), sdk("FerrySQLite")], path: "Host/FerryState"
        ),
        // The shared state store on PostgreSQL (`state: postgres://…`); the connector's libpq module, reused.
        .target(name: "FerryStatePostgres", dependencies: ["FerryCore", "CLibPQ"], path: "Host/FerryStatePostgres"),
        .target(
            name: "FerryHTTP",
            dependencies: [
                "FerryCore", "CCurl", sdk("FerryJSON"), sdk("FerryURL"), sdk("FerryTime"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/FerryHTTP"
        ),
        .target(
            name: "FerryLoader", dependencies: ["FerryCore", sdk("CFerryPlugin"), sdk("FerryBuild")],
            path: "Host/FerryLoader"),
        .target(
            name: "FerryEngine",
            dependencies: [
                "FerryCore", "FerryState", "FerryStatePostgres", "FerryHTTP", "FerryLoader", "CStartupPages",
                sdk("CFerryPlugin"), sdk("FerryPluginSDK"), sdk("FerryTime"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/FerryEngine"
        ),
        // Gives back the pages of code and read-only data that only a process's start touched.
        .target(name: "CStartupPages", path: "Host/CStartupPages"),
        // `ferry serve`: the schedule (pure, clock-injected) and the service around it.
        .target(
            name: "FerrySchedule", dependencies: ["FerryCore", sdk("FerryTime")], path: "Host/FerrySchedule",
            swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(
            name: "FerryServe",
            dependencies: [
                "FerrySchedule", "FerryEngine", "FerryCore", sdk("FerryJSON"), sdk("FerryTime"), "FerryHTTP", "CCurl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Host/FerryServe",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The conformance kit and the crash kit (`ferry plugins test`): any plugin file, through the ABI.
        .target(
            name: "FerryKit",
            dependencies: [
                "CHeapStats", "FerryCore", "FerryLoader", "FerryHTTP", "FerryEngine", sdk("CFerryPlugin"),
                sdk("FerryPluginSDK"), sdk("FerrySQLite"),
            ],
            path: "Host/FerryKit"),
        // The C headers `ferry plugins new --lang c` writes, embedded at build time.
        .target(name: "CFerryTemplates", path: "Host/CFerryTemplates"),
        // glibc's heap statistics (mallinfo2), which Swift's Glibc module does not import.
        .target(name: "CHeapStats", path: "Host/CHeapStats"),
        .target(
            name: "FerryCLI",
            dependencies: [
                "CFerryTemplates", "FerryKit",
                "FerryEngine", sdk("FerryBuild"), sdk("FerryTime"), "FerryServe", "FerrySchedule", sdk("CFerryPlugin"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Host/FerryCLI"
        ),
        // SWIFT_BACKTRACE without registers, set before Swift's runtime starts (ferry's own .preinit_array).
        .target(name: "CCrashReportSettings", path: "Host/CCrashReportSettings"),
        // glibc's malloc thresholds, fixed before any allocation (ferry's own .preinit_array).
        .target(name: "CAllocatorSettings", path: "Host/CAllocatorSettings"),
        .executableTarget(
            name: "ferry", dependencies: ["FerryCLI", "CCrashReportSettings", "CAllocatorSettings"], path: "Host/ferry",
            exclude: ["symbol-order.txt"],
            linkerSettings: [packsRelativeRelocations, ordersSymbols(by: "Host/ferry/symbol-order.txt")]),

        // MARK: Plugins
        // libpq for the postgres connector: its own module inside the connector's folder.
        .systemLibrary(
            name: "CLibPQ", path: "Plugins/postgres/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "CDemoPlugin", dependencies: [sdk("CFerryPlugin"), sdk("CFerryVersion")], path: "Plugins/cdemo",
            exclude: ["README.md"], publicHeadersPath: ".", cSettings: [.unsafeFlags(["-fvisibility=hidden"])],
            // The version script also hides the linker's own `_edata`, `_end` and `__bss_start`.
            linkerSettings: [exportsOnlyTheEntryPoint]),

        // MARK: Benchmarks
        .executableTarget(
            name: "FerryBench",
            dependencies: [
                "FerryEngine", "FerryCore", "FerryLoader", sdk("FerryPluginSDK"), sdk("CFerryPlugin"), sdk("FerryJSON"),
                "FerryState", "FerryStatePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/FerryBench"),

        // MARK: Tests
        // Helpers shared by the test targets: a sandbox folder that runs the real `ferry`.
        .target(
            name: "FerryTesting", dependencies: ["FerryHTTP", .product(name: "Logging", package: "swift-log")],
            path: "Tests/FerryTesting"),
        .testTarget(name: "FerryJSONTests", dependencies: [sdk("FerryJSON")], path: "Tests/FerryJSONTests"),
        .testTarget(
            name: "FerryPluginSDKTests", dependencies: [sdk("FerryPluginSDK"), sdk("FerryJSON")],
            path: "Tests/FerryPluginSDKTests"),
        // `ferry plugins test` and `ferry plugins new` through the real binary.
        .testTarget(name: "FerryKitTests", dependencies: ["FerryTesting"], path: "Tests/FerryKitTests"),
        .testTarget(
            name: "FerryCoreTests",
            dependencies: ["FerryCore", sdk("FerryTime"), .product(name: "Yams", package: "Yams")],
            path: "Tests/FerryCoreTests"),
        .testTarget(
            name: "FerryHTTPTests", dependencies: ["FerryHTTP", "FerryEngine", "FerryTesting"],
            path: "Tests/FerryHTTPTests"),
        .testTarget(
            name: "FerryStateTests", dependencies: ["FerryState", "FerryStatePostgres", sdk("FerrySQLite"), "CLibPQ"],
            path: "Tests/FerryStateTests"),
        .testTarget(
            name: "FerryLoaderTests",
            dependencies: [
                "FerryLoader", "FerryEngine", "FerryCLI", "FerryTesting", sdk("FerryBuild"), "CStartupPages",
            ],
            path: "Tests/FerryLoaderTests"),
        .testTarget(
            name: "FerryEngineTests",
            dependencies: ["FerryEngine", "FerryCore", sdk("FerryJSON"), sdk("FerryPluginSDK"), "FerryTesting"],
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

for target in package.targets where hostModules.contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [emitsFunctionSections]
}
