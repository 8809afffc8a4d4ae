import FerryJSON
import FerryPluginSDK

// The `rest` connector instance: each configured stream is read page by page
/// through the host's `http_request`, one page per batch.
/// The connector instance; public only because `RESTPlugin.Instance` names it.
public final class RESTConnector: SourceConnector {
    let config: RESTConfig
    let host: HostServices

    init(config: RESTConfig, host: HostServices) {
        self.config = config
        self.host = host
    }

    /// Requests the first stream's first page.
    public func check() throws -> CheckReport {
        let stream = config.streams[0]
        let response = try host.http(.get(stream.path, query: stream.query))
        return CheckReport(ok: response.isSuccess, message: response.isSuccess
            ? "Stream '\(stream.name)' answered HTTP \(response.status)." : "Stream '\(stream.name)' answered HTTP \(response.status).")
    }

    /// The configured streams.
    public func discover() throws -> [StreamDescriptor] {
        config.streams.map { StreamDescriptor(name: $0.name, primaryKey: $0.primaryKey, cursorField: $0.cursorField) }
    }

    /// Starts reading a stream from the checkpoint's cursor.
    public func read(_ request: ReadRequest) throws -> any BatchReader {
        guard let stream = config.streams.first(where: { $0.name == request.stream }) else {
            throw PluginError.invalid("unknown stream '\(request.stream)'; configured: \(config.streams.map(\.name).joined(separator: ", "))")
        }
        let cursor = request.fullRefresh ? nil : request.checkpoint?["cursor"]
        return RESTReader(stream: stream, host: host, cursor: cursor)
    }
}

/// Reads one stream: a page per `next()`, the checkpoint carrying the highest
/// cursor value seen so far (the API should return records in cursor order).
final class RESTReader: BatchReader {
    let stream: RESTStream
    let host: HostServices
    private var pagination: Pagination
    private var pending: Pagination.Next
    private var cursor: JSONValue?
    private let startCursor: JSONValue?

    init(stream: RESTStream, host: HostServices, cursor: JSONValue?) {
        self.stream = stream
        self.host = host
        self.cursor = cursor
        self.startCursor = cursor
        pagination = Pagination(stream.pagination)
        pending = pagination.first()
    }

    func next() throws -> RecordBatch? {
        if host.isCancelled { throw PluginError.cancelled() }
        let url: String
        switch pending {
        case .done: return nil
        case .url(let next): url = next
        case .query(let paging): url = HTTPRequest.path(stream.path, query: baseQuery() + paging.map { ($0.name, $0.value) })
        }
        let response = try host.http(request(url))
        guard response.isSuccess else {
            let snippet = String(response.text.prefix(200))
            throw PluginError.invalid("stream '\(stream.name)': \(stream.method) \(url.split(separator: "?").first ?? "") answered HTTP \(response.status): \(snippet)")
        }
        let body = try response.json()
        let records = try stream.records(in: body)
        var batch = RecordBatch()
        for record in records {
            guard let object = record.objectValue else {
                throw PluginError.invalid("stream '\(stream.name)': a record is not a JSON object")
            }
            if let field = stream.cursorField, let value = object[field], !value.isNull,
               cursor.map({ Self.isAfter(value, $0) }) ?? true {
                cursor = value
            }
            batch.append(object)
        }
        if let cursor { batch.checkpoint = ["cursor": cursor] }
        pending = pagination.next(afterPageOf: records.count, body: body, linkHeader: response[header: "Link"])
        if batch.isEmpty, case .done = pending { return nil }
        return batch
    }

    /// A GET, or a POST of the stream's body with the cursor put in. A search changes
    /// nothing on the server, so the host may retry it like a GET.
    private func request(_ url: String) -> HTTPRequest {
        guard stream.method == "POST" else { return .get(url) }
        let cursorText = startCursor.map { $0.stringValue ?? JSONWriter().encodeString($0) } ?? stream.cursorDefault
        let body = stream.body.map { Self.substitute(cursorText, in: $0) } ?? .object(JSONObject())
        return HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")],
                           body: JSONWriter().encode(body), retrySafe: true)
    }

    /// `value` with `{cursor}` replaced in every string it holds.
    static func substitute(_ cursor: String, in value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(text.replacing("{cursor}", with: cursor))
        case .array(let items): return .array(items.map { substitute(cursor, in: $0) })
        case .object(let object): return .object(JSONObject(object.map { (key: $0.key, value: substitute(cursor, in: $0.value)) }))
        default: return value
        }
    }

    /// The stream's static query plus the cursor, as a parameter or inside a filter expression.
    private func baseQuery() -> [(String, String)] {
        var query = stream.query
        guard let start = startCursor else { return query }
        let text = start.stringValue ?? JSONWriter().encodeString(start)
        if let param = stream.cursorParam { query.append((param, text)) }
        if let template = stream.cursorFilter {
            let condition = template.replacing("{cursor}", with: text)
            if let index = query.firstIndex(where: { $0.0 == stream.filterParam }) {
                query[index].1 = "(\(query[index].1)) AND (\(condition))"
            } else {
                query.append((stream.filterParam, condition))
            }
        }
        return query
    }

    /// Whether cursor value `a` comes after `b`: numerically for numbers, else by text (ISO timestamps).
    static func isAfter(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x > y }
        return (a.stringValue ?? "") > (b.stringValue ?? "")
    }
}
