import FerryCore
import FerryJSON
import Testing

/// The host's check of a `config` against a plugin's schema, and the secrets the schema marks.
@Suite struct ConfigSchemaValidatorTests {
    static let schema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["dsn"],
        "properties": [
            "dsn": ["type": "string", "writeOnly": true, "x-ferry-secret": true, "description": "Where."],
            "count": ["type": "integer", "minimum": 0],
            "mode": ["type": "string", "enum": ["append", "upsert"]],
            "point": ["type": ["string", "integer"]],
            "streams": [
                "type": "array",
                "items": [
                    "type": "object", "additionalProperties": false, "required": ["name"],
                    "properties": [
                        "name": ["type": "string"], "primary_key": ["type": "string"],
                        "token": ["type": "string", "x-ferry-secret": true],
                    ],
                ],
            ],
            "headers": ["type": "object", "additionalProperties": ["type": "string"]],
        ],
    ]

    static func problems(_ config: JSONObject) -> [String] {
        ConfigSchemaValidator(schema: schema).problems(in: config).map(\.description)
    }

    @Test func aValidConfigHasNoProblems() {
        #expect(
            Self.problems([
                "dsn": "x", "count": 3, "mode": "upsert", "point": 12, "streams": [["name": "a"]],
                "headers": ["a": "b"],
            ]) == [])
        #expect(Self.problems(["dsn": "x", "count": nil]) == [], "null reads as absent")
    }

    @Test func everyKindOfMistakeIsNamedByItsPath() {
        #expect(Self.problems(["dsn": "x", "count": "many"]) == ["count: expected an integer, got 'many'"])
        #expect(Self.problems(["dsn": "x", "count": -1]) == ["count: expected a number at least 0, got -1"])
        #expect(
            Self.problems(["dsn": "x", "mode": "upsrt"])
                == ["mode: expected one of append, upsert, got 'upsrt'; did you mean 'upsert'?"])
        #expect(Self.problems(["dsn": "x", "cuont": 1]) == ["cuont: unknown key 'cuont'; did you mean 'count'?"])
        #expect(Self.problems([:]) == ["dsn: missing required key 'dsn' (Where.)"])
        #expect(Self.problems(["dsn": "x", "point": true]) == ["point: expected a string or an integer, got true"])
        #expect(
            Self.problems(["dsn": "x", "streams": [["name": "a"], ["nme": "b"]]])
                == [
                    "streams[1].nme: unknown key 'nme'; did you mean 'name'?",
                    "streams[1].name: missing required key 'name'",
                ])
        #expect(Self.problems(["dsn": "x", "headers": ["a": 1]]) == ["headers.a: expected a string, got 1"])
    }

    @Test func aSecretsValueIsNeverQuoted() {
        #expect(Self.problems(["dsn": 42]) == ["dsn: expected a string, got a number"])
        #expect(
            Self.problems(["dsn": "x", "streams": [["name": "a", "token": 7]]])
                == ["streams[0].token: expected a string, got a number"])
    }

    @Test func theSchemaNotTheKeysNameDecidesWhatIsSecret() {
        let config: JSONObject = [
            "dsn": "postgresql://u:pw@h/db", "mode": "append",
            "streams": [["name": "orders", "primary_key": "order_id", "token": "t0k3n"]],
        ]
        #expect(
            ConfigSecrets.values(in: config, schema: Self.schema)
                == ["dsn": "postgresql://u:pw@h/db", "dsn#password": "pw", "streams[0].token": "t0k3n"])
        #expect(
            ConfigSecrets.values(in: ["dsn": "host=db password=s3cr3t user=u"], schema: Self.schema)["dsn#password"]
                == "s3cr3t")
        #expect(ConfigSecrets.values(in: ["primary_key": "order_id"], schema: ["type": "object"]) == [:])
    }

    @Test func theProblemPointsAtTheKeysLineOrItsNearestWrittenParent() {
        var connection = ConnectionConfig(
            name: "api", plugin: "rest", location: SourceLocation(file: "ferry.yaml", line: 3, column: 3))
        connection.configLocations = [
            "": SourceLocation(file: "ferry.yaml", line: 5, column: 5),
            "streams[0]": SourceLocation(file: "ferry.yaml", line: 7, column: 9),
        ]
        let missing = ConfigSchemaProblem(
            path: "streams[0].name", kind: .missingKey, message: "missing required key 'name'")
        #expect(
            missing.error(in: connection).description
                == "ferry.yaml:7:9: connections.api.config.streams[0].name: missing required key 'name'")
        let top = ConfigSchemaProblem(path: "dsn", kind: .missingKey, message: "missing required key 'dsn'")
        #expect(
            top.error(in: connection).description
                == "ferry.yaml:5:5: connections.api.config.dsn: missing required key 'dsn'")
    }
}
