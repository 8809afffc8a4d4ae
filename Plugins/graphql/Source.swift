import FerryJSON
import FerryPluginSDK

/// Reads one stream: a query per `next()`, one page per batch, the page cursor
/// and checkpoint moved by `ReadProgress` only once a page is accepted, so a
/// `next()` that failed (throttled, say) asks for the same page again.
final class GraphQLReader: BatchReader {
    let stream: GraphQLStream
    let client: GraphQLClient
    private let window: ReadWindow
    private var progress: ReadProgress

    init(stream: GraphQLStream, client: GraphQLClient, window: ReadWindow) {
        self.stream = stream
        self.client = client
        self.window = window
        progress = ReadProgress(stream: stream, window: window)
    }

    var isComplete: Bool { progress.isComplete }

    func next() throws -> RecordBatch? {
        guard !progress.isFinished else { return nil }
        if client.host.isCancelled { throw PluginError.cancelled() }
        let root = try client.query(stream.query, variables: variables(), stream: stream.name)
        let page = try progress.accept(try records(in: root), pageInfo: try pageInfo(in: root))
        var batch = RecordBatch(checkpoint: page.checkpoint)
        for record in page.records { batch.append(record) }
        return batch
    }

    /// The configured variables with the checkpoint (or `--since`), `--until` and the page cursor put in.
    private func variables() -> JSONObject {
        var variables = stream.variables
        if let start = window.start, let path = stream.cursorVariable { variables = path.setting(start, in: variables) }
        if let until = window.until, let path = stream.untilVariable { variables = path.setting(until, in: variables) }
        if let cursor = progress.pageCursor {
            variables = stream.pageCursorVariable.setting(.string(cursor), in: variables)
        }
        return variables
    }

    /// The records at `records_path`: the list it names, or with `[]` every value it reaches.
    private func records(in root: JSONValue) throws -> [JSONValue] {
        let values: [JSONValue]
        do { values = try stream.recordsPath.values(in: root) } catch {
            throw PluginError.invalid(
                "stream '\(stream.name)': the answer's \(error.path) \(error.problem), so records_path "
                    + "'\(stream.recordsPath)' finds no records")
        }
        if stream.recordsPath.expandsLists { return values }
        guard let list = values.first?.arrayValue else {
            throw PluginError.invalid(
                "stream '\(stream.name)': records_path '\(stream.recordsPath)' is not a list (use nodes, or edges[].node)"
            )
        }
        return list
    }

    /// `pageInfo { hasNextPage endCursor }`, nil when the stream does not page.
    private func pageInfo(in root: JSONValue) throws -> ReadProgress.PageInfo? {
        guard let path = stream.pageInfoPath else { return nil }
        guard let info = path.value(in: root), let hasNext = info["hasNextPage"]?.boolValue else {
            throw PluginError.invalid(
                "stream '\(stream.name)': the answer has no \(path).hasNextPage: ask for "
                    + "pageInfo { hasNextPage endCursor } in the query, or set pagination: none")
        }
        return ReadProgress.PageInfo(hasNextPage: hasNext, endCursor: info["endCursor"]?.stringValue)
    }
}
