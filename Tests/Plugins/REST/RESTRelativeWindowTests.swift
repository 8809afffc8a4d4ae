import FerryCore
import FerryTesting
import Foundation
import Synchronization
import Testing

/// Relative `since` values (`-30d`, `-2w`) on the real `ferry` and the real rest `.so`: on the
/// command line and in the pipeline's config, resolved once per run to a date in the
/// pipeline's time zone, sent as the stream's cursor parameter on every page, and records
/// before it dropped; malformed values are refused naming the key and file:line.
@Suite struct RESTRelativeWindowTests {
    static let config = """
        version: 1
        state: state.db
        connections:
          shop:
            plugin: rest
            http: { endpoint: "${SHOP_URL}" }
            config:
              streams:
                - name: customers
                  path: customers
                  records_path: content
                  primary_key: id
                  cursor_field: updatedDate
                  cursor_param: updatedDateStart
                  pagination: { type: page, start_page: 0, size_param: size, page_size: 2, total_pages_path: totalPages }
          warehouse: { plugin: sqlite, config: { path: warehouse.db } }
        pipelines:
          recent:
            source: { connection: shop, stream: customers }
            destination: { connection: warehouse, stream: recent }
            write: upsert
            timezone: Pacific/Kiritimati
          fortnight:
            source: { connection: shop, stream: customers }
            destination: { connection: warehouse, stream: fortnight }
            write: upsert
            since: -2w
            timezone: Pacific/Kiritimati
        """

    /// Customers updated 40, 20, 10 and 1 days ago and today, five of them on three pages;
    /// the API ignores the filter, so the connector's own window must drop the older ones.
    final class Shop: Sendable {
        let starts = Mutex<[String]>([])
        let now = Date()

        func updated(_ id: Int) -> String {
            let days = [1: 40, 2: 20, 3: 10, 4: 1, 5: 0][id]!
            let formatter = ISO8601DateFormatter()
            return formatter.string(from: now.addingTimeInterval(-Double(days) * 86400))
        }

        func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
            starts.withLock { $0.append(request.query["updatedDateStart"] ?? "none") }
            let page = Int(request.query["page"] ?? "0") ?? 0
            let items = (1...5).dropFirst(page * 2).prefix(2).map { #"{"id":\#($0),"updatedDate":"\#(updated($0))"}"# }
            return .json(#"{"content":[\#(items.joined(separator: ","))],"totalPages":3}"#)
        }
    }

    /// The calendar day `days` before `date` in Kiritimati (UTC+14).
    static func day(_ days: Int, before date: Date) -> String {
        DateBound.daysAgo(days).resolved(now: date, timeZone: TimeZone(identifier: "Pacific/Kiritimati")!)
    }

    @Test func sinceOnTheCommandLineIsOneDateInThePipelinesZoneForTheWholeRun() throws {
        let shop = Shop()
        let server = try LoopbackServer { shop.reply($0) }
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config)
        let before = Date()
        let run = try sandbox.ferry(["run", "recent", "--since", "-15d"], environment: ["SHOP_URL": server.url])
        let after = Date()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let starts = shop.starts.withLock { $0 }
        #expect(starts.count == 3 && Set(starts).count == 1, "\(starts)")
        #expect([Self.day(15, before: before), Self.day(15, before: after)].contains(starts[0]), "\(starts)")
        #expect(try sandbox.sql("warehouse.db", "SELECT id FROM recent ORDER BY id") == ["3", "4", "5"])
        // `--since=-15d` says the same; a malformed value names the option.
        let bad = try sandbox.ferry(["run", "recent", "--since", "-15x"], environment: ["SHOP_URL": server.url])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--since must be") && bad.stderr.contains("'-15x'"), "\(bad.stderr)")
    }

    @Test func sinceInTheConfigResolvesPerRunAndAMalformedOneNamesTheKeyAndLine() throws {
        let shop = Shop()
        let server = try LoopbackServer { shop.reply($0) }
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", Self.config)
        let before = Date()
        let run = try sandbox.ferry(["run", "fortnight"], environment: ["SHOP_URL": server.url])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let starts = shop.starts.withLock { $0 }
        #expect([Self.day(14, before: before), Self.day(14, before: Date())].contains(starts.first ?? ""), "\(starts)")
        #expect(try sandbox.sql("warehouse.db", "SELECT id FROM fortnight ORDER BY id") == ["3", "4", "5"])

        try sandbox.write("ferry.yaml", Self.config.replacing("since: -2w", with: "since: -2 weeks"))
        let bad = try sandbox.ferry(["run", "fortnight"], environment: ["SHOP_URL": server.url])
        #expect(bad.status == 2, "\(bad.stdout)\(bad.stderr)")
        #expect(bad.stderr.contains("ferry.yaml:27"), "\(bad.stderr)")
        #expect(bad.stderr.contains("since") && bad.stderr.contains("'-2 weeks'"), "\(bad.stderr)")
    }
}
