import Testing

@testable import FerryCore

/// Every class of configuration error names the file, line, column and key path.
@Suite struct ConfigErrorTests {
    /// A valid base; each test replaces or appends lines to break it in one way.
    static let header = """
        connections:
          events_file:
            plugin: file
            config: { path: data/events.jsonl }
          warehouse:
            plugin: sqlite
        pipelines:
          orders:
            source: { connection: events_file, stream: events }
            destination: { connection: warehouse }

        """

    /// Parses `yaml` and returns the error it must throw.
    func error(
        _ yaml: String, environment: [String: String] = [:], dotEnv: [String: String] = [:],
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> ConfigError {
        try #require(throws: ConfigError.self, sourceLocation: sourceLocation) {
            try FerryConfig.parse(yaml: yaml, file: "ferry.yaml", environment: environment, dotEnv: dotEnv)
        }
    }

    @Test func baseIsValid() throws {
        _ = try FerryConfig.parse(yaml: Self.header)
    }

    @Test func badEnumNamesLineColumnPathAndChoices() throws {
        let error = try error(Self.header + "    write: upsrt\n")
        #expect(error.kind == .invalidValue)
        #expect(
            error.description
                == "ferry.yaml:11:5: pipelines.orders.write: expected one of append, upsert, mirror, got 'upsrt'; did you mean 'upsert'?"
        )
    }

    @Test func yamlSyntaxErrorKeepsYamsLine() throws {
        let error = try error("connections:\n  a: { plugin: demo\npipelines: {}\n")
        #expect(error.kind == .syntax)
        #expect(error.description.hasPrefix("ferry.yaml:3:"))
        #expect(error.description.contains("YAML syntax error"))
        #expect(!error.description.contains("\n"))
    }

    @Test func unknownKeySuggestsTheClosestValidKey() throws {
        let error = try error(Self.header + "    wrte: upsert\n")
        #expect(error.kind == .unknownKey)
        #expect(
            error.description == "ferry.yaml:11:5: pipelines.orders.wrte: unknown key 'wrte'; did you mean 'write'?")
        let far = try self.error(Self.header + "colour: blue\n")
        #expect(
            far.description.hasPrefix("ferry.yaml:11:1: colour: unknown key 'colour'; valid keys are version, state"))
    }

    @Test func missingRequiredKeyPointsAtItsMapping() throws {
        let error = try error(Self.header.replacingOccurrences(of: "    plugin: sqlite\n", with: "    budget: b\n"))
        #expect(error.kind == .missingKey)
        #expect(error.description == "ferry.yaml:5:3: connections.warehouse: missing required key 'plugin'")
        let stream = try self.error(Self.header.replacingOccurrences(of: ", stream: events }", with: " }"))
        #expect(stream.description == "ferry.yaml:9:5: pipelines.orders.source: missing required key 'stream'")
        let pipelines = try self.error("connections: {}\n")
        #expect(pipelines.description == "ferry.yaml:1:1: missing required key 'pipelines'")
    }

    @Test func wrongTypeNamesTheExpectedShape() throws {
        let list = try error(Self.header.replacingOccurrences(of: "plugin: file", with: "plugin: [file]"))
        #expect(list.kind == .typeMismatch)
        #expect(list.description == "ferry.yaml:3:5: connections.events_file.plugin: expected a string, got a list")
        let mapping = try error(
            Self.header.replacingOccurrences(
                of: "config: { path: data/events.jsonl }", with: "config: data/events.jsonl"))
        #expect(
            mapping.description
                == "ferry.yaml:4:5: connections.events_file.config: expected a mapping, got 'data/events.jsonl'")
        let transforms = try error(Self.header + "    transforms: { op: rename }\n")
        #expect(
            transforms.description == "ferry.yaml:11:5: pipelines.orders.transforms: expected a list, got a mapping")
        let step = try error(Self.header + "    transforms:\n      - rename\n")
        #expect(step.description.hasPrefix("ferry.yaml:12:9: pipelines.orders.transforms[0]: expected a mapping"))
        let integer = try error(Self.header + "    batch_size: lots\n")
        #expect(integer.description == "ferry.yaml:11:5: pipelines.orders.batch_size: expected an integer, got 'lots'")
        let root = try error("- a\n- b\n")
        #expect(root.description == "ferry.yaml:1:1: expected a mapping, got a list")
    }

    @Test func badDurationShowsTheAcceptedForms() throws {
        for bad in ["2 hours", "90", "h", "-5m", "1.5h"] {
            let error = try error(Self.header + "    lookback: \(bad)\n")
            #expect(error.kind == .invalidValue)
            #expect(
                error.description
                    == "ferry.yaml:11:5: pipelines.orders.lookback: expected a duration such as 90s, 15m, 2h or 7d, got '\(bad)'"
            )
        }
    }

    @Test func durationsConvertToSeconds() throws {
        for (text, seconds) in [("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604_800), ("0s", 0)] {
            let config = try FerryConfig.parse(yaml: Self.header + "    lookback: \(text)\n")
            #expect(config.pipelines.first?.lookback == seconds)
        }
    }

    @Test func batchSizeOutOfRange() throws {
        for bad in ["0", "1000001", "-3"] {
            let error = try error(Self.header + "    batch_size: \(bad)\n")
            #expect(error.kind == .invalidValue)
            #expect(
                error.description
                    == "ferry.yaml:11:5: pipelines.orders.batch_size: must be between 1 and 1000000, got \(bad)")
        }
    }

    @Test func pipelineNamingAnUnknownConnection() throws {
        let error = try error(
            Self.header.replacingOccurrences(of: "{ connection: warehouse }", with: "{ connection: warehose }"))
        #expect(error.kind == .unknownReference)
        #expect(
            error.description
                == "ferry.yaml:10:20: pipelines.orders.destination.connection: unknown connection 'warehose'; did you mean 'warehouse'?"
        )
    }

    @Test func siteNamingAnUnknownPipelineOrConnection() throws {
        let pipeline = try error(Self.header + "sites:\n  acme:\n    pipelines: [orders, ordres2, refunds]\n")
        #expect(pipeline.kind == .unknownReference)
        #expect(
            pipeline.description
                == "ferry.yaml:13:25: sites.acme.pipelines[1]: unknown pipeline 'ordres2'; did you mean 'orders'?")
        let connection = try error(Self.header + "sites:\n  acme:\n    connections:\n      lake: { path: x }\n")
        #expect(
            connection.description
                == "ferry.yaml:14:7: sites.acme.connections.lake: unknown connection 'lake'; defined: events_file, warehouse"
        )
    }

    @Test func transformPluginNamingAnUnknownConnection() throws {
        let error = try error(Self.header + "    transform_plugins:\n      - enricher\n")
        #expect(error.kind == .unknownReference)
        #expect(
            error.description
                == "ferry.yaml:12:9: pipelines.orders.transform_plugins[0]: unknown connection 'enricher'; defined: events_file, warehouse"
        )
    }

    @Test func duplicateKeyPointsAtTheSecondOccurrence() throws {
        let error = try error(Self.header + "    write: upsert\n    sync: full\n    write: append\n")
        #expect(error.kind == .duplicateKey)
        #expect(
            error.description
                == "ferry.yaml:13:5: pipelines.orders.write: duplicate key 'write' (first defined on line 11)")
        let inList = try self.error(
            Self.header + "    transforms:\n      - op: a\n      - op: b\n        to: x\n        op: c\n")
        #expect(
            inList.description
                == "ferry.yaml:15:9: pipelines.orders.transforms[1].op: duplicate key 'op' (first defined on line 13)")
        let connection = try self.error(Self.header + "connections: {}\n")
        #expect(
            connection.description
                == "ferry.yaml:11:1: connections: duplicate key 'connections' (first defined on line 1)")
    }

    @Test func emptyFile() throws {
        for empty in ["", "# only a comment\n", "---\n"] {
            let error = try error(empty)
            #expect(error.kind == .emptyFile)
            #expect(error.description.hasPrefix("ferry.yaml:1:1: the configuration is empty"))
        }
    }

    @Test func unsetVariableNamesFileLineAndVariable() throws {
        let error = try error(
            Self.header.replacingOccurrences(of: "path: data/events.jsonl", with: "path: \"${DATA_DIR}/events.jsonl\""))
        #expect(error.kind == .unsetVariable)
        #expect(
            error.description.hasPrefix(
                "ferry.yaml:4:21: connections.events_file.config.path: variable 'DATA_DIR' is not set"))
        let malformed = try self.error(Self.header.replacingOccurrences(of: "plugin: file", with: "plugin: ${file"))
        #expect(malformed.description.hasPrefix("ferry.yaml:3:13: connections.events_file.plugin: unterminated '${'"))
    }

    @Test func emptyPrimaryKeyList() throws {
        let error = try error(Self.header + "    write: upsert\n    primary_key: []\n")
        #expect(error.kind == .invalidValue)
        #expect(
            error.description.hasPrefix("ferry.yaml:12:5: pipelines.orders.primary_key: must name at least one field"))
    }

    @Test func otherValueChecks() throws {
        let version = try error("version: 2\n" + Self.header)
        #expect(version.description == "ferry.yaml:1:1: version: unsupported version 2; this Ferry reads version 1")
        let schedule = try error(Self.header + "    schedule: \"*/15 * * *\"\n")
        #expect(
            schedule.description.hasPrefix(
                "ferry.yaml:11:5: pipelines.orders.schedule: expected a cron expression with 5 fields"))
        let level = try error("log_level: verbose\n" + Self.header)
        #expect(
            level.description.hasPrefix(
                "ferry.yaml:1:1: log_level: expected one of trace, debug, info, notice, warning, error, critical, got 'verbose'"
            ))
        let empty = try error(Self.header.replacingOccurrences(of: "plugin: file", with: "plugin: \"\""))
        #expect(empty.description == "ferry.yaml:3:5: connections.events_file.plugin: must not be empty")
    }

    @Test func secretsAreRedactedFromErrorMessages() throws {
        let error = try error(
            Self.header.replacingOccurrences(
                of: "    plugin: sqlite\n", with: "    plugin: sqlite\n    budget: ${API_KEY}\n")
                + "    write: ${API_KEY}\n",
            environment: ["API_KEY": "hunter2-secret"])
        #expect(
            error.description
                == "ferry.yaml:12:5: pipelines.orders.write: expected one of append, upsert, mirror, got '***'")
    }
}
