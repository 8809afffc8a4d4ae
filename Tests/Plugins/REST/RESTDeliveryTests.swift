import FerryJSON
import FerryTesting
import Foundation
import Synchronization
import Testing

/// The rest connector's delivery rules end to end: the real `ferry` binary, a
/// loopback API whose records change during the load or whose pages lose
/// records, and the sqlite destination.
@Suite struct RESTDeliveryTests {
    /// Records `{"id", "updated"}` sorted by (updated, id); `updated_since` is inclusive.
    final class API: Sendable {
        let items = Mutex<[(id: Int, updated: Int)]>((1...40).map { ($0, $0) })
        let requests = Mutex(0)
        /// Called with the request's number before it is answered (may change `items`).
        let change: @Sendable (Int, inout [(id: Int, updated: Int)]) -> Void
        /// Drops a record from the page with this number, when set.
        let lossyPage = Mutex<Int?>(nil)

        init(change: @escaping @Sendable (Int, inout [(id: Int, updated: Int)]) -> Void = { _, _ in }) {
            self.change = change
        }

        func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
            let number = requests.withLock {
                $0 += 1; return $0
            }
            let all = items.withLock { items in
                change(number, &items)
                return items.sorted { ($0.updated, $0.id) < ($1.updated, $1.id) }
            }
            let since = request.query["updated_since"].flatMap(Int.init) ?? Int.min
            let matching = all.filter { $0.updated >= since }
            let size = Int(request.query["limit"] ?? request.query["per_page"] ?? "10")!
            let pageNumber = request.query["page"].flatMap(Int.init)
            var page = Array(matching.dropFirst(((pageNumber ?? 1) - 1) * size).prefix(size))
            if let pageNumber, pageNumber == lossyPage.withLock({ $0 }), page.count > 2 { page.remove(at: 1) }
            let records = page.map { #"{"id":\#($0.id),"updated":\#($0.updated)}"# }.joined(separator: ",")
            return .json(#"{"data":[\#(records)],"meta":{"total":\#(matching.count)}}"#)
        }
    }

    static func config(_ server: LoopbackServer, pagination: String) -> String {
        """
        state: state.db
        connections:
          api:
            plugin: rest
            http: { endpoint: "\(server.url)", max_attempts: 1 }
            config:
              streams:
                - { name: items, path: items, records_path: data, primary_key: id, cursor_field: updated,
                    cursor_param: updated_since, pagination: \(pagination) }
          db: { plugin: sqlite, config: { path: out.db } }
        pipelines:
          items: { source: { connection: api, stream: items }, destination: { connection: db }, write: upsert }
        """
    }

    @Test func keysetLoadsEveryRecordWhileRecordsAreUpdatedDuringTheLoad() throws {
        // Before the third page, records 1…3 (already read) are updated and move to the end.
        let api = API { number, items in
            if number == 3 {
                for index in items.indices where items[index].id <= 3 { items[index].updated = 100 + items[index].id }
            }
        }
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Sandbox()
        _ = try sandbox.write(
            "ferry.yaml", Self.config(server, pagination: "{ type: keyset, size_param: limit, page_size: 5 }"))
        let run = try sandbox.ferry(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try sandbox.sql("out.db", "SELECT count(*), count(DISTINCT id) FROM items") == ["40|40"])
        #expect(
            try sandbox.sql("out.db", "SELECT updated FROM items WHERE id <= 3 ORDER BY id") == ["101", "102", "103"])
    }

    @Test func aPageThatDisagreesWithTheTotalStopsTheRunBeforeItsCheckpoint() throws {
        let api = API()
        api.lossyPage.withLock { $0 = 3 }
        let server = try LoopbackServer { api.reply($0) }
        let sandbox = try Sandbox()
        _ = try sandbox.write(
            "ferry.yaml",
            Self.config(
                server, pagination: "{ type: page, size_param: per_page, page_size: 10, total_path: meta.total }"))
        let failed = try sandbox.ferry(["run"])
        #expect(failed.status != 0, "\(failed.stdout)\(failed.stderr)")
        #expect((failed.stdout + failed.stderr).contains("pagination.total_path"), "\(failed.stdout)\(failed.stderr)")
        #expect(try sandbox.sql("out.db", "SELECT count(*), max(id) FROM items") == ["20|20"])
        #expect(try sandbox.sql("state.db", "SELECT checkpoint FROM checkpoints") == [#"{"cursor":20}"#])
        // The API recovers: the next run reads the page again and everything lands once.
        api.lossyPage.withLock { $0 = nil }
        let again = try sandbox.ferry(["run"])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(try sandbox.sql("out.db", "SELECT count(*), count(DISTINCT id) FROM items") == ["40|40"])
    }
}
