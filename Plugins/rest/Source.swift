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
        config.streams.flatMap { stream in
            [
                StreamDescriptor(
                    name: stream.name, primaryKey: stream.primaryKey, cursorField: stream.cursorField,
                    readsByID: stream.detail?.mode == .replace && stream.primaryKey.count == 1)
            ]
                + stream.children.map { StreamDescriptor(name: $0.name, primaryKey: $0.primaryKey, cursorField: nil) }
        }
    }

    /// Every stream a read can name: the configured ones and their children.
    private var streamNames: [String] { config.streams.flatMap { [$0.name] + $0.children.map(\.name) } }

    /// Starts reading a stream from the checkpoint's cursor, or the request's range.
    public func read(_ request: ReadRequest) throws -> any BatchReader {
        if let stream = config.streams.first(where: { $0.name == request.stream }) {
            if let ids = request.ids {
                return try ByIDReader(ids: ids, stream: stream, host: host, batchSize: request.batchSize)
            }
            let reader = RESTReader(
                stream: stream, host: host, window: try ReadWindow(request: request, stream: stream), asLines: true)
            return stream.prefetch ? PrefetchingReader(reader) : reader
        }
        guard let parent = config.streams.first(where: { $0.children.contains { $0.name == request.stream } }),
            let child = parent.children.first(where: { $0.name == request.stream })
        else {
            throw PluginError.invalid(
                "unknown stream '\(request.stream)'; configured: \(streamNames.joined(separator: ", "))")
        }
        if request.ids != nil {
            throw PluginError.invalid(
                "stream '\(request.stream)' is a children: stream and cannot read single records; read its parent "
                    + "stream '\(parent.name)' by id")
        }
        let parents = RESTReader(
            stream: parent, host: host, window: try ReadWindow(request: request, stream: parent), withDetail: false)
        return ChildReader(parents: parents, child: child, host: host)
    }
}

/// Reads one stream: a page per `next()`, the checkpoint carrying the highest
/// cursor value seen so far (the API should return records in cursor order).
///
/// With `requests:`, the lists are read one after the other, records already delivered in
/// this run are dropped by key, and only the last list's pages carry the checkpoint (the
/// cursor must not pass records an earlier list has but a later one has not read yet).
/// With `detail:`, each page's records are completed before the page is returned.
final class RESTReader: BatchReader {
    /// One page as delivered: its records (rejected ones marked) and its checkpoint.
    struct Delivery {
        /// The records as objects; empty when they come as `lines`.
        var records: [JSONObject]
        /// The records as the API sent them, one JSON line each (`PageRecords.lines`).
        var lines: RecordBatch?
        var checkpoint: JSONValue?

        var count: Int { lines?.count ?? records.count }
    }

    let stream: RESTStream
    let host: HostServices
    private let window: ReadWindow
    /// Nil when the records are read only as parents of a child stream.
    private let detail: Detail?
    private var pagination: Pagination
    private var pending: Pagination.Next
    private var cursor: JSONValue?
    /// Keyset paging's position; nil for the other styles.
    private var keyset: Keyset?
    /// The index of the list (`requests:`) being read.
    private var request = 0
    /// Keys delivered in this run, when several lists may hold the same record.
    private var delivered = Set<String>()
    /// The last accepted page's records (hashes of their bytes when read as lines), to catch
    /// an API that ignores the page parameter.
    private var previousPage: PageRecords.Fingerprint = .objects([])
    /// Whether pages are passed on as the bytes the API sent (`PageRecords`) rather than parsed
    /// into values and encoded again: when nothing needs a record whole (no `detail:`, no
    /// `request_fields`, one list).
    private let readsLines: Bool
    /// The last checkpoint handed to the host (or the one the read started from).
    private var deliveredCheckpoint: JSONValue?
    /// Whether every list read so far declared its end.
    private var everyListComplete = true
    private(set) var isComplete = false

    /// - Parameter asLines: Deliver pages through `next()` as lines where the stream allows it;
    ///   false for a reader whose `nextPage()` must hand out objects (a child stream's parents).
    init(stream: RESTStream, host: HostServices, window: ReadWindow, withDetail: Bool = true, asLines: Bool = false) {
        self.stream = stream
        self.host = host
        self.window = window
        detail = withDetail ? stream.detail : nil
        readsLines = asLines && detail == nil && stream.requestFields.isEmpty && stream.requests.count == 1
        cursor = window.checkpointCursor
        pagination = Pagination(stream.pagination, totals: stream.totals, endsOnEmptyPage: stream.endsOnEmptyPage)
        pending = pagination.first()
        if stream.pagination.isKeyset { keyset = Keyset(cursor: window.start, keys: window.checkpointKeys) }
        deliveredCheckpoint = checkpoint()
    }

    func next() throws -> RecordBatch? {
        guard let page = try nextPage() else { return nil }
        if var lines = page.lines {
            lines.checkpoint = page.checkpoint
            return lines
        }
        var batch = RecordBatch(checkpoint: page.checkpoint)
        for record in page.records { batch.append(record) }
        return batch
    }

    /// The next page's records, or nil at the end of the stream.
    func nextPage() throws -> Delivery? {
        while true {
            if host.isCancelled { throw PluginError.cancelled() }
            if !listSelected(request) {
                // A run filtered on a request field (`--filter board=POSTED`) skips the other lists.
                guard request + 1 < stream.requests.count else { return nil }
                request += 1
                pagination = Pagination(
                    stream.pagination, totals: stream.totals, endsOnEmptyPage: stream.endsOnEmptyPage)
                pending = pagination.first()
                previousPage = .objects([])
                continue
            }
            let url: String
            switch pending {
            case .done:
                guard request + 1 < stream.requests.count else { return nil }
                request += 1
                pagination = Pagination(
                    stream.pagination, totals: stream.totals, endsOnEmptyPage: stream.endsOnEmptyPage)
                pending = pagination.first()
                previousPage = .objects([])
                continue
            case .repeatPage, .inconsistent:
                // Never pending: both are handled where the page is read. A plugin never traps.
                throw PluginError.invalid("stream '\(stream.name)': internal paging state \(pending)")
            case .url(let next): url = next
            case .query(let paging):
                url = HTTPRequest.path(stream.path, query: baseQuery() + paging.map { ($0.name, $0.value) })
            }
            if let page = try read(url) { return page }
        }
    }

    private var isLastList: Bool { request == stream.requests.count - 1 }

    /// False for a list a filter on one of `request_fields` rules out.
    private func listSelected(_ list: Int) -> Bool {
        window.filters.allSatisfy { filter in
            guard stream.requestFields.contains(filter.field),
                let value = stream.requests[list].first(where: { $0.0 == filter.field })?.1
            else { return true }
            return value == filter.value
        }
    }

    /// The records of the current list with its `request_fields` set on them.
    private func tagged(_ records: [JSONObject]) -> [JSONObject] {
        let tags = stream.requestFields.compactMap { field in
            stream.requests[request].first { $0.0 == field }.map { (field, JSONValue.string($0.1)) }
        }
        guard !tags.isEmpty else { return records }
        return records.map { record in
            var record = record
            for (field, value) in tags { record[field] = value }
            return record
        }
    }

    /// Reads one page (again, while it disagrees with the API's totals); nil when it
    /// ended the stream without records or must be followed by another request.
    private func read(_ url: String) throws -> Delivery? {
        while true {
            let response = try host.http(request(url))
            guard response.isSuccess else {
                let snippet = String(response.text.prefix(200))
                throw PluginError.invalid(
                    "stream '\(stream.name)': \(stream.method) \(url.split(separator: "?").first ?? "") answered HTTP \(response.status): \(snippet)"
                )
            }
            let (body, records) = try PageRecords.read(response, stream: stream, asLines: readsLines)
            let page = try Page(
                records.fields, stream: stream, window: window, cursor: cursor, keyset: keyset,
                windowField: stream.requestCursorFields[request])
            if let keyset { try checkProgress(of: page, records: records.count, from: keyset) }
            let fingerprint = checksRepeatedPages ? records.fingerprint : nil
            if let fingerprint { try checkMoved(fingerprint, count: records.count, url: url) }
            let accepted = pagination
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
            default:
                break
            }
            let lines = records.lines(page.admitted)
            let (fresh, keys) = lines == nil ? unseen(page.admitted.map { records.fields[$0] }) : ([], [])
            let completed: [JSONObject]
            do {
                completed = tagged(try detail?.complete(fresh, stream: stream.name, host: host) ?? fresh)
            } catch {
                // Nothing moved: a `next()` called again reads this page again.
                pagination = accepted
                throw error
            }
            if case .done(let complete) = next {
                // Complete means the whole stream: a read from a cursor or inside a range never is.
                everyListComplete = everyListComplete && complete
                isComplete = everyListComplete && window.isWhole && isLastList
            }
            // Only now, with the page accepted, do the cursor and keyset move past it.
            pending = next
            cursor = page.cursor
            keyset = page.keyset
            if let fingerprint { previousPage = fingerprint }
            delivered.formUnion(keys)
            let checkpoint = isLastList ? checkpoint() : nil
            let delivery = Delivery(records: completed, lines: lines, checkpoint: checkpoint)
            if delivery.count == 0, case .done = pending, checkpoint == nil || checkpoint == deliveredCheckpoint {
                return nil
            }
            if checkpoint != nil { deliveredCheckpoint = checkpoint }
            return delivery
        }
    }

    /// With `requests:`, the records whose key no earlier page of this run delivered (the
    /// first of each key on the page), and their keys.
    private func unseen(_ records: [JSONObject]) -> ([JSONObject], [String]) {
        guard stream.requests.count > 1 else { return (records, []) }
        var keys: [String] = []
        var onPage = Set<String>()
        let fresh = records.filter { record in
            let key = JSONWriter().encodeString(.array(stream.primaryKey.map { record[$0] ?? .null }))
            guard !delivered.contains(key), onPage.insert(key).inserted else { return false }
            keys.append(key)
            return true
        }
        return (fresh, keys)
    }

    /// Whether the paging style names pages by number or offset, which an API can ignore; the
    /// others move by what each page says. Only these pages are fingerprinted.
    private var checksRepeatedPages: Bool {
        switch stream.pagination {
        case .page, .offset, .fourD: true
        default: false
        }
    }

    /// A page or offset that returns the very records of the page before (the API ignores
    /// the page parameter) would be read forever, most of all with `stop: empty_page`.
    private func checkMoved(_ records: PageRecords.Fingerprint, count: Int, url: String) throws {
        guard count > 0, records == previousPage else { return }
        throw PluginError.invalid(
            "stream '\(stream.name)': \(url.split(separator: "?").first ?? "") returned the same \(count) records as "
                + "the page before: the API ignores the paging parameter (check pagination.page_param, offset_param or start_page)"
        )
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

    /// The stream's static query and the current list's (`requests:`) plus the cursor (a parameter or inside a filter
    /// expression), keyset's last key, and the range's end.
    private func baseQuery() -> [(String, String)] {
        var query = stream.query + stream.requests[request]
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
        if let template = stream.fieldFilter {
            // A value holding a quote, or a field that is not a plain name, is not pushed down (it could
            // end the template's quoting); the host checks every record against the filters anyway.
            for filter in window.filters
            where !filter.value.contains("\"") && !filter.value.contains("'")
                && filter.field.wholeMatch(of: #/[A-Za-z_][A-Za-z0-9_.]*/#) != nil
            {
                conditions.append(
                    template.replacing("{field}", with: filter.field).replacing("{value}", with: filter.value))
            }
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

/// Which of a page's records will be delivered: those inside the read window, not read
/// before (keyset), with the cursor and keyset position they lead to.
struct Page {
    /// Indexes of the delivered records on the page.
    var admitted: [Int] = []
    /// Records on the page not read before (keyset), counted before the window drops any.
    var fresh = 0
    /// Records before the keyset position (an API that ignores the cursor).
    var before = 0
    var cursor: JSONValue?
    var keyset: Keyset?

    /// - Parameters:
    ///   - records: Each record, or at least its cursor, key and window fields (`PageRecords`).
    ///   - windowField: The field the read window applies to, when not the cursor field
    ///     (a list of `requests:` with a `cursor_field` of its own).
    init(
        _ records: [JSONObject], stream: RESTStream, window: ReadWindow, cursor: JSONValue?, keyset: Keyset?,
        windowField: String? = nil
    ) throws {
        self.cursor = cursor
        self.keyset = keyset
        for (index, object) in records.enumerated() {
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
            let windowed = windowField.map { object[$0] } ?? value
            guard window.admits(windowed) else { continue }
            if let value, self.cursor.map({ RESTReader.isAfter(value, $0) }) ?? true {
                self.cursor = value
            }
            admitted.append(index)
        }
    }
}
