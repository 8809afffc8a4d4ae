import FerryJSON
import FerryTesting
import Foundation

/// The Gazelle flow the end-to-end tests run through the real `ferry`: clients and
/// pianos newest first (early stop), timeline entries incremental by `occurredAtGet`,
/// OAuth2 refresh with the seed's `config/token.json`, into SQLite or PostgreSQL.
enum GazelleFlow {
    static let refreshToken = "gz-refresh-seed"

    /// Fills the simulator: `clients` clients updated at minutes 1…n, `pianos` pianos at minutes
    /// 1…n (client 1 + n % 3), `entries` timeline entries occurring every 10 minutes.
    static func seed(_ simulator: GazelleSimulator, clients: Int = 12, pianos: Int = 7, entries: Int = 9) {
        simulator.state.withLock { state in
            state.clients = (1...clients).map { GazelleSimulator.client($0, updated: GazelleSimulator.time($0)) }
            state.pianos = (1...pianos).map {
                GazelleSimulator.piano($0, client: 1 + $0 % 3, updated: GazelleSimulator.time($0))
            }
            state.timeline = (1...entries).map {
                GazelleSimulator.timelineEntry($0, occurred: GazelleSimulator.time($0 * 10))
            }
        }
    }

    /// Client `n` renamed and updated at `minute`.
    static func update(_ simulator: GazelleSimulator, client n: Int, minute: Int) {
        simulator.state.withLock { state in
            let id = "cli_" + String(format: "%04d", n)
            guard let index = state.clients.firstIndex(where: { $0["id"]?.stringValue == id }) else {
                state.clients.append(GazelleSimulator.client(n, updated: GazelleSimulator.time(minute)))
                return
            }
            state.clients[index] = GazelleSimulator.client(
                n, updated: GazelleSimulator.time(minute), company: "Renamed \(n)")
        }
    }

    static let clientsQuery = """
        # The seed's allClients, newest first so that an incremental run can stop early.
        query Clients($first: Int, $after: String) {
          allClients(first: $first, after: $after, sortBy: [UPDATED_AT_DESC]) {
            nodes {
              id companyName status createdAt updatedAt
              defaultContact { firstName lastName defaultEmail { email } defaultLocation { municipality postalCode } }
            }
            pageInfo { hasNextPage endCursor }
          }
        }
        """

    /// Writes `ferry.yaml`, the query file and the seed's token file into the sandbox.
    static func prepare(
        _ sandbox: Sandbox, _ simulator: GazelleSimulator, destination: String, grant: String = "refresh_token"
    ) throws {
        try sandbox.write("queries/clients.graphql", clientsQuery)
        try sandbox.write(
            "config/token.json",
            #"{"access_token": "gz-stale-access", "token_type": "Bearer", "expires_in": 2592000, "refresh_token": "\#(refreshToken)", "created_at": 1755700000}"#
        )
        try sandbox.write(
            "ferry.yaml",
            """
            state: state.db
            connections:
              gazelle:
                plugin: graphql
                http:
                  endpoint: "\(simulator.endpoint)"
                  max_attempts: 2
                  auth:
                    type: oauth2
                    grant: \(grant)
                    token_url: "\(simulator.tokenURL)"
                    client_id: \(GazelleSimulator.clientID)
                    client_secret: "${GAZELLE_CLIENT_SECRET}"
                    refresh_token_file: config/token.json
                config:
                  queries_dir: queries
                  streams:
                    - name: clients
                      query_file: clients.graphql
                      variables: { first: 5 }
                      records_path: data.allClients.nodes
                      primary_key: id
                      cursor_field: updatedAt
                      order: newest_first
                    - name: pianos
                      query: |
                        query Pianos($first: Int, $after: String) {
                          allPianos(first: $first, after: $after, sortBy: [UPDATED_AT_DESC]) {
                            edges { node { id make model serialNumber type year client { id } updatedAt } }
                            pageInfo { hasNextPage endCursor }
                          }
                        }
                      variables: { first: 5 }
                      records_path: data.allPianos.edges[].node
                      primary_key: id
                      cursor_field: updatedAt
                      order: newest_first
                    - name: timeline
                      query: |
                        query Timeline($first: Int, $after: String, $since: CoreDateTime) {
                          allTimelineEntries(first: $first, after: $after, occurredAtGet: $since) {
                            nodes { id occurredAt type summary comment client { id } piano { id } }
                            pageInfo { hasNextPage endCursor }
                          }
                        }
                      variables: { first: 4 }
                      records_path: data.allTimelineEntries.nodes
                      primary_key: id
                      cursor_field: occurredAt
                      cursor_variable: since
              db:
            \(destination)
            pipelines:
              clients: { source: { connection: gazelle, stream: clients }, destination: { connection: db, stream: gazelle_clients }, write: upsert }
              pianos: { source: { connection: gazelle, stream: pianos }, destination: { connection: db, stream: gazelle_pianos }, write: upsert, after: [clients] }
              timeline: { source: { connection: gazelle, stream: timeline }, destination: { connection: db, stream: gazelle_timeline_entries }, write: upsert, after: [pianos] }
            """)
    }

    static let environment = ["GAZELLE_CLIENT_SECRET": GazelleSimulator.clientSecret]

    /// The stored checkpoint of a pipeline, as text.
    static func checkpoint(_ sandbox: Sandbox, _ pipeline: String) throws -> [String] {
        try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints WHERE pipeline = '\(pipeline)'")
    }

    /// `{"cursor":"<time of minute>"}`.
    static func cursor(_ minute: Int) -> String { #"{"cursor":"\#(GazelleSimulator.time(minute))"}"# }
}
