import Testing

@testable import FerryCore

/// Configurations written to hurt (or by mistake): each fails fast with one line
/// naming the file and line.
@Suite struct ConfigHostileTests {
    /// 1.2 KB of nested aliases that stand for 10^7 values.
    static let aliasBomb: String = {
        var lines = ["l0: &l0 [" + Array(repeating: "lol", count: 10).joined(separator: ", ") + "]"]
        for level in 1...6 {
            lines.append(
                "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n")
            + "\nconnections: { c: { plugin: demo, config: { x: *l6 } } }\npipelines: {}\n"
    }()

    @Test func anAliasBombIsRefusedAtTheLineWhereItOutgrowsTheLimit() throws {
        #expect(Self.aliasBomb.utf8.count < 1_400)
        let error = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(yaml: Self.aliasBomb, file: "bomb.yaml")
        }
        // l4 is the first value past 100,000: 10^4 leaves plus the lists that hold them, times ten.
        #expect(error.description.hasPrefix("bomb.yaml:5:"), "\(error)")
        #expect(error.description.contains("more than 100000 values through YAML aliases"), "\(error)")
    }

    @Test func modestAliasesStillWork() throws {
        let config = try FerryConfig.parse(
            yaml: """
                connections:
                  a: { plugin: file, config: &common { path: a.jsonl } }
                  b: { plugin: file, config: *common }
                pipelines:
                  p: { source: { connection: a, stream: s }, destination: { connection: b } }
                """)
        #expect(config.connections["b"]?.config["path"]?.stringValue == "a.jsonl")
    }

    @Test func anIntegerPast64BitsSaysTheAllowedRange() throws {
        for (yaml, line) in [
            (
                "pipelines: { p: { source: { connection: a, stream: s }, destination: { connection: a }, batch_size: 99999999999999999999 } }",
                2
            ),
            (
                "pipelines: { p: { source: { connection: a, stream: s }, destination: { connection: a } } }\nversion: 99999999999999999999",
                3
            ),
        ] {
            let error = try #require(throws: ConfigError.self) {
                try FerryConfig.parse(yaml: "connections: { a: { plugin: demo } }\n" + yaml)
            }
            #expect(error.location?.line == line, "\(error)")
            #expect(
                error.message.contains("integers must be between -9223372036854775808 and 9223372036854775807"),
                "\(error)")
        }
        let inPluginConfig = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: """
                    connections: { a: { plugin: demo, config: { count: 18446744073709551616 } } }
                    pipelines: { p: { source: { connection: a, stream: s }, destination: { connection: a } } }
                    """)
        }
        #expect(inPluginConfig.keyPath == "connections.a.config.count")
        #expect(inPluginConfig.message.contains("out of range"), "\(inPluginConfig)")
    }

    @Test func aBatchSizeOutsideItsRangeSaysTheRange() throws {
        let error = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: """
                    connections: { a: { plugin: demo } }
                    pipelines: { p: { source: { connection: a, stream: s }, destination: { connection: a }, batch_size: 0 } }
                    """)
        }
        #expect(error.message.hasPrefix("must be between 1 and"), "\(error)")
    }
}
