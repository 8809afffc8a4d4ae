import FerryTesting
import Foundation
import Testing

/// Values of keys the plugin's schema marks secret are masked in every message and log line,
/// whatever the key is called: postgres marks `dsn`, whose name guesses nothing.
@Suite struct ConfigSecretRedactionTests {
    static let password = "hunter2pass"
    static let config = """
        state: state.db
        connections:
          counter: { plugin: demo, config: { count: 3 } }
          db:
            plugin: postgres
            config:
              dsn: "postgresql://ferry:\(password)@127.0.0.1:1/ferry"
              sslmode: "\(password)"
        pipelines:
          numbers:
            source: { connection: counter, stream: numbers }
            destination: { connection: db, stream: numbers }
        """

    @Test func aSecretKeysValueIsMaskedInErrorsAndLogs() throws {
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config)
        // The password pasted into the wrong key: the error quotes that key's value, masked.
        for command in [["check"], ["run"], ["check", "--json"], ["run", "--json"]] {
            let outcome = try sandbox.ferry(command)
            let output = outcome.stdout + outcome.stderr
            #expect(outcome.status == 2, "\(command): \(output)")
            #expect(output.contains("connections.db.config.sslmode: expected one of disable"), "\(command): \(output)")
            #expect(output.contains("got '***'"), "\(command): \(output)")
            #expect(!output.contains(Self.password), "\(command): \(output)")
        }
    }

    /// A key's name decides nothing: `primary_key` is not secret, so its value shows where an
    /// error quotes it (the same text pasted into the wrong key).
    @Test func aPrimaryKeyIsNotMasked() throws {
        let config = Self.config.replacingOccurrences(
            of: "plugin: demo, config: { count: 3 }",
            with: "plugin: file, config: { path: in.jsonl, primary_key: order_ref, format: order_ref }")
        let (status, output) = try ConfigSchemaCommandTests.ferry(["check"], config)
        #expect(status == 2, "\(output)")
        // The postgres connection's line is masked as above; the file connection's is not.
        #expect(
            output.contains("connections.counter.config.format: expected one of jsonl, csv, got 'order_ref'"),
            "\(output)")
    }
}
