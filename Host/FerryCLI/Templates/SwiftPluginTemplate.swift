/// The files of a new Swift connector project (`ferry plugins new NAME --lang swift`): a
/// package depending on Ferry's plugin SDK package (`PluginAPI/`) by path and on nothing
/// else, the plugin, a swift-testing test, the version script that keeps the library's
/// one exported symbol, and a README.
enum SwiftPluginTemplate {
    /// The project's files, relative path → content.
    ///
    /// - Parameters:
    ///   - names: the plugin's name in its spellings.
    ///   - kind: what the plugin does.
    ///   - sdkPath: the SDK package's folder (Ferry's `PluginAPI/`).
    static func files(_ names: PluginNames, kind: PluginKind, sdkPath: String) -> [(path: String, content: String)] {
        let module = names.typeName
        return [
            ("Package.swift", names.fill(package).replacingOccurrences(of: "__SDK__", with: sdkPath)),
            ("Sources/\(module)/Plugin.swift", names.fill(plugin(kind))),
            ("Sources/\(module)/Connector.swift", names.fill(connector(kind))),
            ("Tests/\(module)Tests/\(module)Tests.swift", names.fill(testCommon + test(kind))),
            ("exports.map", "{\n    global: ferry_plugin_v1;\n    local: *;\n};\n"),
            ("README.md", names.fill(readme(kind))),
            (".gitignore", ".build/\n.swiftpm/\nPackage.resolved\n"),
        ]
    }

    static let package = """
        // swift-tools-version:6.1
        // __NAME__: a Ferry connector, made by `ferry plugins new`. It depends on Ferry's plugin
        // SDK package alone (no host code, no other packages).
        import PackageDescription

        let package = Package(
            name: "__NAME__",
            products: [
                // `swift build` leaves .build/debug/libferry-__NAME__.so (`-c release`: .build/release/).
                .library(name: "ferry-__NAME__", type: .dynamic, targets: ["__TYPE__"])
            ],
            dependencies: [
                .package(path: "__SDK__")
            ],
            targets: [
                .target(
                    name: "__TYPE__",
                    dependencies: [
                        .product(name: "FerryPluginSDK", package: "PluginAPI"),
                        .product(name: "FerryJSON", package: "PluginAPI"),
                        .product(name: "CFerryPlugin", package: "PluginAPI"),
                    ],
                    // Export ferry_plugin_v1 and nothing else (see exports.map).
                    linkerSettings: [
                        .unsafeFlags(["-Xlinker", "--version-script=\\(Context.packageDirectory)/exports.map"])
                    ]
                ),
                .testTarget(
                    name: "__TYPE__Tests",
                    dependencies: [
                        "__TYPE__",
                        .product(name: "FerryPluginSDK", package: "PluginAPI"),
                        .product(name: "FerryJSON", package: "PluginAPI"),
                        .product(name: "CFerryPlugin", package: "PluginAPI"),
                    ]
                ),
            ],
            swiftLanguageModes: [.v6]
        )

        """

    static func plugin(_ kind: PluginKind) -> String {
        let keys: String
        switch kind {
        case .source:
            keys = """
                        ConfigKey("count", .integer, default: 10, minimum: 0, "How many items the source has."),
                """
        case .destination:
            keys = """
                        ConfigKey("reject_field", .string, example: "bad", "Records where this field is true are rejected."),
                """
        case .transform:
            keys = """
                        ConfigKey("field", .string, default: "source", "The field to set."),
                        ConfigKey("value", .string, default: "__NAME__", "The value to set it to."),
                """
        }
        return """
            import CFerryPlugin
            import FerryJSON
            import FerryPluginSDK

            /// __NAME__: a \(kind.rawValue) made by `ferry plugins new`.
            public enum __TYPE__Plugin: FerryPlugin {
                public typealias Instance = __TYPE__Connector
                public static let name = "__NAME__"
                public static let version = "0.1.0"
                public static let summary = "__NAME__: a \(kind.rawValue) made by ferry plugins new."
                /// The config's keys, declared once: the spec's JSON Schema, the host's check of every
                /// connection's config (at its file:line), `ferry plugins info` and the parsing in
                /// `init(config:host:)` all derive from this table.
                public static let configKeys = ConfigTable([
            \(keys)
                ])

                public static func open(config: JSONObject, host: HostServices) throws -> __TYPE__Connector {
                    try __TYPE__Connector(config: config, host: host)
                }
            }

            /// The exported entry point: the only symbol the host looks up (it must be public).
            @c public func ferry_plugin_v1() -> UnsafePointer<ferry_plugin_descriptor>? {
                PluginExport.descriptor(for: __TYPE__Plugin.self)
            }

            """
    }
}
