import FerryJSON
import FerryPluginSDK

/// How a stream pages, as a state machine with no I/O: it says which query to
/// send first and, given each page's outcome, what to send next, that the page
/// must be asked for again, or that the stream is done.
///
/// The rules: a stream is *complete* only when the API declared its end (its
/// totals agree with what was read, its token or `Link` said "no more", or the
/// response was the whole unpaged collection). A short or empty page without
/// totals ends the stream but is not complete. When the totals say a page
/// should hold more records than it did, records moved or vanished between
/// pages: the page is asked for again (``maxRepeats`` times), then the read
/// fails before the page is returned, so no checkpoint passes it.
struct Pagination {
    /// Times a page that disagrees with the totals is asked for again before the read fails.
    static let maxRepeats = 2

    /// What to request next.
    enum Next: Equatable {
        /// The stream's path with these paging parameters added.
        case query([Parameter])
        /// An absolute or relative URL given by the server (Link header).
        case url(String)
        /// Ask for the same page again: it disagrees with the API's totals.
        case repeatPage(reason: String)
        /// Give up: the page still disagrees after ``maxRepeats`` more requests.
        case inconsistent(String)
        /// No more pages; `complete` when the API declared the end.
        case done(complete: Bool)

        static let done = Next.done(complete: false)
    }

    /// One query parameter.
    struct Parameter: Equatable {
        var name: String
        var value: String
        init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    let style: Style
    let totals: Totals
    /// `pagination.stop: empty_page`: only an empty page ends the stream (page and offset
    /// styles), for APIs that send short pages before the end and no totals.
    let endsOnEmptyPage: Bool
    /// The page number about to be (or just) read, for `page`.
    private var page = 0
    /// Records on the pages read before the current one.
    private var received = 0
    private var repeats = 0
    private var lastToken: String?

    init(_ style: Style, totals: Totals = Totals(), endsOnEmptyPage: Bool = false) {
        self.style = style
        self.totals = totals
        self.endsOnEmptyPage = endsOnEmptyPage
    }

    /// The first request's paging parameters.
    mutating func first() -> Next {
        switch style {
        case .none, .link: return .query([])
        case .page(let param, let sizeParam, let size, let start):
            page = start
            return .query([Parameter(param, "\(start)")] + (sizeParam.map { [Parameter($0, "\(size)")] } ?? []))
        case .offset(let param, let limitParam, let size):
            return .query([Parameter(param, "0"), Parameter(limitParam, "\(size)")])
        case .cursor(let cursor):
            return .query(cursor.sizeParam.flatMap { name in cursor.size.map { [Parameter(name, "\($0)")] } } ?? [])
        case .keyset(let sizeParam, let size, _, _):
            return .query(sizeParam.map { [Parameter($0, "\(size)")] } ?? [])
        case .fourD(let size):
            return .query([Parameter("$skip", "0"), Parameter("$top", "\(size)")])
        }
    }

    /// The next request after a page with `count` records.
    /// - Parameters:
    ///   - count: Records on the page just read (for `keyset`: records not read before).
    ///   - body: Its parsed body.
    ///   - linkHeader: Its `Link` header, if any.
    ///   - startedAtBeginning: For `keyset`: the run asked for the first page with no cursor.
    mutating func next(afterPageOf count: Int, body: JSONValue, linkHeader: String?, startedAtBeginning: Bool = false)
        -> Next
    {
        let total = totals.records(in: body) ?? (style.isFourD ? body["__COUNT"]?.intValue.map(Int.init) : nil)
        let verdict: Verdict
        switch style {
        case .none:
            verdict = total.map { count == $0 ? .end(declared: true) : .short(expected: $0) } ?? .end(declared: true)
        case .page(_, _, let size, let start):
            verdict = sized(
                count: count, size: size, total: total,
                pages: totals.pages(in: body).map { (read: page - start + 1, total: $0) })
        case .offset(_, _, let size), .fourD(let size):
            verdict = sized(count: count, size: size, total: total, pages: nil)
        case .cursor(let cursor):
            let token = cursor.hasMore(in: body) == false ? nil : cursor.token(in: body)
            if let token, !token.isEmpty {
                // A token handed back twice would page forever.
                if token == lastToken { return .inconsistent("the API sent the next-page token '\(token)' twice") }
                lastToken = token
                verdict = .more
            } else {
                verdict = endAgainst(total, count: count)
            }
        case .link:
            verdict = Self.nextLink(linkHeader) == nil ? endAgainst(total, count: count) : .more
        case .keyset:
            verdict = count == 0 ? .end(declared: startedAtBeginning) : .more
        }
        switch verdict {
        case .short(let expected):
            let reason =
                "\(pageName) returned \(count) records where the API's \(totalsKey) (\(total.map(String.init) ?? "?") in all, "
                + "\(received) read before) mean \(expected)"
            guard repeats < Self.maxRepeats else {
                return .inconsistent(reason + "; asked \(repeats + 1) times")
            }
            repeats += 1
            return .repeatPage(reason: reason)
        case .end(let declared):
            repeats = 0
            received += count
            return .done(complete: declared)
        case .more:
            repeats = 0
            return advance(after: count, body: body, linkHeader: linkHeader)
        }
    }

    /// What one page says about the stream, before the next request is built.
    private enum Verdict {
        case more
        case end(declared: Bool)
        /// The totals say this page should have held `expected` records.
        case short(expected: Int)
    }

    /// Page, offset and 4D: a full page means more unless the totals say the end was reached.
    private func sized(count: Int, size: Int, total: Int?, pages: (read: Int, total: Int)?) -> Verdict {
        if let total {
            let expected = min(size, max(0, total - received))
            if count < expected { return .short(expected: expected) }
            if received + count >= total { return .end(declared: true) }
        }
        if let pages {
            if pages.read >= pages.total {
                // Both totals given and the record total says more: they disagree.
                return total.map { .short(expected: $0 - received) } ?? .end(declared: true)
            }
            if count < size { return .short(expected: size) }
            return .more
        }
        if total != nil { return .more }
        // An API whose documented end is an empty page declares it with one.
        if endsOnEmptyPage { return count > 0 ? .more : .end(declared: true) }
        return count >= size && count > 0 ? .more : .end(declared: false)
    }

    /// Token and Link: the API said "no more"; totals, when given, must agree.
    private func endAgainst(_ total: Int?, count: Int) -> Verdict {
        guard let total else { return .end(declared: true) }
        return received + count < total ? .short(expected: total - received) : .end(declared: true)
    }

    /// The request after a page that was accepted.
    private mutating func advance(after count: Int, body: JSONValue, linkHeader: String?) -> Next {
        received += count
        switch style {
        case .none:
            return .done
        case .page(let param, let sizeParam, let size, _):
            page += 1
            return .query([Parameter(param, "\(page)")] + (sizeParam.map { [Parameter($0, "\(size)")] } ?? []))
        case .offset(let param, let limitParam, let size):
            return .query([Parameter(param, "\(received)"), Parameter(limitParam, "\(size)")])
        case .cursor(let cursor):
            return .query(
                [Parameter(cursor.param, lastToken ?? "")]
                    + (cursor.sizeParam.flatMap { name in cursor.size.map { [Parameter(name, "\($0)")] } } ?? []))
        case .keyset(let sizeParam, let size, _, _):
            return .query(sizeParam.map { [Parameter($0, "\(size)")] } ?? [])
        case .link:
            return Self.nextLink(linkHeader).map(Next.url) ?? .done
        case .fourD(let size):
            return .query([Parameter("$skip", "\(received)"), Parameter("$top", "\(size)")])
        }
    }

    /// The page just read, for messages.
    private var pageName: String {
        switch style {
        case .page: return "page \(page)"
        case .offset, .fourD: return "the page at offset \(received)"
        case .cursor: return lastToken.map { "the page after token '\($0)'" } ?? "the first page"
        default: return "the last page"
        }
    }

    /// The config key whose totals were compared, for messages.
    private var totalsKey: String {
        if let path = totals.recordsPath { return "pagination.total_path '\(path.joined(separator: "."))'" }
        if let path = totals.pagesPath { return "pagination.total_pages_path '\(path.joined(separator: "."))'" }
        return "__COUNT"
    }

    /// The `rel="next"` target of a Link header.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: " ") }
            guard let target = pieces.first, target.hasPrefix("<"), target.hasSuffix(">"),
                pieces.dropFirst().contains(where: { $0.replacing("\"", with: "").lowercased() == "rel=next" })
            else { continue }
            return String(target.dropFirst().dropLast())
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters(in character: Character) -> String {
        var text = self
        while text.first == character { text = text.dropFirst() }
        while text.last == character { text = text.dropLast() }
        return String(text)
    }
}
