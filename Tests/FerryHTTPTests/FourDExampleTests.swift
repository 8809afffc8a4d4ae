import FerryTesting
import Foundation
import Testing

/// `examples/4d-erp/ferry.yaml` as a user runs it: the real `ferry`, the `rest` connector
/// against a 4D REST simulator (session login, WASID4D cookie, `$skip`/`$top`,
/// `$filter`, `__ENTITIES`/`__COUNT`), the field mapping in transforms, and the
/// `postgres` connector into the real PostgreSQL that scripts/test.sh starts.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["FERRY_SKIP_POSTGRES"] != "1", "FERRY_SKIP_POSTGRES=1"))
struct FourDExampleTests {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/4d-erp/ferry.yaml").path

    static func product(_ n: Int) -> String {
        let price = n == 13 ? "n/a" : "\(n),50"
        let date = n % 5 == 0 ? "0!0!0" : "5!10!2013"
        return
            #"{"__KEY":"\#(n)","__STAMP":3,"__TIMESTAMP":"2025-01-01T00:00:00.000Z","Nummer":"A-\#(n)","Bezeichnung":"Artikel \#(n)","Preis":"\#(price)","Lager":"\#(n * 2)","Datum":"\#(date)","modified_date":"2025-01-01T00:00:\#(n < 10 ? "0" : "")\#(n)Z"}"#
    }

    static func customer(_ n: Int) -> String {
        #"{"__KEY":"K\#(n)","__STAMP":1,"KundenNr":"\#(10_000 + n)","Name1":"Kunde \#(n)","Ort":"Köln","modified_date":"2025-02-01T00:00:0\#(n)Z"}"#
    }

    /// 4D's REST dialect, as far as the seed used it.
    static func simulator() throws -> LoopbackServer {
        try LoopbackServer { request in
            if request.path == "/rest/$directory/login" {
                guard request.method == "POST", request.header("username-4D") == "sync",
                    request.header("password-4D") == "geheim-4D-pw"
                else {
                    return .json(#"{"result":false}"#, status: 401)
                }
                return .json(#"{"result":true}"#, headers: [("Set-Cookie", "WASID4D=F00D4D; path=/; HttpOnly")])
            }
            guard request.header("cookie")?.contains("WASID4D=F00D4D") == true else {
                return .json(#"{"__ERROR":[{"message":"No session","errCode":1}]}"#, status: 401)
            }
            let all: [(time: String, text: String)]
            switch request.path {
            case "/rest/Artikel_Variante":
                all = (1...25).map {
                    (String(product($0).split(separator: "\"modified_date\":\"")[1].prefix(20)), product($0))
                }
            case "/rest/Kunden":
                all = (1...4).map {
                    (String(customer($0).split(separator: "\"modified_date\":\"")[1].prefix(20)), customer($0))
                }
            default: return .json(#"{"__ERROR":[{"message":"Unknown dataclass"}]}"#, status: 404)
            }
            let since =
                request.query["$filter"].flatMap { $0.split(separator: "\"").dropFirst().first.map(String.init) } ?? ""
            let matching = all.filter { $0.time > since }
            let skip = Int(request.query["$skip"] ?? "0")!, top = Int(request.query["$top"] ?? "100")!
            let page = matching.dropFirst(skip).prefix(top).map(\.text)
            return .json(
                #"{"__entityModel":"x","__COUNT":\#(matching.count),"__SENT":\#(page.count),"__FIRST":\#(skip),"__ENTITIES":[\#(page.joined(separator: ","))]}"#
            )
        }
    }

    static func psql(_ dsn: String, _ sql: String) throws -> [String] {
        try Sandbox.outputLines(of: "/usr/bin/psql", [dsn, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    @Test func theExampleSyncsProductsAndCustomersIncrementallyWithItsFieldMapping() throws {
        guard let dsn = ProcessInfo.processInfo.environment["FERRY_TEST_PG_DSN"] else {
            Issue.record(
                "FERRY_TEST_PG_DSN is not set: run scripts/test.sh (it starts a PostgreSQL server); FERRY_SKIP_POSTGRES=1 skips this test"
            )
            return
        }
        let server = try Self.simulator()
        let sandbox = try Sandbox()
        try sandbox.write("ferry.yaml", try String(contentsOfFile: Self.example, encoding: .utf8))
        let schema = "fourd_\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? Self.psql(dsn, "DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        let environment = [
            "LEGACY_ERP_URL": server.url, "LEGACY_ERP_USER": "sync", "LEGACY_ERP_PASSWORD": "geheim-4D-pw",
            "ERP_DATABASE_URL": dsn, "ERP_DATABASE_SCHEMA": schema,
        ]

        let first = try sandbox.ferry(["run"], environment: environment)
        #expect(first.status == 3, "one product has a price of n/a: \(first.stdout)\(first.stderr)")
        #expect(!first.stderr.contains("geheim-4D-pw") && !first.stderr.contains("F00D4D"))
        #expect(try Self.psql(dsn, "SELECT count(*) FROM \(schema).products") == ["24"])
        #expect(try Self.psql(dsn, "SELECT count(*) FROM \(schema).customers") == ["4"])
        let row = try Self.psql(
            dsn,
            "SELECT legacy_id, sku, name, base_price, stock, introduced_on FROM \(schema).products WHERE sku = 'A-7'")
        #expect(row == ["7|A-7|Artikel 7|7.5|14|2013-10-04T22:00:00Z"], "\(row)") // Berlin midnight (CEST) in UTC
        #expect(try Self.psql(dsn, "SELECT count(*) FROM \(schema).products WHERE introduced_on IS NULL") == ["5"])
        #expect(
            try Self.psql(dsn, "SELECT customer_number, name, city FROM \(schema).customers WHERE legacy_id = 'K2'")
                == ["10002|Kunde 2|Köln"])
        let errors = try sandbox.ferry(["errors", "list"], environment: environment)
        #expect(errors.stdout.contains(#"'base_price' value "n/a" is not a decimal number"#), "\(errors.stdout)")
        // One login for the whole run: the session is kept in the state store, and the second
        // pipeline's connection reuses it (each login holds a 4D licence for its timeout).
        #expect(server.requests.filter { $0.path == "/rest/$directory/login" }.count == 1)

        // Incremental: the next run asks only for what changed after the checkpoint.
        let second = try sandbox.ferry(["run"], environment: environment)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let lastProducts = server.requests.last { $0.path == "/rest/Artikel_Variante" }
        #expect(lastProducts?.query["$filter"] == #"modified_date > "2025-01-01T00:00:25Z""#)
        #expect(try Self.psql(dsn, "SELECT count(*) FROM \(schema).products") == ["24"])
        // …and a five-minute cron's next run opens no new session either.
        #expect(server.requests.filter { $0.path == "/rest/$directory/login" }.count == 1)
    }
}
