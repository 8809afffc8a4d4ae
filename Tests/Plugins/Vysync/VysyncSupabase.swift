import FerryPluginSDK
import FerryTesting
import Foundation

/// The seed's Supabase for `examples/vysync/`: the example's `sql/mapping_tables.sql` and
/// `sql/work_orders.sql` in a scratch schema of the real PostgreSQL, served over the
/// PostgREST protocol on loopback.
/// Every write passes the example's ``Tripwire``, so a kill can fall right after one.
final class VysyncSupabase {
    let scratch: PostgRESTScratch
    let server: LoopbackServer

    init(tripwire: Tripwire) throws {
        scratch = try PostgRESTScratch()
        for file in ["sql/mapping_tables.sql", "sql/work_orders.sql"] {
            try scratch.db.query(
                String(contentsOf: VysyncExample.folder.appendingPathComponent(file), encoding: .utf8))
        }
        let simulator = scratch.simulator
        server = try LoopbackServer { request in
            var target = request.target
            if target.hasPrefix("/rest/v1") { target.removeFirst("/rest/v1".count) }
            let response = simulator.serve(
                HTTPRequest(method: request.method, url: target, headers: request.headers, body: request.body))
            return tripwire.pass(
                request,
                .response(
                    status: response.status, headers: response.headers.map { ($0.name, $0.value) },
                    body: response.body))
        }
    }

    deinit { server.stop() }

    /// What `examples/vysync/ferry.yaml` reads to reach it.
    var variables: [String: String] {
        [
            "SUPABASE_URL": server.url, "SUPABASE_SERVICE_KEY": scratch.simulator.apiKey,
            "SUPABASE_SCHEMA": scratch.db.schema, "SUPABASE_MAPPING_TABLES": "true",
        ]
    }

    /// Rows of a query as `a|b|…`, NULL as `∅`, sorted.
    func rows(_ sql: String) throws -> [String] {
        try scratch.db.query(sql).map { $0.map { $0 ?? "∅" }.joined(separator: "|") }.sorted()
    }

    /// Requests other than reads it received.
    var writes: [String] { scratch.simulator.requests.filter { !$0.hasPrefix("GET") } }
}
