import CSQLite
import FerryJSON
import FerryPluginSDK
import Foundation

/// Shortcuts for the sqlite connector tests, with a direct sqlite3 connection
/// to set up and inspect databases behind the plugin's back.
enum SQLiteTest {
    static func open(_ path: String, _ extra: JSONObject = [:]) throws -> PluginInstance {
        var config: JSONObject = ["path": .string(path)]
        for (key, value) in extra { config[key] = value }
        return try PluginInstance("sqlite", config: .object(config))
    }

    /// Runs SQL directly; returns each row's columns as text (nil for NULL).
    @discardableResult
    static func query(_ path: String, _ sql: String) throws -> [[String?]] {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw HarnessError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        var rows: [[String?]] = []
        var remaining = sql
        while !remaining.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            var statement: OpaquePointer?
            var tail: UnsafePointer<CChar>?
            let consumed: Int = try remaining.withCString { start in
                guard sqlite3_prepare_v2(db, start, -1, &statement, &tail) == SQLITE_OK else {
                    throw HarnessError(String(cString: sqlite3_errmsg(db)))
                }
                return tail.map { $0 - start } ?? strlen(start)
            }
            remaining = String(remaining.utf8.dropFirst(consumed))!
            guard let statement else { continue }
            defer { sqlite3_finalize(statement) }
            while true {
                let code = sqlite3_step(statement)
                if code == SQLITE_DONE { break }
                guard code == SQLITE_ROW else { throw HarnessError(String(cString: sqlite3_errmsg(db))) }
                rows.append(
                    (0..<sqlite3_column_count(statement)).map { index in
                        sqlite3_column_text(statement, index).map { String(cString: $0) }
                    })
            }
        }
        return rows
    }
}
