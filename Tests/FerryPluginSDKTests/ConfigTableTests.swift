import FerryJSON
import FerryPluginSDK
import Testing

/// One key table is the single source of a connector's config: the schema in its spec and the
/// parsing both come from it, and every refusal names the key and what it expected.
@Suite struct ConfigTableTests {
    static let pagination = ConfigTable([
        ConfigKey("type", .oneOf(["page", "cursor"]), required: true, "How pages follow each other."),
        ConfigKey("page_size", .integer, default: 100, minimum: 1, maximum: 1000, "Records per page."),
    ])
    static let table = ConfigTable([
        ConfigKey("dsn", .string, required: true, secret: true, example: "host=db", "Connection string."),
        ConfigKey("count", .integer, default: 10, minimum: 0, "How many."),
        ConfigKey("ratio", .number, "A share."),
        ConfigKey("verbose", .boolean, default: false, "Say more."),
        ConfigKey("mode", .oneOf(["append", "upsert"]), default: "append", "Write mode."),
        ConfigKey("fields", .array(of: .string), "Fields to keep."),
        ConfigKey(
            "streams",
            .array(
                of: .object(
                    ConfigTable([
                        ConfigKey("name", .string, required: true, "The stream's name."),
                        ConfigKey("pagination", .object(pagination), "Paging."),
                    ]))), "Streams."),
        ConfigKey("point", .anyOf([.string, .integer]), "Digits."),
        ConfigKey("key", .anyOf([.string, .array(of: .string)]), "One field or several."),
    ])

    @Test func theSchemaComesFromTheTable() throws {
        let schema = try #require(Self.table.schema.objectValue)
        #expect(schema["type"] == "object")
        #expect(schema["additionalProperties"] == false)
        #expect(schema["required"] == ["dsn"])
        let properties = try #require(schema["properties"]?.objectValue)
        #expect(properties.keys == ["dsn", "count", "ratio", "verbose", "mode", "fields", "streams", "point", "key"])
        #expect(
            properties["dsn"]
                == [
                    "type": "string", "description": "Connection string.", "examples": ["host=db"],
                    "writeOnly": true, "x-ferry-secret": true,
                ])
        #expect(properties["count"] == ["type": "integer", "description": "How many.", "default": 10, "minimum": 0])
        #expect(properties["mode"]?["enum"] == ["append", "upsert"])
        #expect(properties["fields"]?["items"] == ["type": "string"])
        #expect(properties["point"]?["type"] == ["string", "integer"])
        let stream = try #require(properties["streams"]?["items"]?.objectValue)
        #expect(stream["required"] == ["name"])
        #expect(stream["properties"]?["pagination"]?["properties"]?["type"]?["enum"] == ["page", "cursor"])
        #expect(stream["properties"]?["pagination"]?["additionalProperties"] == false)
    }

    @Test func valuesAreReadWithTheTablesDefaults() throws {
        let config = try Self.table.parse(["dsn": "host=db", "ratio": 0.5, "point": 1234567])
        #expect(try config.string("dsn") == "host=db")
        #expect(try config.integer("count") == 10)
        #expect(try config.number("ratio") == 0.5)
        #expect(try config.bool("verbose") == false)
        #expect(try config.string("mode") == "append")
        #expect(try config.optionalStrings("fields") == nil)
        #expect(try config.optionalInteger("point") == 1_234_567)
        #expect(!config.isGiven("count"))
        #expect(try config.optionalStringList("key") == nil)
        #expect(try Self.table.parse(["dsn": "x", "key": "id"]).optionalStringList("key") == ["id"])
        #expect(try Self.table.parse(["dsn": "x", "key": ["a", "b"]]).optionalStringList("key") == ["a", "b"])
    }

    @Test func nestedTablesAreReadWithTheirPaths() throws {
        let config = try Self.table.parse([
            "dsn": "x", "streams": [["name": "orders", "pagination": ["type": "cursor"]]],
        ])
        let streams = try #require(try config.optionalTables("streams"))
        #expect(streams.map(\.path) == ["config.streams[0]"])
        let pagination = try #require(try streams[0].optionalTable("pagination"))
        #expect(try pagination.string("type") == "cursor")
        #expect(try pagination.integer("page_size") == 100)
        #expect(pagination.path == "config.streams[0].pagination")
    }

    static let refusals: [(config: JSONObject, message: String)] = [
        (["dsn": "x", "count": "many"] as JSONObject, "config.count must be an integer, got 'many'"),
        (["dsn": "x", "count": -1], "config.count must be at least 0, got -1"),
        (["count": 1], "config.dsn is required: Connection string."),
        (["dsn": "x", "mode": "upsrt"], "config.mode must be one of append, upsert, got 'upsrt'"),
        (["dsn": "x", "colour": "red"], "config: unknown key 'colour'; valid keys are dsn, count, ratio"),
        (["dsn": "x", "fields": ["a", 2]], "config.fields[1] must be a string, got 2"),
        (["dsn": "x", "streams": [["pagination": ["type": "page"]]]], "config.streams[0].name is required"),
        (
            ["dsn": "x", "streams": [["name": "a", "pagination": ["type": "page", "page_size": 0]]]],
            "config.streams[0].pagination.page_size must be at least 1, got 0"
        ),
        (["dsn": "x", "point": true], "config.point must be a string or an integer, got true"),
    ]

    @Test(arguments: 0..<refusals.count)
    func refusalsNameTheKeyAndWhatWasExpected(index: Int) {
        let (config, message) = Self.refusals[index]
        #expect {
            _ = try Self.table.parse(config)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func aSecretsValueIsNeverQuoted() {
        #expect {
            _ = try Self.table.parse(["dsn": 12345])
        } throws: { error in
            "\(error)" == "config.dsn must be a string, got an integer (not shown: the key is secret)"
                && !"\(error)".contains("12345")
        }
    }

    @Test func readingAKeyTheTableLacksIsRefused() throws {
        let config = try Self.table.parse(["dsn": "x"])
        #expect(throws: PluginError.self) { try config.optionalString("nonexistent") }
        #expect {
            _ = try config.integer("dsn")
        } throws: { error in
            "\(error)" == "config.dsn must be an integer, got a string"
        }
    }

    @Test func anUndeclaredTableLetsEveryKeyThrough() throws {
        let config = try ConfigTable.undeclared.parse(["anything": 1])
        #expect(try config.optionalInteger("anything") == 1)
        #expect(ConfigTable.undeclared.schema == ["type": "object", "properties": [:]])
    }
}
