import FerryCore
import FerryJSON
import FerryPluginSDK
import Foundation

/// An `id_map_mirrors:` entry at work: keeps a table (vysync's `sites_mapping` in Supabase)
/// holding the pairs of an ID-map scope, and fills the scope from the table when it is due.
///
/// Exactly once in effect: the table is written with upserts keyed by its source-key column,
/// and the pairs it is known to hold are recorded in the state only after the write was
/// acknowledged. A crash in between writes the same rows again on the next run, which the
/// upsert turns into no change: never a missing row, never a second one.
public struct IDMapMirror {
    public let config: IDMapMirrorConfig
    let table: PluginConnection
    let store: any StateStore
    let site: String
    /// Rows per write request.
    static let chunkSize = 500
    /// Where the pairs each table holds are recorded (the state's key-value store).
    static let stateScope = "idmap_mirror"

    init(config: IDMapMirrorConfig, table: PluginConnection, store: any StateStore, site: String) {
        self.config = config
        self.table = table
        self.store = store
        self.site = site
    }

    var qualifiedScope: String { IDMapScope.qualified(config.scope, site: site) }
    /// Names the table in logs and errors: `supabase/sites_mapping`.
    var tableName: String { "\(config.table.connection)/\(config.table.stream)" }
    private var stateKey: String { "\(qualifiedScope) → \(tableName)" }

    // MARK: Import

    /// Reads the table's pairs into the scope when its `import` mode says so: on the first run
    /// (the scope's own pairs win over the table's) or on every run (the table's win).
    /// - Returns: The pairs added to or changed in the scope.
    func importIfDue() throws -> Int {
        switch config.importMode {
        case .never: return 0
        case .firstRun: if try known() != nil { return 0 }
        case .everyRun: break
        }
        let rows = try tablePairs()
        let current = Dictionary(
            try store.idMappings(scope: qualifiedScope, limit: Int.max).map { ($0.sourceID, $0.destinationID) },
            uniquingKeysWith: { first, _ in first })
        let adopted = rows.filter { row in
            config.importMode == .everyRun ? current[row.sourceID] != row.destinationID : current[row.sourceID] == nil
        }
        if !adopted.isEmpty { try store.setDestinationIDs(adopted, scope: qualifiedScope) }
        // What the table holds needs no writing back.
        var held = try known() ?? [:]
        for row in rows { held[row.sourceID] = row.destinationID }
        try remember(held)
        return adopted.count
    }

    /// The table's rows as pairs; a row without a source key or a destination id (a site not
    /// yet created in the destination) is not a pair, nor is a row whose constant columns hold
    /// other values (another kind's row, in a table several scopes share).
    private func tablePairs() throws -> [(sourceID: String, destinationID: String)] {
        var pairs: [(sourceID: String, destinationID: String)] = []
        try readWholeStream(of: table, stream: config.table.stream) { record, number in
            for (column, value) in config.fields {
                if let held = record[column], !held.isNull, !Self.same(held, value) { return }
            }
            guard let source = try Self.idText(record[config.sourceField], field: config.sourceField, row: number),
                let destination = try Self.idText(
                    record[config.destinationField], field: config.destinationField, row: number)
            else { return }
            pairs.append((source, destination))
        }
        return pairs
    }

    /// Equal as a table keeps them: 11382 and 11382.0 and "11382" are one value.
    static func same(_ held: JSONValue, _ constant: JSONValue) -> Bool {
        func text(_ value: JSONValue) -> String {
            switch value {
            case .string(let string): return string
            case .double(let number) where number == number.rounded() && abs(number) < 1e15:
                return String(Int64(number))
            default: return JSONWriter().encodeString(value)
            }
        }
        return text(held) == text(constant)
    }

    private static func idText(_ value: JSONValue?, field: String, row: Int) throws -> String? {
        switch value {
        case .string(let text)?: return text.isEmpty ? nil : text
        case .int(let integer)?: return String(integer)
        case .bool(let flag)?: return String(flag)
        case .null?, nil: return nil
        case .double(let number)? where number == number.rounded() && abs(number) < 1e15: return String(Int64(number))
        case let other?:
            throw IDMapMirrorError(
                "row \(row): column '\(field)' holds \(JSONWriter().encodeString(other)), not a string, integer or boolean"
            )
        }
    }

    // MARK: Export

    /// A row to write: a live pair (with its columns' JSON text), or one that left the scope.
    private struct Change {
        var sourceID: String
        var destinationID: String
        var columns: String?
        var removed = false
    }

    /// Writes the scope's pairs the table does not hold yet (new, with another id, or with
    /// other `columns:`), and marks the rows of pairs that left the scope (`removed:`).
    /// - Returns: How many rows were written.
    func export() throws -> Int {
        guard config.export else { return 0 }
        var held = try known() ?? [:]
        var heldColumns = try known(suffix: Self.columnsSuffix) ?? [:]
        let columns = try currentColumns()
        let pairs = try store.idMappings(scope: qualifiedScope, limit: Int.max)
        var changes = pairs.filter {
            held[$0.sourceID] != $0.destinationID || heldColumns[$0.sourceID] != columns[$0.sourceID]
        }.map { Change(sourceID: $0.sourceID, destinationID: $0.destinationID, columns: columns[$0.sourceID]) }
        if !config.removed.isEmpty {
            let live = Set(pairs.map(\.sourceID))
            changes += held.filter { !live.contains($0.key) }.sorted { $0.key < $1.key }.map {
                Change(sourceID: $0.key, destinationID: $0.value, removed: true)
            }
        }
        let writer = JSONWriter()
        for start in stride(from: 0, to: changes.count, by: Self.chunkSize) {
            let chunk = changes[start..<min(start + Self.chunkSize, changes.count)]
            let lines = chunk.map { writer.encode(.object(row(for: $0))) }
            let digest = stableDigest(lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n"))
            let outcome = try table.write(
                WriteRequest(
                    stream: config.table.stream, operation: .upsert, primaryKey: [config.sourceField],
                    batchID: "id-map-mirror/\(stateKey)/\(digest)"),
                records: joinedLines(lines))
            if let rejection = outcome.rejections.first {
                let pair = chunk[chunk.index(chunk.startIndex, offsetBy: min(max(rejection.index, 0), chunk.count - 1))]
                throw IDMapMirrorError(
                    "\(tableName) refused the row of '\(config.scope)' pair \(pair.sourceID) → \(pair.destinationID): "
                        + rejection.error)
            }
            for change in chunk {
                held[change.sourceID] = change.removed ? nil : change.destinationID
                heldColumns[change.sourceID] = change.removed ? nil : change.columns
            }
            try remember(held)
            if !config.columns.isEmpty || !heldColumns.isEmpty { try remember(heldColumns, suffix: Self.columnsSuffix) }
        }
        return changes.count
    }

    /// A pair as the table's row: its two columns and the constant ones. Ids that are
    /// integers go as JSON numbers (an integer column takes them as they are).
    func row(for pair: (sourceID: String, destinationID: String)) -> JSONObject {
        var row = JSONObject([
            (config.sourceField, Self.jsonID(pair.sourceID)),
            (config.destinationField, Self.jsonID(pair.destinationID)),
        ])
        for (name, value) in config.fields { row[name] = value }
        return row
    }

    /// A change's row: the pair's, with its columns, or marked as `removed:` says.
    private func row(for change: Change) -> JSONObject {
        var row = row(for: (change.sourceID, change.destinationID))
        if let text = change.columns, case .object(let columns)? = try? JSONParser().parse(text) {
            for (name, value) in columns { row[name] = value }
        }
        if change.removed { for (name, value) in config.removed { row[name] = value } }
        return row
    }

    static func jsonID(_ text: String) -> JSONValue {
        if let integer = Int64(text), String(integer) == text { return .int(integer) }
        return .string(text)
    }

    // MARK: What the table holds

    /// The pairs the table is known to hold, or nil before the mirror's first run (with
    /// `suffix`, what else is recorded about its rows: their columns).
    private func known(suffix: String = "") throws -> [String: String]? {
        guard let text = try store.value(scope: Self.stateScope, key: stateKey + suffix) else { return nil }
        guard case .object(let object) = try JSONParser().parse(text) else { return [:] }
        var pairs: [String: String] = [:]
        for (source, destination) in object { pairs[source] = destination.stringValue }
        return pairs
    }

    private func remember(_ pairs: [String: String], suffix: String = "") throws {
        let object = JSONObject(pairs.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })
        try store.setValue(JSONWriter().encodeString(.object(object)), scope: Self.stateScope, key: stateKey + suffix)
    }
}

/// A mirror's table that cannot be read into the ID map, or refused a row.
public struct IDMapMirrorError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
