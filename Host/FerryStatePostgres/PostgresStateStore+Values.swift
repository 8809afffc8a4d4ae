import FerryCore
import Foundation

/// Plugin key-value state (also HTTP sessions, OAuth tokens and rate budgets) and ID mappings.
extension PostgresStateStore {
    public func value(scope: String, key: String) throws -> String? {
        try transaction("read the value \(key) of \(scope)") { db in
            try db.query(
                "SELECT value FROM kv WHERE scope = $1 AND key = $2", [scope.pgValue, key.pgValue],
                purpose: "read the value \(key) of \(scope)"
            ).first?.string(0)
        }
    }

    public func setValue(_ value: String, scope: String, key: String) throws {
        try transaction("store the value \(key) of \(scope)") { db in try store(value, scope: scope, key: key, in: db) }
    }

    public func removeValue(scope: String, key: String) throws {
        try transaction("remove the value \(key) of \(scope)") { db in
            try db.query(
                "DELETE FROM kv WHERE scope = $1 AND key = $2", [scope.pgValue, key.pgValue],
                purpose: "remove the value \(key) of \(scope)")
        }
    }

    public func updateValue<R>(scope: String, key: String, _ body: (String?) throws -> (String?, R)) throws -> R {
        try transaction("update the value \(key) of \(scope)") { db in
            // `FOR UPDATE` can't lock a row that does not exist yet: the advisory lock serialises
            // every updater of the key, on every machine, including the first.
            try db.query(
                "SELECT pg_advisory_xact_lock($1)", [Self.advisoryKey("ferry-kv", url.schema, scope, key).pgValue],
                purpose: "wait for other updaters of \(key) of \(scope)")
            let current = try db.query(
                "SELECT value FROM kv WHERE scope = $1 AND key = $2", [scope.pgValue, key.pgValue],
                purpose: "read the value \(key) of \(scope)"
            ).first?.string(0)
            let (replacement, result) = try body(current)
            if replacement != current {
                if let replacement {
                    try store(replacement, scope: scope, key: key, in: db)
                } else {
                    try db.query(
                        "DELETE FROM kv WHERE scope = $1 AND key = $2", [scope.pgValue, key.pgValue],
                        purpose: "remove the value \(key) of \(scope)")
                }
            }
            return result
        }
    }

    private func store(_ value: String, scope: String, key: String, in db: PGConnection) throws {
        try db.query(
            """
            INSERT INTO kv (scope, key, value) VALUES ($1, $2, $3)
            ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value
            """, [scope.pgValue, key.pgValue, value.pgValue], purpose: "store the value \(key) of \(scope)")
    }

    // MARK: ID mappings

    public func destinationID(scope: String, sourceID: String) throws -> String? {
        try transaction("look up the destination ID of \(sourceID) in \(scope)") { db in
            try db.query(
                "SELECT destination_id FROM id_map WHERE scope = $1 AND source_id = $2",
                [scope.pgValue, sourceID.pgValue], purpose: "look up the destination ID of \(sourceID) in \(scope)"
            ).first?.string(0)
        }
    }

    public func setDestinationID(_ destinationID: String, scope: String, sourceID: String) throws {
        try transaction("store the destination ID of \(sourceID) in \(scope)") { db in
            try storeMappings([(scope, sourceID, destinationID)], at: Self.now, in: db)
        }
    }

    public func setDestinationIDs(_ pairs: [(sourceID: String, destinationID: String)], scope: String) throws {
        guard !pairs.isEmpty else { return }
        try transaction("import ID mappings into \(scope)") { db in
            let now = Self.now
            // Bounded statements, so an import of millions does not build one huge literal.
            for start in stride(from: 0, to: pairs.count, by: 10_000) {
                let chunk = pairs[start..<min(start + 10_000, pairs.count)]
                try storeMappings(chunk.map { (scope, $0.sourceID, $0.destinationID) }, at: now, in: db)
            }
        }
    }

    public func idMapScopes(prefix: String) throws -> [(scope: String, count: Int)] {
        try transaction("list the ID-map scopes") { db in
            try db.query(
                """
                SELECT scope, COUNT(*) FROM id_map WHERE left(scope, length($1)) = $1
                GROUP BY scope ORDER BY scope COLLATE "C"
                """, [prefix.pgValue], purpose: "list the ID-map scopes"
            ).map { (scope: $0.string(0), count: $0.int(1)) }
        }
    }

    public func idMappings(scope: String, limit: Int) throws -> [(sourceID: String, destinationID: String)] {
        try transaction("list the ID mappings of \(scope)") { db in
            try db.query(
                """
                SELECT source_id, destination_id FROM id_map WHERE scope = $1 ORDER BY source_id COLLATE "C" LIMIT $2
                """, [scope.pgValue, max(limit, 0).pgValue], purpose: "list the ID mappings of \(scope)"
            ).map { (sourceID: $0.string(0), destinationID: $0.string(1)) }
        }
    }
}
