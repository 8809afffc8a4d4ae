import FerryJSON
import FerryPluginSDK

/// Reads one table through PostgREST, a page per batch. With a cursor column
/// pages are keyset-paginated (`order=cursor.asc,key.asc` and
/// `or=(cursor.gt.C,and(cursor.eq.C,key.gt.K))`), so a checkpoint is exact even
/// when many rows share a cursor value; without one, `limit`/`offset` over the
/// primary key's order. Every page asks `Prefer: count=exact`; a server that caps
/// rows per response (Supabase's `db-max-rows`, 1000 on hosted projects) returns
/// fewer rows than asked and the reader simply asks for the next page.
final class PostgRESTReader: BatchReader {
    private let client: PostgRESTClient
    private let host: HostServices
    private let stream: PostgRESTConfig.Stream
    private let table: String
    private let pageSize: Int
    private let bounds: [(String, String)]
    /// Keyset position: the last row's cursor and key values.
    private var position: (cursor: JSONValue, key: JSONValue?)?
    private var offset = 0
    private var finished = false
    /// The exact count PostgREST sent (`Prefer: count=exact`) says every row was returned.
    var isComplete: Bool { finished }

    /// Starts a read.
    /// - Parameters:
    ///   - stream: What to read.
    ///   - request: The host's request: checkpoint, range, batch size.
    ///   - client: The protocol client.
    ///   - host: Host services, for cancellation.
    ///   - table: The table name.
    init(
        stream: PostgRESTConfig.Stream, request: ReadRequest, client: PostgRESTClient, host: HostServices, table: String
    ) {
        self.stream = stream
        self.client = client
        self.host = host
        self.table = table
        pageSize = max(1, request.batchSize)
        var bounds: [(String, String)] = []
        if let cursor = stream.cursorField {
            if let since = request.since { bounds.append((cursor, "gte." + since)) }
            if let until = request.until { bounds.append((cursor, "lt." + until)) }
            if !request.fullRefresh, let checkpoint = request.checkpoint, let value = checkpoint["cursor"],
                !value.isNull
            {
                position = (value, checkpoint["key"].flatMap { $0.isNull ? nil : $0 })
            }
        }
        self.bounds = bounds
    }

    /// The next page as a batch, with the checkpoint after its last row; nil at the end.
    func next() throws -> RecordBatch? {
        if finished { return nil }
        if host.isCancelled { throw PluginError.cancelled() }
        let page = try client.select(from: table, query: query())
        guard !page.rows.isEmpty else {
            if page.total == 0 { finished = true }
            return nil
        }
        var batch = RecordBatch()
        for row in page.rows {
            guard let object = row.objectValue else {
                throw PluginError.invalid("PostgREST returned a row that is not an object")
            }
            batch.append(object)
        }
        let last = page.rows[page.rows.count - 1]
        if let cursor = stream.cursorField {
            guard let value = last[cursor], !value.isNull else {
                throw PluginError.invalid("table '\(table)': a row has no value in cursor column '\(cursor)'")
            }
            let key = stream.primaryKey.count == 1 ? last[stream.primaryKey[0]] : nil
            position = (value, key)
            var checkpoint: JSONObject = ["cursor": value]
            if let key { checkpoint["key"] = key }
            batch.checkpoint = .object(checkpoint)
            // With keyset paging the count is of the rows still ahead, this page included.
            if let total = page.total, page.rows.count >= total { finished = true }
        } else {
            offset += page.rows.count
            if let total = page.total, offset >= total { finished = true }
        }
        return batch
    }

    /// The query of the next page.
    private func query() -> [(String, String)] {
        var query = stream.filters + bounds
        if let select = stream.select { query.append(("select", select)) }
        var order = stream.primaryKey
        if let cursor = stream.cursorField {
            order = [cursor] + (stream.primaryKey.count == 1 ? stream.primaryKey : [])
            if let position, let cursorText = PostgRESTClient.quoted(position.cursor) {
                if let key = position.key, let keyText = PostgRESTClient.quoted(key) {
                    query.append(
                        (
                            "or",
                            "(\(cursor).gt.\(cursorText),and(\(cursor).eq.\(cursorText),\(stream.primaryKey[0]).gt.\(keyText)))"
                        ))
                } else {
                    query.append(("or", "(\(cursor).gt.\(cursorText))"))
                }
            }
        } else if offset > 0 {
            query.append(("offset", String(offset)))
        }
        if !order.isEmpty { query.append(("order", order.map { $0 + ".asc" }.joined(separator: ","))) }
        query.append(("limit", String(pageSize)))
        return query
    }
}
