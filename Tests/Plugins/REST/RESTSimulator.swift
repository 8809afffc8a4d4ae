import FerryJSON
import FerryPluginSDK
import Foundation

/// A JSON API over a mutable list of records `{"id", "updated"}`, answering in
/// the harness's `http_request` slot. It pages by `page`/`per_page`,
/// `offset`/`limit` or keyset (`updated_since`, inclusive, plus an optional
/// `after_id`), always sorted by (updated, id), and states `meta.total` and
/// `meta.pages`. Faults are closures: `beforeAnswer` may change the records
/// (updates during a long load), `trim` may drop records from a page.
final class RESTSimulator: @unchecked Sendable {
    struct Item: Equatable {
        var id: Int
        var updated: Int
    }

    private let lock = NSLock()
    private var items: [Item]
    private(set) var queries: [[String: String]] = []
    /// Called with the request's number (from 1) and query, before the page is cut.
    var beforeAnswer: (Int, [String: String], inout [Item]) -> Void = { _, _, _ in }
    /// Called with the request's number and the page; returns what is sent.
    var trim: (Int, [String: String], [Item]) -> [Item] = { $2 }

    init(count: Int) { items = (1...count).map { Item(id: $0, updated: $0) } }

    /// `2025-01-01T00:00:00Z` plus `seconds`.
    static func timestamp(_ seconds: Int) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "2025-01-01T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
    }

    static func seconds(_ timestamp: String) -> Int? {
        let parts = timestamp.dropFirst(11).prefix(8).split(separator: ":").compactMap { Int($0) }
        return parts.count == 3 ? parts[0] * 3600 + parts[1] * 60 + parts[2] : nil
    }

    var handler: @Sendable (HTTPRequest) throws -> HTTPResponse { { [self] request in try answer(request) } }

    private func answer(_ request: HTTPRequest) throws -> HTTPResponse {
        let query = Self.query(of: request.url)
        let body: String = lock.withLock {
            queries.append(query)
            beforeAnswer(queries.count, query, &items)
            var sorted = items.sorted { ($0.updated, $0.id) < ($1.updated, $1.id) }
            if let since = query["updated_since"].flatMap(Self.seconds) {
                let afterID = query["after_id"].flatMap { Int($0) }
                sorted = sorted.filter { item in
                    item.updated > since || (item.updated == since && afterID.map { item.id > $0 } ?? true)
                }
            }
            // A toy filter language: `from T` (updated >= T), `after T K` (after (T, K) in sort order).
            if let filter = query["filter"]?.split(separator: " ").map(String.init) {
                let since = Self.seconds(filter[1]) ?? 0
                let afterID = filter.count > 2 ? Int(filter[2]) : nil
                sorted = sorted.filter { item in
                    item.updated > since || (item.updated == since && afterID.map { item.id > $0 } ?? true)
                }
            }
            if let until = query["updated_before"].flatMap(Self.seconds) {
                sorted = sorted.filter { $0.updated < until }
            }
            let size = Int(query["per_page"] ?? query["limit"] ?? "") ?? sorted.count
            let start = query["page"].map { (Int($0)! - 1) * size } ?? Int(query["offset"] ?? "0")!
            let page = trim(queries.count, query, Array(sorted.dropFirst(start).prefix(size)))
            let records = page.map { #"{"id":\#($0.id),"updated":"\#(Self.timestamp($0.updated))"}"# }.joined(
                separator: ",")
            let pages = (sorted.count + size - 1) / max(1, size)
            return #"{"data":[\#(records)],"meta":{"total":\#(sorted.count),"pages":\#(pages)}}"#
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }

    var stored: [Item] { lock.withLock { items } }
    var requestCount: Int { lock.withLock { queries.count } }
    /// The `page` parameters asked for so far, safe while a reader reads on another thread.
    var pagesAskedFor: [Int] { lock.withLock { queries.compactMap { $0["page"].flatMap { Int($0) } } } }

    /// The decoded query parameters of a relative URL.
    static func query(of url: String) -> [String: String] {
        guard let mark = url.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for pair in url[url.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).removingPercentEncoding ?? String($0)
            }
            result[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }
}

extension ReceivedBatch {
    /// The records' ids, in order.
    var ids: [Int] { records.compactMap { $0["id"]?.intValue.map(Int.init) } }
}
