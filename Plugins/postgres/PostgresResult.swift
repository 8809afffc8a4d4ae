import CLibPQ

/// A completed result; cleared on deinit.
final class PostgresResult {
    let handle: OpaquePointer
    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    var rowCount: Int { Int(PQntuples(handle)) }
    var columnCount: Int { Int(PQnfields(handle)) }
    /// Rows the command touched (INSERT, UPDATE, DELETE).
    var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }
    func columnName(_ column: Int) -> String { String(cString: PQfname(handle, Int32(column))) }
    func columnType(_ column: Int) -> UInt32 { PQftype(handle, Int32(column)) }
    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) != 0 }

    /// The value's text, or nil for NULL.
    func text(_ row: Int, _ column: Int) -> String? {
        if isNull(row, column) { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard let pointer = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// Every row's columns as text.
    var rows: [[String?]] {
        (0..<rowCount).map { row in (0..<columnCount).map { text(row, $0) } }
    }
}
