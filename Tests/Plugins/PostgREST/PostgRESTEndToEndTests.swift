import FerryJSON
import FerryTesting
import Foundation
import Testing

/// The real `ferry` executable writes through the host's libcurl HTTP service
/// to the simulator, configured as the README's Supabase example: `apikey`
/// from `http.headers`, the bearer from `http.auth`, the key from `${SUPABASE_KEY}`.
@Suite(.enabled(if: !PostgresTest.skipped, "FERRY_SKIP_POSTGRES=1 skips the PostgreSQL tests"))
struct PostgRESTEndToEndTests {
    @Test func supabaseConfigLoadsAFileInBulkAndAWrongKeyIsAnAuthError() throws {
        let scratch = try PostgRESTScratch()
        try scratch.db.query(
            """
            CREATE TABLE gazelle_clients (id serial PRIMARY KEY, external_id text UNIQUE NOT NULL, company_name text, title text);
            INSERT INTO gazelle_clients (external_id, company_name, title) VALUES ('cli_7', 'Old name', 'keep me')
            """)
        let (server, endpoint) = try PostgRESTHTTPServer.start(scratch.simulator)
        defer { server.stop() }
        let sandbox = try Sandbox()
        let lines = (1...1_200).map { index in
            index == 7
                ? #"{"external_id":"cli_7","company_name":"New name"}"#
                : #"{"external_id":"cli_\#(index)","company_name":"Company \#(index)","title":"t\#(index)"}"#
        }
        try sandbox.write("clients.jsonl", lines.joined(separator: "\n") + "\n")
        try sandbox.write(
            "ferry.yaml",
            """
            version: 1
            state: state.db
            connections:
              gazelle:
                plugin: file
                config: { path: clients.jsonl, primary_key: external_id }
              supabase:
                plugin: postgrest
                http:
                  endpoint: \(endpoint)
                  headers: { apikey: "${SUPABASE_KEY}" }
                  auth: { type: bearer, token: "${SUPABASE_KEY}" }
                  max_attempts: 2
                config:
                  schema: \(scratch.db.schema)
                  table_prefix: gazelle_
                  on_conflict: external_id
                  missing_keys: group
            pipelines:
              clients:
                source: { connection: gazelle, stream: clients }
                destination: { connection: supabase, stream: clients }
                write: upsert
                primary_key: [external_id]
                batch_size: 1200
            """)
        let run = try sandbox.ferry(
            ["run", "--config", "ferry.yaml"], environment: ["SUPABASE_KEY": scratch.simulator.apiKey])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(try scratch.db.query("SELECT count(*) FROM gazelle_clients") == [["1200"]])
        #expect(
            try scratch.db.query("SELECT company_name, title FROM gazelle_clients WHERE external_id = 'cli_7'") == [
                ["New name", "keep me"]
            ])
        // 1,199 records with a title in 500s, and the one without: 4 POSTs, not 1,200.
        #expect(scratch.count("POST") == 4, "\(scratch.simulator.requests)")

        let refused = try sandbox.ferry(
            ["run", "--full", "--config", "ferry.yaml"], environment: ["SUPABASE_KEY": "not-the-key"])
        #expect(refused.status != 0)
        let output = refused.stdout + refused.stderr
        #expect(output.contains("http.") && output.lowercased().contains("auth"), "\(output)")
        #expect(!output.contains("not-the-key"), "the key is redacted")
    }
}
