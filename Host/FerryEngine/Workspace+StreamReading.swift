import FerryCore
import FerryJSON
import FerryPluginSDK

extension Workspace {
    /// Reads a whole stream of a connection, as a full run would, and hands each record
    /// (with its 1-based number) to `body`. For commands that take data from any source
    /// (`ferry idmap import`, `ferry report`), without a pipeline or a checkpoint; `since`
    /// is handed to the reader as a run's `--since` is.
    public func forEachRecord(
        connection name: String, stream: String, since: String? = nil,
        _ body: (_ record: JSONValue, _ number: Int) throws -> Void
    ) throws {
        try readWholeStream(of: try openConnection(name), stream: stream, since: since, body)
    }

    /// Reads a CSV or JSON Lines file (by its extension) through the `file` connector, as
    /// `forEachRecord(connection:stream:_:)` reads a configured connection.
    /// - Parameter path: an absolute path.
    public func forEachRecord(
        inFile path: String, _ body: (_ record: JSONValue, _ number: Int) throws -> Void
    ) throws {
        let connection = ConnectionConfig(
            name: "file", plugin: "file", config: ["path": .string(path), "stream": "records"])
        try readWholeStream(of: try openConnection(connection), stream: "records", body)
    }
}

/// Reads a whole stream of an open connection, as a full run would, handing each record (with
/// its 1-based number) to `body`; `since`, when given, is handed to the reader.
func readWholeStream(
    of source: PluginConnection, stream: String, since: String? = nil,
    _ body: (_ record: JSONValue, _ number: Int) throws -> Void
) throws {
    let reader = try source.read(ReadRequest(stream: stream, fullRefresh: true, since: since, batchSize: 5000))
    defer { reader.close() }
    var number = 0
    while let batch = try reader.next() {
        try batch.records.withUnsafeBytes { bytes in
            for line in NDJSONLines(bytes) {
                number += 1
                try body(try JSONParser().parse(line.bytes), number)
            }
        }
    }
}
