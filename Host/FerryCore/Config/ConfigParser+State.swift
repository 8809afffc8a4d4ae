extension ConfigParser {
    /// The environment variable that overrides `state:`, so that the same config file can run
    /// against a shared PostgreSQL state store on a server and a local SQLite file elsewhere.
    static let stateURLVariable = "FERRY_STATE_URL"

    /// Where the state lives: `FERRY_STATE_URL` when set, else `state:` (a file path, resolved
    /// against the config's folder, or a `postgres://` URL, kept as written), else the default file.
    func stateLocation(_ field: Field?, home: String?, baseDirectory: String) throws -> String {
        if let override = interpolator.environment[Self.stateURLVariable], !override.isEmpty {
            do {
                _ = try PostgresStateURL(override)
            } catch {
                throw ConfigError(
                    .invalidValue, at: field?.location ?? SourceLocation(file: file, line: 1, column: 1),
                    keyPath: "state",
                    message: "the environment variable \(Self.stateURLVariable) \(error)")
            }
            return override
        }
        guard let field else {
            return Self.absolutePath(FerryConfig.defaultStatePath, base: baseDirectory, home: home)
        }
        let state = try string(field)
        if PostgresStateURL.isPostgresURL(state) {
            do {
                _ = try PostgresStateURL(state)
            } catch {
                throw failure(.invalidValue, field, "the state URL \(error)")
            }
            return state
        }
        if state.contains("://") {
            throw failure(
                .invalidValue, field,
                "state must be a file path or a postgres:// URL; \(state.prefix { $0 != ":" }):// is not supported")
        }
        return Self.absolutePath(state, base: baseDirectory, home: home)
    }
}
