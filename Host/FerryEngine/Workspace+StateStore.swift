import FerryCore
import FerryState
import FerryStatePostgres

extension Workspace {
    /// The state store the config names: a shared PostgreSQL schema for a `postgres://` URL
    /// (from `state:` or `FERRY_STATE_URL`), else the embedded SQLite file.
    static func openStateStore(_ config: FerryConfig) throws -> any StateStore {
        guard PostgresStateURL.isPostgresURL(config.statePath) else {
            return try SQLiteStateStore(path: config.statePath, cacheMiB: config.stateCacheMiB)
        }
        do {
            return try PostgresStateStore(url: try PostgresStateURL(config.statePath))
        } catch let error as PostgresStateURLError {
            // The parser checked it already; kept for configs built in code.
            throw StateError(.storage, "The state URL \(error)")
        }
    }
}
