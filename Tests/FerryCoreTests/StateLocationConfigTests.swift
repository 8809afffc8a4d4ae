import FerryCore
import Testing

/// `state:` as a file path or a `postgres://` URL, and `FERRY_STATE_URL` overriding it.
@Suite struct StateLocationConfigTests {
    static let rest = "connections: {}\npipelines: {}\n"

    @Test func aPostgresURLIsKeptAsWrittenAndShownWithoutItsPassword() throws {
        let config = try FerryConfig.parse(
            yaml: "state: postgres://ferry:${STATE_PASSWORD}@db:5432/ops?schema=plant_7\n" + Self.rest,
            file: "/srv/ferry/ferry.yaml", environment: ["STATE_PASSWORD": "hunter2-long"])
        #expect(config.statePath == "postgres://ferry:hunter2-long@db:5432/ops?schema=plant_7")
        #expect(config.stateURL?.schema == "plant_7")
        #expect(config.stateDescription == "postgres://db:5432/ops (schema plant_7)")
        #expect(!config.stateDescription.contains("hunter2"))
    }

    @Test func theEnvironmentVariableOverridesTheFile() throws {
        let config = try FerryConfig.parse(
            yaml: "state: local.db\n" + Self.rest, file: "/srv/ferry/ferry.yaml",
            environment: ["FERRY_STATE_URL": "postgresql://ferry@db/ops"])
        #expect(config.statePath == "postgresql://ferry@db/ops")
        #expect(config.stateURL?.schema == "ferry")
        let file = try FerryConfig.parse(yaml: "state: local.db\n" + Self.rest, file: "/srv/ferry/ferry.yaml")
        #expect(file.statePath == "/srv/ferry/local.db" && file.stateURL == nil)
    }

    @Test func badStateURLsPointAtTheLineOrTheVariable() throws {
        let other = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(yaml: Self.rest + "state: mysql://u:pw@db/ops\n", file: "ferry.yaml")
        }
        #expect(other.description.contains("ferry.yaml:3"), "\(other)")
        #expect(other.description.contains("mysql:// is not supported"), "\(other)")
        #expect(!other.description.contains("pw@"), "\(other)")
        let badSchema = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(yaml: "state: postgres://u@db/ops?schema=a-b\n" + Self.rest, file: "ferry.yaml")
        }
        #expect(badSchema.description.contains("ferry.yaml:1") && badSchema.description.contains("schema 'a-b'"))
        let variable = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(yaml: Self.rest, file: "ferry.yaml", environment: ["FERRY_STATE_URL": "state.db"])
        }
        #expect(variable.description.contains("FERRY_STATE_URL must start with postgres://"), "\(variable)")
    }
}
