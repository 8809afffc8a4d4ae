import FerryJSON
import Foundation
import Testing

@testable import FerryCore

/// Parsing valid configs: the complete example, defaults, sites and paths.
@Suite struct ConfigTests {
    static let example = """
        version: 1
        state: var/ferry-state.db
        plugin_paths: [plugins, /opt/ferry/plugins]
        log_level: debug
        connections:
          events_file:
            plugin: file
            config:
              path: data/events.jsonl
          warehouse:
            plugin: sqlite
            config: { path: out/warehouse.db, pragmas: { journal_mode: wal, busy_ms: 5000 } }
            budget: vcom-account-1
          enricher:
            plugin: enrich
        pipelines:
          events_to_sqlite:
            source: { connection: events_file, stream: events }
            destination: { connection: warehouse }
            sync: full
            write: upsert
            primary_key: [id, site]
            cursor_field: updated_at
            lookback: 2h
            batch_size: 500
            on_error: fail
            transforms:
              - { op: rename, from: a, to: b }
              - op: drop
                fields: [debug, "1"]
            transform_plugins: [enricher]
            schedule: "*/15 * * * *"
          minimal:
            source: { connection: events_file, stream: events }
            destination: { connection: warehouse, stream: raw_events }
        sites:
          acme:
            pipelines: [minimal]
            connections:
              warehouse: { path: out/acme.db, pragmas: { busy_ms: 100 } }
          globex:
        """

    @Test func completeExampleParsesIntoExpectedValues() throws {
        let config = try FerryConfig.parse(yaml: Self.example, file: "/srv/ferry/ferry.yaml")
        #expect(config.version == 1)
        #expect(config.sourceFile == "/srv/ferry/ferry.yaml")
        #expect(config.baseDirectory == "/srv/ferry")
        #expect(config.statePath == "/srv/ferry/var/ferry-state.db")
        #expect(config.pluginPaths == ["/srv/ferry/plugins", "/opt/ferry/plugins"])
        #expect(config.logLevel == .debug)
        #expect(config.secretValues.isEmpty)

        #expect(config.connections.count == 3)
        let warehouse = try #require(config.connections["warehouse"])
        #expect(warehouse.plugin == "sqlite")
        #expect(warehouse.budget == "vcom-account-1")
        #expect(warehouse.config == ["path": "out/warehouse.db", "pragmas": ["journal_mode": "wal", "busy_ms": 5000]])
        #expect(warehouse.location == FerryCore.SourceLocation(file: "/srv/ferry/ferry.yaml", line: 10, column: 3))
        #expect(config.connections["enricher"]?.config == JSONObject())
        #expect(config.connections["events_file"]?.budget == nil)

        #expect(config.pipelines.map(\.name) == ["events_to_sqlite", "minimal"])
        let pipeline = try #require(config.pipeline(named: "events_to_sqlite"))
        #expect(
            pipeline.source
                == PipelineConfig.Endpoint(
                    connection: "events_file", stream: "events",
                    location: FerryCore.SourceLocation(file: "/srv/ferry/ferry.yaml", line: 18, column: 5)))
        #expect(pipeline.destination.connection == "warehouse")
        #expect(pipeline.destination.stream == "events")
        #expect(pipeline.sync == .full)
        #expect(pipeline.write == .upsert)
        #expect(pipeline.primaryKey == ["id", "site"])
        #expect(pipeline.cursorField == "updated_at")
        #expect(pipeline.lookback == 7200)
        #expect(pipeline.batchSize == 500)
        #expect(pipeline.onError == .fail)
        #expect(
            pipeline.transforms.map(\.value) == [
                ["op": "rename", "from": "a", "to": "b"],
                ["op": "drop", "fields": ["debug", "1"]],
            ])
        #expect(pipeline.transforms.map(\.location.line) == [28, 29])
        #expect(pipeline.transforms.first?.op == "rename")
        #expect(pipeline.transformPlugins == ["enricher"])
        #expect(pipeline.schedule == "*/15 * * * *")
        #expect(pipeline.connectionNames == ["events_file", "warehouse", "enricher"])
        #expect(pipeline.location.line == 17)

        let minimal = try #require(config.pipeline(named: "minimal"))
        #expect(minimal.destination.stream == "raw_events")
        #expect(minimal.sync == .incremental)
        #expect(minimal.write == .append)
        #expect(minimal.onError == .deadLetter)
        #expect(minimal.batchSize == 1000)
        #expect(
            minimal.primaryKey == nil && minimal.cursorField == nil && minimal.lookback == nil
                && minimal.schedule == nil)
        #expect(minimal.transforms.isEmpty && minimal.transformPlugins.isEmpty)

        #expect(config.sites.keys.sorted() == ["acme", "globex"])
        #expect(config.siteNames == ["acme", "globex"])
        #expect(config.site(named: "acme")?.pipelines == ["minimal"])
        #expect(
            config.site(named: "globex")
                == SiteConfig(
                    name: "globex",
                    location: FerryCore.SourceLocation(file: "/srv/ferry/ferry.yaml", line: 41, column: 3)))
    }

    @Test func defaultsApplyToAMinimalConfig() throws {
        let config = try FerryConfig.parse(
            yaml: """
                connections:
                  a: { plugin: demo }
                pipelines:
                  p:
                    source: { connection: a, stream: s }
                    destination: { connection: a }
                """, file: "/etc/ferry/ferry.yaml")
        #expect(config.version == 1)
        #expect(config.statePath == "/etc/ferry/ferry-state.db")
        #expect(config.pluginPaths.isEmpty)
        #expect(config.logLevel == nil)
        #expect(config.sites.isEmpty)
        #expect(config.siteNames == [""])
        #expect(try config.pipelines(for: "").map(\.name) == ["p"])
        #expect(try config.pipelines(for: nil).map(\.name) == ["p"])
        #expect(config.connections(for: "") == config.connections)
    }

    @Test func destinationCursorNamesAStreamOfTheDestination() throws {
        let config = try FerryConfig.parse(
            yaml: """
                connections:
                  a: { plugin: demo }
                pipelines:
                  p:
                    source: { connection: a, stream: s }
                    destination: { connection: a }
                    destination_cursor: latest
                """, file: "/etc/ferry/ferry.yaml")
        #expect(config.pipelines.first?.destinationCursor == "latest")
        #expect(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: """
                    connections:
                      a: { plugin: demo }
                    pipelines:
                      p:
                        source: { connection: a, stream: s }
                        destination: { connection: a }
                        destination_cursor: [latest]
                    """)
        }
    }

    @Test func changeDetectionCanBeTurnedOffExceptForMirror() throws {
        func parse(_ write: String) throws -> FerryConfig {
            try FerryConfig.parse(
                yaml: """
                    connections:
                      a: { plugin: demo }
                    pipelines:
                      p:
                        source: { connection: a, stream: s }
                        destination: { connection: a }
                        write: \(write)
                        primary_key: id
                        change_detection: false
                    """)
        }
        #expect(try parse("upsert").pipelines.first?.changeDetection == false)
        #expect {
            try parse("mirror")
        } throws: { error in
            "\(error)".contains("pipelines.p.change_detection: must be true with write: mirror")
        }
    }

    @Test func commitGroupsAndTheStateCacheAreConfiguredAndChecked() throws {
        func parse(_ top: String, _ pipeline: String) throws -> FerryConfig {
            try FerryConfig.parse(
                yaml: """
                    \(top)
                    connections:
                      a: { plugin: demo }
                    pipelines:
                      p:
                        source: { connection: a, stream: s }
                        destination: { connection: a }
                        \(pipeline)
                    """)
        }
        let defaults = try parse("", "")
        #expect(defaults.stateCacheMiB == 4)
        #expect(defaults.pipelines.first?.commitRecords == 100_000)
        #expect(defaults.pipelines.first?.commitSeconds == 10)
        #expect(defaults.pipelines.first?.readAheadMiB == 4)
        let set = try parse(
            "state_cache_mib: 12", "commit_records: 5000\n    commit_seconds: 2m\n    read_ahead_mib: 0")
        #expect(set.pipelines.first?.readAheadMiB == 0)
        #expect(set.stateCacheMiB == 12)
        #expect(set.pipelines.first?.commitRecords == 5000)
        #expect(set.pipelines.first?.commitSeconds == 120)
        for (top, pipeline, message) in [
            ("state_cache_mib: 0", "", "state_cache_mib: must be between 1 and 4096, got 0"),
            ("", "commit_records: 0", "pipelines.p.commit_records: must be between 1 and 10000000, got 0"),
            ("", "commit_seconds: 0s", "pipelines.p.commit_seconds: must be at least 1s, got 0"),
            ("", "commit_seconds: 10", "pipelines.p.commit_seconds: expected a duration such as 90s"),
            ("", "read_ahead_mib: 2048", "pipelines.p.read_ahead_mib: must be between 0 and 1024, got 2048"),
        ] {
            #expect {
                try parse(top, pipeline)
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }

    @Test func siteOverridesAreDeepMerged() throws {
        let config = try FerryConfig.parse(yaml: Self.example, file: "/srv/ferry/ferry.yaml")
        let acme = config.connections(for: "acme")
        #expect(
            acme["warehouse"]?.config == ["path": "out/acme.db", "pragmas": ["journal_mode": "wal", "busy_ms": 100]])
        #expect(acme["events_file"] == config.connections["events_file"])
        #expect(config.connections(for: "globex") == config.connections)
        #expect(config.connections["warehouse"]?.config["path"] == "out/warehouse.db")
    }

    @Test func deepMergeReplacesNonObjectsAndAppendsNewKeys() {
        let base = ConnectionConfig(name: "c", plugin: "p", config: ["a": ["x": 1, "y": [1, 2]], "b": "keep"])
        let merged = base.applying(["a": ["y": [3], "z": nil], "c": true])
        #expect(merged.config == ["a": ["x": 1, "y": [3], "z": nil], "b": "keep", "c": true])
    }

    @Test func pipelinesForSiteFollowTheSiteList() throws {
        let config = try FerryConfig.parse(yaml: Self.example, file: "/srv/ferry/ferry.yaml")
        #expect(try config.pipelines(for: "acme").map(\.name) == ["minimal"])
        #expect(try config.pipelines(for: "globex").map(\.name) == ["events_to_sqlite", "minimal"])
        #expect(try config.pipelines(for: nil).count == 2)
        let error = try #require(throws: ConfigError.self) { try config.pipelines(for: "acmee") }
        #expect(error.kind == .unknownReference)
        #expect(error.description.contains("unknown site 'acmee'"))
        #expect(error.description.contains("did you mean 'acme'?"))
        #expect(throws: ConfigError.self) { try config.pipelines(for: "") }
    }

    @Test func relativePathsResolveAgainstTheConfigFolder() throws {
        let yaml = """
            state: ../state/./ferry.db
            plugin_paths: [plugins, ~/ferry-plugins, /abs/plugins/]
            connections: {}
            pipelines: {}
            """
        let config = try FerryConfig.parse(
            yaml: yaml, file: "/srv/ferry/conf/ferry.yaml", environment: ["HOME": "/home/op"])
        #expect(config.baseDirectory == "/srv/ferry/conf")
        #expect(config.statePath == "/srv/ferry/state/ferry.db")
        #expect(config.pluginPaths == ["/srv/ferry/conf/plugins", "/home/op/ferry-plugins", "/abs/plugins"])

        let relative = try FerryConfig.parse(yaml: yaml, file: "ferry.yaml")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(relative.baseDirectory == URL(fileURLWithPath: cwd).standardizedFileURL.path)
        #expect(relative.pluginPaths.first == URL(fileURLWithPath: cwd + "/plugins").standardizedFileURL.path)
    }

    @Test func loadReadsTheFileAndTheDotEnvBesideIt() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
        connections:
          api: { plugin: rest, config: { token: "${API_TOKEN}", base: "${BASE_URL}" } }
        pipelines: {}
        """.write(toFile: folder + "/ferry.yaml", atomically: true, encoding: .utf8)
        try "export API_TOKEN='s3cr3t-from-file'\nBASE_URL=https://file.example # comment\n"
            .write(toFile: folder + "/.env", atomically: true, encoding: .utf8)

        let config = try FerryConfig.load(
            path: folder + "/ferry.yaml", environment: ["BASE_URL": "https://env.example"])
        #expect(config.connections["api"]?.config == ["token": "s3cr3t-from-file", "base": "https://env.example"])
        #expect(config.secretValues == ["s3cr3t-from-file"])
        #expect(config.statePath == URL(fileURLWithPath: folder + "/ferry-state.db").standardizedFileURL.path)

        let missing = try #require(throws: ConfigError.self) {
            try FerryConfig.load(path: folder + "/nope.yaml", environment: [:])
        }
        #expect(missing.kind == .unreadableFile)
        #expect(missing.description.hasPrefix(folder + "/nope.yaml: "))
    }

    @Test func scalarsInPluginConfigKeepTheirYAMLTypes() throws {
        let config = try FerryConfig.parse(
            yaml: """
                connections:
                  c:
                    plugin: demo
                    config: { n: 42, big: 9007199254740993, f: 1.5, t: true, s: "42", z: ~, d: 2024-01-02, list: [1, two] }
                pipelines: {}
                """)
        #expect(
            config.connections["c"]?.config == [
                "n": 42, "big": .int(9_007_199_254_740_993), "f": 1.5, "t": true, "s": "42", "z": nil,
                "d": "2024-01-02",
                "list": [1, "two"],
            ])
    }

    @Test func anchorsAndAliasesAreResolved() throws {
        let config = try FerryConfig.parse(
            yaml: """
                connections:
                  a: { plugin: sqlite, config: &shared { path: out/a.db, timeout: 5 } }
                  b: { plugin: sqlite, config: *shared }
                pipelines: {}
                """)
        #expect(config.connections["b"]?.config == config.connections["a"]?.config)
    }
}
