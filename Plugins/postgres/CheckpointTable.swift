import FerryJSON
import FerryPluginSDK

/// `<schema>._ferry_checkpoints` (the connection's `schema`, beside `_ferry_batches`):
/// the host's checkpoint per scope, written in the same transaction as the batch's
/// rows, so after a crash between this database's commit and the host's the host
/// can take the checkpoint from here (ABI 1.1 `checkpoint_get`).
struct CheckpointTable {
    let schema: String
    var sql: String { quote(schema) + "." + quote("_ferry_checkpoints") }

    /// Stores `checkpoint` for its scope, replacing the earlier one. Call inside the batch's transaction.
    func store(_ checkpoint: DurableCheckpoint, with client: PostgresClient) throws {
        if try client.query("SELECT to_regnamespace($1) IS NULL", [quote(schema)]).text(0, 0) == "t" {
            try client.execute("CREATE SCHEMA IF NOT EXISTS \(quote(schema))")
        }
        try client.execute(
            """
            CREATE TABLE IF NOT EXISTS \(sql) (scope text PRIMARY KEY, sequence bigint NOT NULL, value jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now())
            """)
        _ = try client.query(
            """
            INSERT INTO \(sql) (scope, sequence, value) VALUES ($1, $2, $3)
            ON CONFLICT (scope) DO UPDATE SET sequence = EXCLUDED.sequence, value = EXCLUDED.value, updated_at = now()
            """, [checkpoint.scope, String(checkpoint.sequence), JSONWriter().encodeString(checkpoint.value)])
    }

    /// The checkpoint stored for `scope`, or nil (also when no write ever carried one).
    func load(scope: String, with client: PostgresClient) throws -> DurableCheckpoint? {
        guard try client.query("SELECT to_regclass($1) IS NOT NULL", [sql]).text(0, 0) == "t" else { return nil }
        let result = try client.query("SELECT sequence, value::text FROM \(sql) WHERE scope = $1", [scope])
        guard result.rowCount > 0, let sequence = result.text(0, 0).flatMap({ Int64($0) }), let text = result.text(0, 1)
        else { return nil }
        return DurableCheckpoint(scope: scope, sequence: sequence, value: try JSONParser().parse(Array(text.utf8)))
    }
}
