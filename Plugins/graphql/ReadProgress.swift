import FerryJSON
import FerryPluginSDK

/// One read's paging and checkpoint rules, with no I/O: fed each page's records
/// and `pageInfo`, it says which records to deliver, the checkpoint that goes with
/// them, and the page cursor of the next request, or that the read is over.
///
/// The checkpoint is `{"cursor": <newest cursor_field value>}` and follows the
/// stream's `order`, so that a crash at any point re-reads and never skips:
/// - `ascending`: every page's checkpoint is the newest value so far; anything
///   newer comes on a later page.
/// - `newest_first`: paging stops at the first record older than the stored
///   checkpoint (or `--since`): everything past it was delivered by an earlier run.
///   Intermediate pages carry no checkpoint; only the last page moves it to the
///   newest value, once the whole newer part has been delivered.
/// - `any`: as `newest_first` without the early stop.
///
/// A page that says `hasNextPage` but gives no `endCursor`, or one already followed
/// in this read, is an error rather than a loop; so is a record out of the declared order
/// (with a wrong sort, an early stop would silently skip records).
struct ReadProgress {
    /// A page's `pageInfo`.
    struct PageInfo: Equatable {
        var hasNextPage: Bool
        var endCursor: String?
    }

    /// What to do with one accepted page.
    struct Page {
        var records: [JSONObject]
        /// The batch's checkpoint; nil leaves the stored one where it is.
        var checkpoint: JSONValue?
        /// True for the read's last page.
        var isLast: Bool
    }

    let stream: String
    let order: GraphQLStream.Order
    let cursorField: FieldPath?
    let window: ReadWindow
    /// Whether the stream pages at all (`pagination: relay`).
    let pages: Bool
    /// The value of `page_cursor_variable` for the next request; nil for the first page.
    private(set) var pageCursor: String?
    /// True once the last page was accepted.
    private(set) var isFinished = false
    /// True when the last page ended the whole stream by the server's word (`hasNextPage: false`).
    private(set) var isComplete = false
    /// The newest cursor value delivered (or stored before this read).
    private(set) var newest: JSONValue?
    /// The last record's cursor value, to check the declared order.
    private var previous: JSONValue?
    private var followedCursors: Set<String> = []
    private(set) var pagesAccepted = 0

    init(stream: GraphQLStream, window: ReadWindow) {
        self.stream = stream.name
        order = stream.order
        cursorField = stream.cursorField
        self.window = window
        pages = stream.pageInfoPath != nil
        newest = window.checkpointCursor
    }

    /// Takes one page. Throws, changing nothing, when the page breaks the declared
    /// order or paging would not move on; the same page may then be asked for again.
    /// - Parameters:
    ///   - records: The values at `records_path`.
    ///   - pageInfo: The page's `pageInfo`, nil when the stream does not page.
    mutating func accept(_ records: [JSONValue], pageInfo: PageInfo?) throws -> Page {
        var next = self
        var kept: [JSONObject] = []
        var reachedFloor = false
        for record in records {
            guard let object = record.objectValue else {
                throw PluginError.invalid(
                    "stream '\(stream)': a record at records_path is not an object: \(JSONWriter().encodeString(record).prefix(80))"
                )
            }
            let value = cursorField.flatMap { $0.value(in: record) }
            if let value {
                try next.checkOrder(value)
                if order == .newestFirst, let floor = window.start, CursorOrder.isAfter(floor, value) {
                    // Older than what an earlier run delivered (or than --since): the rest is known.
                    reachedFloor = true
                    break
                }
            }
            guard window.admits(value) else { continue }
            if let value, next.newest.map({ CursorOrder.isAfter(value, $0) }) ?? true { next.newest = value }
            kept.append(object)
        }
        next.pagesAccepted += 1
        if reachedFloor || !pages {
            next.isFinished = true
        } else if let pageInfo {
            if pageInfo.hasNextPage {
                guard let cursor = pageInfo.endCursor, !cursor.isEmpty else {
                    throw PluginError.invalid(
                        "stream '\(stream)': page \(next.pagesAccepted) says hasNextPage but gives no endCursor, so "
                            + "the next page cannot be asked for; the read stops instead of looping")
                }
                guard !next.followedCursors.contains(cursor) else {
                    throw PluginError.invalid(
                        "stream '\(stream)': page \(next.pagesAccepted) says hasNextPage but repeats the endCursor "
                            + "'\(cursor.prefix(60))' already followed; the read stops instead of looping")
                }
                next.followedCursors.insert(cursor)
                next.pageCursor = cursor
            } else {
                next.isFinished = true
                next.isComplete = window.isWhole
            }
        } else {
            throw PluginError.invalid("stream '\(stream)': the page has no pageInfo")
        }
        self = next
        // `JSONValue` is nil-literal expressible, so no `nil` literal here: it could become JSON null.
        var page = Page(records: kept, checkpoint: Optional.none, isLast: isFinished)
        if order == .ascending || isFinished, let newest {
            page.checkpoint = .object(JSONObject([("cursor", newest)]))
        }
        return page
    }

    /// Records of an `ascending` or `newest_first` stream must keep that order.
    private mutating func checkOrder(_ value: JSONValue) throws {
        defer { previous = value }
        guard let previous else { return }
        let broken: Bool
        switch order {
        case .ascending: broken = CursorOrder.isAfter(previous, value)
        case .newestFirst: broken = CursorOrder.isAfter(value, previous)
        case .any: broken = false
        }
        guard broken else { return }
        let field = cursorField?.description ?? "cursor"
        throw PluginError.invalid(
            "stream '\(stream)' is declared order: \(order.rawValue), but a record with \(field) "
                + "\(CursorOrder.text(value)) came after one with \(CursorOrder.text(previous)): sort the query by "
                + "\(field) (\(order == .ascending ? "ascending" : "descending")) or set order: any")
    }
}
