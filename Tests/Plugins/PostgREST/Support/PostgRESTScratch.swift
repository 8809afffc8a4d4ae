import FerryJSON
import FerryPluginSDK

/// A test's PostgreSQL schema (dropped afterwards) served by a
/// ``PostgRESTSimulator`` that exposes `public` and that schema, and
/// postgrest connector instances wired to it through the harness's HTTP slot.
final class PostgRESTScratch {
    let db: PostgresScratch
    let simulator: PostgRESTSimulator

    init() throws {
        db = try PostgresScratch()
        simulator = try PostgRESTSimulator(dsn: db.dsn, schemas: ["public", db.schema])
    }

    /// What the host adds from the Supabase-style `http:` block (`headers: { apikey }`, `auth: { type: bearer }`).
    var supabaseHeaders: [(name: String, value: String)] {
        [("apikey", simulator.apiKey), ("Authorization", "Bearer \(simulator.apiKey)")]
    }

    /// A connector instance writing to this test's schema.
    /// - Parameters:
    ///   - extra: More config keys.
    ///   - headers: The connection headers the host would add; nil: the right `apikey` and bearer.
    func open(_ extra: JSONObject = [:], headers: [(name: String, value: String)]? = nil) throws -> PluginInstance {
        var config: JSONObject = ["schema": .string(db.schema)]
        for (key, value) in extra { config[key] = value }
        let instance = try PluginInstance("postgrest", config: .object(config))
        instance.host.http = simulator.handler(connectionHeaders: headers ?? supabaseHeaders)
        return instance
    }

    /// Number of requests with this method so far.
    func count(_ method: String) -> Int { simulator.requests.filter { $0.hasPrefix(method + " ") }.count }
}

extension WriteRequest {
    /// An upsert of `stream` keyed by `key`.
    static func upsert(_ stream: String, key: [String] = ["id"], batch: String = "1") -> WriteRequest {
        WriteRequest(stream: stream, operation: .upsert, primaryKey: key, batchID: batch)
    }
}
