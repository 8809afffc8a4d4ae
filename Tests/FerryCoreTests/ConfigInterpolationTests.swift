import FerryJSON
import Testing

@testable import FerryCore

/// `${VAR}` interpolation, `.env` files and secret tracking.
@Suite struct ConfigInterpolationTests {
    static let yaml = """
        connections:
          api:
            plugin: rest
            config:
              url: "https://${HOST}/v1"
              token: ${API_TOKEN}
              port: ${PORT:-8443}
              price: $$5 and $HOME stays
              region: ${REGION:-eu-west-1}
              quoted: "${PORT:-8443}"
              empty: ${EMPTY}
        pipelines: {}
        """

    @Test func environmentWinsOverDotEnvAndDefaultsFillTheRest() throws {
        let config = try FerryConfig.parse(
            yaml: Self.yaml,
            environment: ["HOST": "env.example", "EMPTY": ""],
            dotEnv: ["HOST": "dotenv.example", "API_TOKEN": "tok-123", "REGION": ""])
        let object = try #require(config.connections["api"]?.config)
        #expect(object["url"] == "https://env.example/v1")
        #expect(object["token"] == "tok-123")
        #expect(object["port"] == 8443)
        #expect(object["quoted"] == "8443")
        #expect(object["price"] == "$5 and $HOME stays")
        #expect(object["region"] == "eu-west-1")
        #expect(object["empty"] == "")
        #expect(config.secretValues == ["tok-123"])
    }

    @Test func secretNamesAreRecognisedCaseInsensitively() {
        for name in [
            "API_KEY", "github_token", "ClientSecret", "DB_PASSWORD", "PGPASS", "GCP_CREDENTIALS", "BasicAuth",
            "session_cookie",
            "private_key", "primary_key_token",
        ] {
            #expect(FerryConfig.isSecretName(name), "\(name)")
        }
        // The names of key fields are not keys: their values (a column name) must not be masked everywhere.
        for name in ["HOST", "PORT", "REGION", "USER", "primary_key", "key_param", "key_filter", "sort_key"] {
            #expect(!FerryConfig.isSecretName(name), "\(name)")
        }
    }

    @Test func secretValuesCoverEveryInterpolatedScalarAndDefaults() throws {
        let config = try FerryConfig.parse(
            yaml: """
                connections:
                  a:
                    plugin: demo
                    budget: ${BUDGET_KEY}
                    config: { password: "${DB_PASSWORD:-fallback-pw}", user: "${DB_USER}", none: "${EMPTY_TOKEN:-}" }
                pipelines: {}
                """, environment: ["BUDGET_KEY": "budget-key-1", "DB_USER": "ferry"])
        #expect(config.secretValues == ["budget-key-1", "fallback-pw"])
        #expect(config.redacting("login ferry/fallback-pw failed") == "login ferry/*** failed")
    }

    @Test func interpolationFeedsTypedKeys() throws {
        let config = try FerryConfig.parse(
            yaml: """
                state: ${STATE_DIR}/state.db
                connections:
                  a: { plugin: "${PLUGIN}" }
                pipelines:
                  p:
                    source: { connection: a, stream: s }
                    destination: { connection: a }
                    batch_size: ${BATCH}
                    write: ${WRITE:-upsert}
                """, file: "/x/ferry.yaml",
            environment: ["STATE_DIR": "/var/lib/ferry", "PLUGIN": "demo", "BATCH": "250"])
        #expect(config.statePath == "/var/lib/ferry/state.db")
        #expect(config.connections["a"]?.plugin == "demo")
        #expect(config.pipelines.first?.batchSize == 250)
        #expect(config.pipelines.first?.write == .upsert)
    }

    @Test func dotEnvHandlesQuotesCommentsAndExport() throws {
        let variables = try DotEnv.parse(
            """
            # a comment

            export TOKEN=abc123
            PLAIN = value with spaces   # trailing comment
            SINGLE='single # kept'  # comment
            DOUBLE="line1\\nline2 \\"quoted\\" # kept"
            HASH=a#b
            EMPTY=
            TOKEN=override
            """)
        #expect(variables["TOKEN"] == "override")
        #expect(variables["PLAIN"] == "value with spaces")
        #expect(variables["SINGLE"] == "single # kept")
        #expect(variables["DOUBLE"] == "line1\nline2 \"quoted\" # kept")
        #expect(variables["HASH"] == "a#b")
        #expect(variables["EMPTY"] == "")
        #expect(try DotEnv.parse("Q='$HOME ${X} # not a comment'")["Q"] == "$HOME ${X} # not a comment")
    }

    @Test func malformedDotEnvLinesAreReportedWithTheirLine() {
        let error = #expect(throws: ConfigError.self) { try DotEnv.parse("A=1\nnot a pair\n", file: "conf/.env") }
        #expect(error?.description == "conf/.env:2: expected KEY=value")
        let unterminated = #expect(throws: ConfigError.self) { try DotEnv.parse("A=\"open\n", file: ".env") }
        #expect(unterminated?.description.hasPrefix(".env:1: missing closing \"") == true)
    }
}
