import FerryJSON
import FerryPluginSDK

/// The `rest` connector instance: each configured stream is read page by page
/// through the host's `http_request`, one page per batch, and each `writes` stream
/// is written object by object (`RESTDestination`).
/// The connector instance; public only because `RESTPlugin.Instance` names it.
public final class RESTConnector: SourceConnector, DestinationConnector {
    let config: RESTConfig
    let host: HostServices
    private let destination: RESTDestination

    init(config: RESTConfig, host: HostServices) {
        self.config = config
        self.host = host
        destination = RESTDestination(config: config.writes, host: host)
    }

    /// Requests the first stream's first page, or the first write stream's collection.
    public func check() throws -> CheckReport {
        let (name, path, query) =
            config.streams.first.map { ($0.name, $0.path, $0.query) }
            ?? (config.writes[0].name, config.writes[0].lookup?.path ?? config.writes[0].path, [])
        let response = try host.http(.get(path, query: query))
        return CheckReport(ok: response.isSuccess, message: "Stream '\(name)' answered HTTP \(response.status).")
    }

    /// Writes one batch to a `writes` stream: creates, updates or deletes, one request per record.
    /// - Parameters:
    ///   - request: Stream, operation, primary key and batch id.
    ///   - records: The batch.
    public func write(_ request: WriteRequest, records: RecordsView) throws -> WriteOutcome {
        try destination.write(request, records: records)
    }

    /// The configured streams.
    public func discover() throws -> [StreamDescriptor] {
        config.streams.map { StreamDescriptor(name: $0.name, primaryKey: $0.primaryKey, cursorField: $0.cursorField) }
    }

    /// Starts reading a stream from the checkpoint's cursor, or the request's range.
    public func read(_ request: ReadRequest) throws -> any BatchReader {
        guard let stream = config.streams.first(where: { $0.name == request.stream }) else {
            throw PluginError.invalid(
                "unknown stream '\(request.stream)'; configured: \(config.streams.map(\.name).joined(separator: ", "))")
        }
        return RESTReader(stream: stream, host: host, window: try ReadWindow(request: request, stream: stream))
    }
}

/// Reads one stream: a page per `next()`, the checkpoint carrying the highest
/// cursor value seen so far (the API should return records in cursor order).
final class RESTReader: BatchReader {
    let stream: RESTStream
    let host: HostServices
    private let window: ReadWindow
    private var pagination: Pagination
    private var pending: Pagination.Next
    private var cursor: JSONValue?
    /// Keyset paging's position; nil for the other styles.
    private var keyset: Keyset?
    private(set) var isComplete = false

    init(stream: RESTStream, host: HostServices, window: ReadWindow) {
        self.stream = stream
        self.host = host
        self.window = window
        cursor = window.checkpointCursor
        pagination = Pagination(stream.pagination, totals: stream.totals)
        pending = pagination.first()
        if stream.pagination.isKeyset { keyset = Keyset(cursor: window.start, keys: window.checkpointKeys) }
    }

    func next() throws -> RecordBatch? {
        while true {
            if host.isCancelled { throw PluginError.cancelled() }
            let url: String
            switch pending {
            case .done: return nil
            case .repeatPage, .inconsistent:
                // Never pending: both are handled where the page is read. A plugin never traps.
                throw PluginError.invalid("stream '\(stream.name)': internal paging state \(pending)")
            case .url(let next): url = next
            case .query(let paging):
                url = HTTPRequest.path(stream.path, query: baseQuery() + paging.map { ($0.name, $0.value) })
            }
            if let batch = try read(url) { return batch }
        }
    }

    /// Reads one page (again, while it disagrees with the API's totals); nil when it
    /// ended the stream without records or must be followed by another request.
    private func read(_ url: String) throws -> RecordBatch? {
        while true {
            let response = try host.http(request(url))
            guard response.isSuccess else {
                let snippet = String(response.text.prefix(200))
                throw PluginError.invalid(
                    "stream '\(stream.name)': \(stream.method) \(url.split(separator: "?").first ?? "") answered HTTP \(response.status): \(snippet)"
                )
            }
            let body = try response.json()
            let records = try stream.records(in: body)
            var page = try Page(records, stream: stream, window: window, cursor: cursor, keyset: keyset)
            if let keyset { try checkProgress(of: page, records: records.count, from: keyset) }
            let next = pagination.next(
                afterPageOf: keyset == nil ? records.count : page.fresh, body: body,
                linkHeader: response[header: "Link"], startedAtBeginning: window.start == nil)
            switch next {
            case .repeatPage(let reason):
                host.log(
                    .warning, "A page disagrees with the API's totals; asking for it again.",
                    ["stream": .string(stream.name), "error": .string(reason)])
                continue
            case .inconsistent(let reason):
                // `pending` still names this page: a host that calls `next()` again gets it asked for
                // again, never an end of stream.
                throw PluginError.retryable(
                    "stream '\(stream.name)': \(reason). Records changed or vanished between pages (or the API "
                        + "caps pages below pagination.page_size: lower it); the read stops before this page, "
                        + "so the next run reads it again.")
            case .done(let complete):
                // Complete means the whole stream: a read from a cursor or inside a range never is.
                isComplete = complete && window.isWhole
            default:
                break
            }
            // Only now, with the page accepted, do the cursor and keyset move past it.
            pending = next
            cursor = page.cursor
            keyset = page.keyset
            page.batch.checkpoint = checkpoint()
            if page.batch.isEmpty, case .done = pending { return nil }
            return page.batch
        }
    }

    /// Keyset paging must move forward: records before the position mean the API ignores the
    /// cursor (or sorts otherwise), and a page of records all read before means it cannot page
    /// past them. Either would otherwise loop, or end the read early as if it were the end.
    private func checkProgress(of page: Page, records: Int, from keyset: Keyset) throws {
        let position = JSONWriter().encodeString(keyset.cursor ?? .null)
        if page.before > 0 {
            throw PluginError.invalid(
                "stream '\(stream.name)': the API returned \(page.before) records before the cursor \(position): keyset "
                    + "paging needs it to filter by the cursor (>=) and sort by \(stream.cursorField ?? "the cursor"), then the key"
            )
        }
        guard page.fresh == 0, records > 0 else { return }
        if case .keyset(_, _, let keyParam, let keyFilter) = stream.pagination, keyParam != nil || keyFilter != nil {
            throw PluginError.invalid(
                "stream '\(stream.name)': the API sent again only records already read at cursor \(position) "
                    + "although the request carried the last key: it ignores pagination.key_param or key_filter")
        }
        if records >= stream.pageSize {
            throw PluginError.invalid(
                "stream '\(stream.name)': a full page held only records already read at cursor \(position): more "
                    + "than pagination.page_size records share one cursor value (raise page_size or set pagination.key_param or key_filter)"
            )
        }
    }

    /// `{"cursor": …}`, plus for keyset the keys already read at that cursor.
    private func checkpoint() -> JSONValue? {
        guard let cursor else { return nil }
        var object: JSONObject = ["cursor": cursor]
        if let keyset, keyset.cursor == cursor { object["keys"] = .array(keyset.keysAtCursor) }
        return .object(object)
    }

    /// The cursor the next request carries: keyset's position, else the window's start.
    private var requestCursor: JSONValue? { keyset?.cursor ?? window.start }

    /// A GET, or a POST of the stream's body with the cursor put in. A search changes
    /// nothing on the server, so the host may retry it like a GET.
    private func request(_ url: String) -> HTTPRequest {
        guard stream.method == "POST" else { return .get(url) }
        let cursorText = requestCursor.map(Self.text) ?? stream.cursorDefault
        var body = stream.body.map { Self.substitute("{cursor}", with: cursorText, in: $0) } ?? .object(JSONObject())
        if let until = window.until { body = Self.substitute("{until}", with: Self.text(until), in: body) }
        return HTTPRequest(
            method: "POST", url: url, headers: [("Content-Type", "application/json")],
            body: JSONWriter().encode(body), retrySafe: true)
    }

    /// `value` with `placeholder` replaced in every string it holds.
    static func substitute(_ placeholder: String, with text: String, in value: JSONValue) -> JSONValue {
        switch value {
        case .string(let string): return .string(string.replacing(placeholder, with: text))
        case .array(let items): return .array(items.map { substitute(placeholder, with: text, in: $0) })
        case .object(let object):
            return .object(
                JSONObject(object.map { (key: $0.key, value: substitute(placeholder, with: text, in: $0.value)) }))
        default: return value
        }
    }

    /// A cursor value as it goes into a URL or filter: strings bare, the rest as JSON.
    static func text(_ value: JSONValue) -> String { value.stringValue ?? JSONWriter().encodeString(value) }

    /// The stream's static query plus the cursor (a parameter or inside a filter
    /// expression), keyset's last key, and the range's end.
    private func baseQuery() -> [(String, String)] {
        var query = stream.query
        var conditions: [String] = []
        var keyFilter: String?
        if case .keyset(_, _, let keyParam, let filter) = stream.pagination, let key = keyset?.lastKey {
            if let keyParam { query.append((keyParam, Self.text(key))) }
            keyFilter = filter?.replacing("{key}", with: Self.text(key))
        }
        if let start = requestCursor {
            let text = Self.text(start)
            if let param = stream.cursorParam { query.append((param, text)) }
            if let template = keyFilter ?? stream.cursorFilter {
                conditions.append(template.replacing("{cursor}", with: text))
            }
        }
        if let until = window.until {
            let text = Self.text(until)
            if let param = stream.untilParam { query.append((param, text)) }
            if let template = stream.untilFilter { conditions.append(template.replacing("{until}", with: text)) }
        }
        guard !conditions.isEmpty else { return query }
        let condition = conditions.count == 1 ? conditions[0] : conditions.map { "(\($0))" }.joined(separator: " AND ")
        if let index = query.firstIndex(where: { $0.0 == stream.filterParam }) {
            query[index].1 = "(\(query[index].1)) AND (\(condition))"
        } else {
            query.append((stream.filterParam, condition))
        }
        return query
    }

    /// Whether cursor value `a` comes after `b`: numerically for numbers, else by text (ISO timestamps).
    static func isAfter(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x > y }
        return (a.stringValue ?? "") > (b.stringValue ?? "")
    }
}

/// One page's records as they will be delivered: inside the read window, not
/// read before (keyset), with the cursor and keyset position they lead to.
struct Page {
    var batch = RecordBatch()
    /// Records on the page not read before (keyset), counted before the window drops any.
    var fresh = 0
    /// Records before the keyset position (an API that ignores the cursor).
    var before = 0
    var cursor: JSONValue?
    var keyset: Keyset?

    init(_ records: [JSONValue], stream: RESTStream, window: ReadWindow, cursor: JSONValue?, keyset: Keyset?) throws {
        self.cursor = cursor
        self.keyset = keyset
        for record in records {
            guard let object = record.objectValue else {
                throw PluginError.invalid("stream '\(stream.name)': a record is not a JSON object")
            }
            let value = stream.cursorField.flatMap { object[$0] }.flatMap { $0.isNull ? nil : $0 }
            if self.keyset != nil {
                guard let value else {
                    throw PluginError.invalid(
                        "stream '\(stream.name)': a record has no \(stream.cursorField ?? "cursor"), which keyset paging needs"
                    )
                }
                let key: JSONValue =
                    stream.primaryKey.count == 1
                    ? object[stream.primaryKey[0]] ?? .null : .array(stream.primaryKey.map { object[$0] ?? .null })
                switch self.keyset!.admit(cursor: value, key: key) {
                case .fresh: fresh += 1
                case .seen: continue
                case .before:
                    before += 1
                    continue
                }
            }
            guard window.admits(value) else { continue }
            if let value, self.cursor.map({ RESTReader.isAfter(value, $0) }) ?? true {
                self.cursor = value
            }
            batch.append(object)
        }
    }
}
