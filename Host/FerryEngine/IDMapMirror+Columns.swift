import FerryCore
import FerryJSON
import FerryPluginSDK

/// `columns:` of an `id_map_mirrors:` entry: fields of the records the pipelines write under
/// the scope, kept with the batch's own commit (as ID-map entries of a scope of their own,
/// `<scope>#<table>`, source key → the columns as JSON), so what was sent reaches the table
/// exactly once, like the pairs, even when a kill falls between the write and the commit.
extension IDMapMirror {
    /// Recorded about a row besides its pair: the columns it was written with.
    static let columnsSuffix = " columns"

    /// The ID-map scope holding each key's columns, as the last write under the scope sent them.
    var columnsScope: String { "\(qualifiedScope)#\(tableName)" }

    /// The columns of one written record as JSON text; nil without `columns:` or when the
    /// record has none of their fields. A column whose field the record lacks or holds null
    /// is not written: the table keeps its value (a two-way merge may have dropped a field
    /// the destination does not store).
    func columnsText(of record: JSONObject) -> String? {
        var columns = JSONObject()
        for column in config.columns {
            if let value = record[column.field], !value.isNull { columns[column.column] = value }
        }
        return columns.isEmpty ? nil : JSONWriter().encodeString(.object(columns))
    }

    /// Each key's columns as last written, by source key.
    func currentColumns() throws -> [String: String] {
        guard !config.columns.isEmpty else { return [:] }
        return Dictionary(
            try store.idMappings(scope: columnsScope, limit: Int.max).map { ($0.sourceID, $0.destinationID) },
            uniquingKeysWith: { _, last in last })
    }
}

extension [IDMapMirror] {
    /// ID-map entries holding the mirrored columns of rows just written under `scope` (each
    /// row's key as exact JSON text and its line), to commit with the batch.
    func columnEntries(scope: String, rows: [(key: String, line: [UInt8])])
        -> [(scope: String, sourceID: String, destinationID: String)]
    {
        let mirrors = filter { $0.qualifiedScope == scope && !$0.config.columns.isEmpty }
        guard !mirrors.isEmpty else { return [] }
        var entries: [(scope: String, sourceID: String, destinationID: String)] = []
        for row in rows {
            guard case .object(let record)? = try? JSONParser().parse(row.line) else { continue }
            let sourceID = RecordKey.idMapText(ofKey: row.key)
            for mirror in mirrors {
                if let text = mirror.columnsText(of: record) { entries.append((mirror.columnsScope, sourceID, text)) }
            }
        }
        return entries
    }
}
