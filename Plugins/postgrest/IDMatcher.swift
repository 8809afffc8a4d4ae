import FerryJSON
import FerryPluginSDK

/// Matches the rows PostgREST sends back (`return=representation`) to the records
/// that were sent, to report each record's destination-assigned id.
///
/// Upserts match by the conflict key, since `resolution=ignore-duplicates` returns
/// only the rows it inserted; a record whose row did not come back gets no id.
/// Plain inserts are all or nothing, so their rows come back one per record, in order.
struct IDMatcher {
    /// The id column (`assigned_id`).
    let column: String
    /// The conflict key of upserts; empty for inserts.
    let key: [String]
    private var keyOfRecord: [Int: String] = [:]

    init(column: String, key: [String], entries: [PostgRESTDestination.Entry]) {
        self.column = column
        self.key = key
        guard !key.isEmpty else { return }
        for entry in entries {
            keyOfRecord[entry.index] = Self.keyText(key.map { entry.object[$0] ?? .null })
        }
    }

    /// The `select=` columns: the id, and the key to match by.
    var returning: [String] { [column] + key.filter { $0 != column } }

    /// The ids of the records at `sent` (batch indexes), from the rows returned for them.
    func match(_ rows: [JSONValue], sent: [Int]) -> [AssignedID] {
        func id(_ row: JSONValue) -> String? {
            guard let value = row[column] else { return nil }
            return value.stringValue ?? value.intValue.map(String.init)
        }
        guard !key.isEmpty else {
            guard rows.count == sent.count else { return [] }
            return zip(sent, rows).compactMap { index, row in
                id(row).map { AssignedID(index: index, destinationID: $0) }
            }
        }
        var idOfKey: [String: String] = [:]
        for row in rows {
            if let value = id(row) { idOfKey[Self.keyText(key.map { row[$0] ?? .null })] = value }
        }
        return sent.compactMap { index in
            keyOfRecord[index].flatMap { idOfKey[$0] }.map { AssignedID(index: index, destinationID: $0) }
        }
    }

    private static func keyText(_ values: [JSONValue]) -> String { JSONWriter().encodeString(.array(values)) }
}
