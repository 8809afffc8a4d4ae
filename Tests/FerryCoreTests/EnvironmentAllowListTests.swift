import Testing

@testable import FerryCore

/// `allowed_env` and `FERRY_ALLOWED_ENV`: which variables `${VAR}` may read.
@Suite struct EnvironmentAllowListTests {
    static func config(allowed: String?, value: String) -> String {
        (allowed.map { "allowed_env: \($0)\n" } ?? "") + """
            connections: { a: { plugin: demo } }
            pipelines:
              p:
                source: { connection: a, stream: s }
                destination: { connection: a }
                transforms:
                  - { op: set, field: copied, value: "\(value)" }
            """
    }

    static let environment = ["ACME_REGION": "eu", "API_TOKEN": "tok-1234", "AWS_SECRET_ACCESS_KEY": "aws-Secret-9911"]

    @Test func withoutAListEveryVariableMayBeRead() throws {
        let config = try FerryConfig.parse(
            yaml: Self.config(allowed: nil, value: "${AWS_SECRET_ACCESS_KEY}"), environment: Self.environment)
        #expect(config.pipelines.first?.transforms.first?.value["value"] == .string("aws-Secret-9911"))
    }

    @Test func aFileListAllowsNamesAndPrefixesOnly() throws {
        let allowed = try FerryConfig.parse(
            yaml: Self.config(allowed: "[ACME_*, API_TOKEN]", value: "${ACME_REGION}-${API_TOKEN}"),
            environment: Self.environment)
        #expect(allowed.pipelines.first?.transforms.first?.value["value"] == .string("eu-tok-1234"))
        let error = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: Self.config(allowed: "[ACME_*, API_TOKEN]", value: "${AWS_SECRET_ACCESS_KEY:-none}"),
                file: "tenant.yaml", environment: Self.environment)
        }
        #expect(error.description.hasPrefix("tenant.yaml:8:"), "\(error)")
        #expect(
            error.message.contains(
                "variable 'AWS_SECRET_ACCESS_KEY' may not be read here: the allowed variables are ACME_*, API_TOKEN"))
        #expect(!error.description.contains("aws-Secret-9911"))
    }

    @Test func theOperatorsListCannotBeWidenedByTheFile() throws {
        var environment = Self.environment
        environment["FERRY_ALLOWED_ENV"] = "ACME_*"
        let error = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(
                yaml: Self.config(allowed: "['*']", value: "${AWS_SECRET_ACCESS_KEY}"), environment: environment)
        }
        #expect(error.message.contains("the allowed variables are ACME_*"), "\(error)")
        let fine = try FerryConfig.parse(
            yaml: Self.config(allowed: nil, value: "${ACME_REGION}"), environment: environment)
        #expect(fine.pipelines.first?.transforms.first?.value["value"] == .string("eu"))
    }

    @Test func anEntryThatIsNotAVariableNameIsRefused() throws {
        let error = try #require(throws: ConfigError.self) {
            try FerryConfig.parse(yaml: Self.config(allowed: "[ACME-*]", value: "x"), environment: Self.environment)
        }
        #expect(error.keyPath == "allowed_env[0]", "\(error)")
    }
}
