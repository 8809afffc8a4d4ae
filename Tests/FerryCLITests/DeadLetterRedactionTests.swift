import FerryTesting
import Foundation
import Testing

/// `ferry errors list` shows dead letters with every known secret masked, in
/// the table and in JSON, while the stored record stays intact for replay.
@Suite struct DeadLetterRedactionTests {
    @Test func anEchoedTokenIsMaskedInTheTableAndInJSON() throws {
        let token = "tok-Echoed-Bearer-6640"
        let sandbox = try Sandbox()
        try sandbox.write(
            "orders.jsonl",
            """
            {"auth": "\(token)", "id": 1, "total": "12.50"}
            {"auth": "\(token)", "id": 2, "total": "n/a"}

            """)
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              api:
                plugin: rest
                http: { endpoint: "http://127.0.0.1:9", auth: { type: bearer, token: "${API_TOKEN}" } }
                config: { streams: [] }
              orders: { plugin: file, config: { path: orders.jsonl, primary_key: id } }
              out: { plugin: file, config: { path: out.jsonl } }
            pipelines:
              orders:
                source: { connection: orders, stream: orders }
                destination: { connection: out }
                transforms:
                  - { op: cast, field: total, to: money_cents }
            """)
        let environment = ["API_TOKEN": token]
        let run = try sandbox.ferry(["run"], environment: environment)
        #expect(run.status == 3, "\(run.stderr)")
        #expect(
            try sandbox.sql("state.db", "SELECT COUNT(*) FROM dead_letters WHERE record LIKE '%\(token)%';") == ["1"],
            "the stored record keeps its text for replay")
        for arguments in [["errors", "list"], ["errors", "list", "--json"]] {
            let list = try sandbox.ferry(arguments, environment: environment)
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("n/a"), "the dead letter is listed: \(list.stdout)")
            #expect(!list.stdout.contains(token) && !list.stderr.contains(token), "\(arguments) shows the token")
        }
        let json = try sandbox.ferry(["errors", "list", "--json"], environment: environment)
        #expect(json.stdout.contains(#"{\"auth\": \"***\", \"id\": 2"#), "\(json.stdout)")
    }
}

/// A connection's `primary_key` names a field; its value is no secret and shows in dead letters.
@Suite struct KeyFieldNamesAreNotSecretsTests {
    @Test func theKeyFieldShowsInDeadLetters() throws {
        let sandbox = try Sandbox()
        try sandbox.write("input.jsonl", #"{"order_id":1,"amount":"n/a"}"# + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              input: { plugin: file, config: { path: input.jsonl, primary_key: order_id } }
              copy: { plugin: file, config: { path: out/copy.jsonl } }
            pipelines:
              copy:
                source: { connection: input, stream: input }
                destination: { connection: copy, stream: rows }
                transforms: [{ op: cast, field: amount, to: integer }]
            """)
        #expect(try sandbox.ferry(["run"]).status == 3)
        let list = try sandbox.ferry(["errors", "list", "--json"])
        #expect(list.stdout.contains("order_id"), "\(list.stdout)")
        #expect(!list.stdout.contains("***"), "\(list.stdout)")
    }
}
