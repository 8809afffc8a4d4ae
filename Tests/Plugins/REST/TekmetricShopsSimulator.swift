import FerryJSON
import FerryTesting
import Foundation
import Synchronization

/// Tekmetric's internal web-app API for several shops, as the seed's warehouse sync calls it
/// (external-apis.md §4a), on loopback: each shop has its own `x-auth-token` JWT (401 for any
/// other, and for an expired one); per shop the three job boards paged from 0 until an empty
/// page (short pages before the end, boards that overlap, one repair order too old for the
/// window); `/api/shop/{shop}/repair-order/{id}` (ids flat in one shop, nested in the other;
/// 404 for one deleted since it was listed); `/api/repair-order/{id}/estimate` with jobs,
/// parts, labor, sublets and fees in cents; `/api/repair-order/{id}/profit/labor` (a `"NaN"`
/// margin); employees (`employees-lite`, then `/employee/{id}`), customers and vehicles as
/// Spring pages `{content,totalPages}`; 429 with `Retry-After` every `rateLimitEvery`-th call.
final class TekmetricShopsSimulator: Sendable {
    static let shops = [6212, 7001]
    /// The JWT of `shop`'s `login`-th browser login (the first is 0).
    static func token(_ shop: Int, login: Int = 0) -> String {
        login == 0 ? "tm-jwt-\(shop)-s3cr3t" : "tm-jwt-\(shop)-login\(login)-s3cr3t"
    }
    /// Listed on shop 6212's ACTIVE board but deleted since: its detail answers 404.
    static let deleted = 505
    /// On shop 6212's POSTED board, updated 40 days ago: outside a `-3d` window.
    static let old = 504
    /// On shop 6212's POSTED board only, updated today but posted 40 days ago: the seed windows
    /// the posted board by `postedDate`, so it is not read.
    static let postedLongAgo = 506

    /// Shop → board → pages of repair-order ids (an empty page follows the last).
    static let boards: [Int: [String: [[Int]]]] = [
        6212: ["ACTIVE": [[501, 502], [503], [505]], "POSTED": [[502, 504, 506]], "COMPLETE": [[503]]],
        // Shop 7001 has a repair order 501 too: the same Tekmetric id in another shop.
        7001: ["ACTIVE": [[501], [601]], "POSTED": [[601, 602]], "COMPLETE": []],
    ]

    /// Posted long ago, on no job board: only the profit-details report (the historical
    /// backfill) lists them, oldest 60 days back.
    static let history: [Int: [Int]] = [6212: Array(451...457), 7001: [481, 482]]

    /// The repair orders a `-3d` read of `shop` should deliver.
    static func expectedOrders(_ shop: Int) -> [Int] {
        Set(boards[shop]!.values.flatMap { $0.joined() }).subtracting([deleted, old, postedLongAgo]).sorted()
    }

    struct Part {
        let id: Int, name: String, retail: Int, cost: Int, quantity: Int
    }
    struct Labor {
        let id: Int, name: String, hours: String, rate: Int, technician: Int
        /// `rate × hours` in cents, as Tekmetric shows it.
        var total: Int { Int((Decimal(string: hours)! * Decimal(rate) as NSDecimalNumber).doubleValue.rounded()) }
    }
    struct Sublet {
        let id: Int, name: String, retail: Int, cost: Int
    }
    struct Fee {
        let id: Int, name: String, total: Int
    }
    struct Job {
        let id: Int, name: String, authorized: Bool, grossProfitPercentage: String
        var parts: [Part] = [], labor: [Labor] = [], sublets: [Sublet] = [], fees: [Fee] = []
        var partsPrice: Int { parts.reduce(0) { $0 + $1.retail * $1.quantity } }
        var partsCost: Int { parts.reduce(0) { $0 + $1.cost * $1.quantity } }
        var laborPrice: Int { labor.reduce(0) { $0 + $1.total } }
        var subletPrice: Int { sublets.reduce(0) { $0 + $1.retail } }
        var feePrice: Int { fees.reduce(0) { $0 + $1.total } }
        var subTotal: Int { partsPrice + laborPrice + subletPrice }
        var total: Int { subTotal + feePrice }
    }

    /// The jobs of a repair order's estimate. Repair order 501 of shop 6212 is the one the
    /// tests check by hand (README of the example shows the same sums).
    static func jobs(shop: Int, order: Int) -> [Job] {
        if shop == 6212 && order == 501 {
            return [
                Job(
                    id: 9001, name: "Front brakes", authorized: true, grossProfitPercentage: "0.42857",
                    parts: [Part(id: 70001, name: "Brake pads", retail: 4550, cost: 2000, quantity: 2)],
                    labor: [Labor(id: 80001, name: "Replace pads", hours: "1.5", rate: 12000, technician: 77)],
                    fees: [Fee(id: 95001, name: "Shop supplies", total: 1500)]),
                Job(
                    id: 9002, name: "Tires", authorized: false, grossProfitPercentage: "0.3",
                    parts: [Part(id: 70002, name: "Tire", retail: 15000, cost: 9000, quantity: 4)],
                    labor: [Labor(id: 80002, name: "Mount and balance", hours: "0.75", rate: 12000, technician: 78)]),
                Job(
                    id: 9003, name: "Alignment", authorized: true, grossProfitPercentage: "0.285",
                    labor: [Labor(id: 80003, name: "Inspect", hours: "0.5", rate: 11000, technician: 77)],
                    sublets: [Sublet(id: 96001, name: "Alignment", retail: 9900, cost: 6000)]),
            ]
        }
        let base = shop * 100_000 + order * 10
        return [
            Job(
                id: base, name: "Service \(order)", authorized: order % 2 == 1, grossProfitPercentage: "0.25",
                parts: [Part(id: base + 1, name: "Filter", retail: 1000 + order, cost: 500, quantity: 1)],
                labor: [Labor(id: base + 2, name: "Service", hours: "1.0", rate: 10000, technician: 77)])
        ]
    }

    private struct State {
        var calls: [String] = []
        var rateLimited = 0
        var expired: Set<Int> = []
        var requests = 0
        var logins: [Int: Int] = [:]
        var reloginAt: (call: Int, shop: Int, stored: @Sendable (String) -> Void)?
    }
    private let state = Mutex(State())
    let rateLimitEvery: Int

    init(rateLimitEvery: Int = 0) { self.rateLimitEvery = rateLimitEvery }

    /// `METHOD path` of every request answered (429s included), in order of arrival.
    var calls: [String] { state.withLock { $0.calls } }
    var rateLimited: Int { state.withLock { $0.rateLimited } }

    /// From now on `shop`'s JWT is expired: every call with it answers 401.
    func expire(_ shop: Int) { state.withLock { _ = $0.expired.insert(shop) } }

    /// At the `call`-th request, the user logs in to `shop` again in the browser: earlier JWTs
    /// of the shop answer 401 from then on, and `stored` receives the new one (the browser
    /// extension writing it to `jwt_tokens`) before that request is answered.
    func relogin(_ shop: Int, atCall call: Int, stored: @escaping @Sendable (String) -> Void) {
        state.withLock { $0.reloginAt = (call, shop, stored) }
    }

    /// The simulated "now", fixed for the test process: two runs see the same dates.
    static let now = Date()

    static func day(_ daysAgo: Int) -> String {
        let date = now.addingTimeInterval(-Double(daysAgo) * 86_400)
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime]
        return format.string(from: date)
    }

    /// Days since the repair order was updated.
    static func age(of order: Int) -> Int {
        if history.values.contains(where: { $0.contains(order) }) { return 60 - (order % 10) * 3 }
        return order == old ? 40 : order % 3
    }

    static func status(of order: Int) -> (id: Int, code: String, name: String) {
        if history.values.contains(where: { $0.contains(order) }) { return (5, "POSTED", "Posted") }
        switch order % 3 {
        case 0: return (5, "POSTED", "Posted")
        case 1: return (2, "WORKINPROGRESS", "Work-in-Progress")
        default: return (3, "COMPLETE", "Complete")
        }
    }

    static func listed(shop: Int, order: Int) -> String {
        let updated = day(age(of: order))
        let posted = order == postedLongAgo ? day(40) : updated
        return
            #"{"id":\#(order),"updatedDate":"\#(updated)","postedDate":"\#(posted)","completedDate":null,"customerId":\#(order + 100),"vehicleId":\#(order + 200),"serviceWriterId":77}"#
    }

    static func detail(shop: Int, order: Int) -> String {
        let status = status(of: order)
        let updated = day(age(of: order))
        // Shop 6212 answers flat ids, shop 7001 nested objects: the seed reads both.
        let ids =
            shop == 6212
            ? #""customerId":\#(order + 100),"vehicleId":\#(order + 200),"serviceWriterId":77"#
            : #""customer":{"id":\#(order + 100)},"vehicle":{"id":\#(order + 200)},"serviceWriter":{"id":77}"#
        let paid = jobs(shop: shop, order: order).reduce(0) { $0 + $1.total }
        return
            #"{"id":\#(order),"repairOrderNumber":\#(order + 30000),"repairOrderStatus":{"id":\#(status.id),"code":"\#(status.code)","name":"\#(status.name)"},"repairOrderLabel":{"id":1,"name":"Waiting"},\#(ids),"createdDate":"\#(day(10))","updatedDate":"\#(updated)","postedDate":\#(status.code == "POSTED" ? "\"\(updated)\"" : "null"),"amountPaid":\#(paid / 2),"balanceDue":\#(paid - paid / 2)}"#
    }

    static func estimate(shop: Int, order: Int) -> String {
        let jobs = jobs(shop: shop, order: order).enumerated().map { index, job in
            let parts = job.parts.map {
                #"{"id":\#($0.id),"name":"\#($0.name)","partNumber":"P-\#($0.id)","retail":\#($0.retail),"cost":\#($0.cost),"coreCharge":0,"vendorName":"Parts Co","quantity":\#($0.quantity)}"#
            }
            let labor = job.labor.map {
                #"{"id":\#($0.id),"name":"\#($0.name)","hours":\#($0.hours),"rate":\#($0.rate),"total":\#($0.total),"technician":{"id":\#($0.technician)}}"#
            }
            let sublets = job.sublets.map {
                #"{"id":\#($0.id),"name":"\#($0.name)","retail":\#($0.retail),"cost":\#($0.cost)}"#
            }
            let fees = job.fees.map { #"{"id":\#($0.id),"name":"\#($0.name)","total":\#($0.total)}"# }
            let hours = job.labor.reduce(Decimal(0)) { $0 + Decimal(string: $1.hours)! }
            return
                #"{"id":\#(job.id),"name":"\#(job.name)","authorized":\#(job.authorized),"declined":\#(!job.authorized),"total":\#(job.total),"subTotal":\#(job.subTotal),"discount":0,"tax":0,"partsPrice":\#(job.partsPrice),"partsCost":\#(job.partsCost),"laborPrice":\#(job.laborPrice),"laborHours":\#(hours),"subletPrice":\#(job.subletPrice),"feePrice":\#(job.feePrice),"grossProfitPercentage":\#(job.grossProfitPercentage),"sortOrder":\#(index),"parts":[\#(parts.joined(separator: ","))],"labor":[\#(labor.joined(separator: ","))],"sublets":[\#(sublets.joined(separator: ","))],"fees":[\#(fees.joined(separator: ","))]}"#
        }
        return
            #"{"jobs":[\#(jobs.joined(separator: ","))],"feesTotal":0,"taxes":0,"discountTotal":0,"shopSuppliesTotal":0,"epaTotal":0}"#
    }

    /// Repair order 501 of shop 6212 has hand-checked figures; 502 has the `"NaN"` margin the
    /// seed ignores.
    static func laborProfit(shop: Int, order: Int) -> String {
        if shop == 6212 && order == 501 {
            return
                #"{"laborProfit":{"hours":2.75,"retail":32500,"cost":13750,"profit":18750,"margin":0.576923},"totalProfit":{"retail":113000,"cost":60000,"profit":53000,"margin":0.469026548}}"#
        }
        let margin = order == 502 ? #""NaN""# : "0.25"
        return
            #"{"laborProfit":{"hours":1.0,"retail":10000,"cost":4000,"profit":6000,"margin":0.6},"totalProfit":{"retail":20000,"cost":15000,"profit":5000,"margin":\#(margin)}}"#
    }

    // MARK: Employees, customers, vehicles

    static let employees = [77, 78, 79]
    static func employee(_ id: Int) -> String {
        let role =
            id == 79
            ? #"{"code":"SERVICE_WRITER","name":"Service Writer"}"# : #"{"code":"TECHNICIAN","name":"Technician"}"#
        return
            #"{"id":\#(id),"firstName":"Tech","lastName":"No\#(id)","email":"t\#(id)@shop.example","employeeRole":\#(role),"hourlyRate":\#(id * 100),"salary":0,"employeePayType":{"code":"HOURLY"},"canPerformWork":\#(id != 79),"disabled":false}"#
    }
    /// Customers of every shop, 601–612; a page holds 5.
    static let customers = Array(601...612)
    static func customer(_ id: Int) -> String {
        #"{"id":\#(id),"firstName":"Cu\#(id)","lastName":"Stomer","email":["c\#(id)@mail.example","alt\#(id)@mail.example"],"phone":[{"number":"555-0\#(id)","primary":true}],"customerType":{"id":1,"name":"Customer"},"okForMarketing":true}"#
    }
    static let vehicles = Array(701...707)
    /// The customers and vehicles of the historical orders: not in the paged lists (made
    /// inactive since), only fetched one by one, as the seed did for a repair order naming
    /// one the warehouse lacks. Shop 7001's 601 and 602 name customers that answer 404.
    static let unlistedCustomers = history.values.flatMap { $0 }.map { $0 + 100 }
    static let unlistedVehicles = history.values.flatMap { $0 }.map { $0 + 200 }
    static func vehicle(_ id: Int) -> String {
        // `make` is an object on some vehicles and a string on others.
        let make = id % 2 == 0 ? #"{"id":3,"name":"Toyota"}"# : #""Honda""#
        return
            #"{"id":\#(id),"customerId":\#(id - 100),"year":2019,"make":\#(make),"model":"M\#(id)","vin":"VIN\#(id)","licensePlate":"ABC\#(id)"}"#
    }

    /// `/api/reporting/profit-details-report`: the shop's posted repair orders in the window
    /// `start`…`end` on `postedDate`, `size` a page, sorted by `sortOrder`; `nextKeys` is an
    /// object (the last row's sort keys) sent back as JSON text; the last page still carries
    /// `nextKeys` but says `hasNext: false`.
    static func profitReport(_ request: LoopbackServer.Request, shop: Int) -> LoopbackServer.Reply {
        let query = request.query
        guard query["shopIds"] == String(shop), query["sortBy"] == "POSTED_DATE",
            let size = query["size"].flatMap(Int.init), size > 0
        else { return .json(#"{"message":"Bad request"}"#, status: 400) }
        let posted = (Set(boards[shop]!.values.flatMap { $0.joined() }).union(history[shop]!))
            .filter { status(of: $0).code == "POSTED" && $0 != deleted }
            .map { (order: $0, date: day(age(of: $0))) }
            .filter { row in
                query["start"].map { row.date >= $0 } ?? true && query["end"].map { row.date < $0 } ?? true
            }
        let descending = query["sortOrder"] == "DESC"
        let sorted = posted.sorted { ($0.date, $0.order) < ($1.date, $1.order) }
        var rows = descending ? Array(sorted.reversed()) : sorted
        if let text = query["nextKeys"] {
            guard let keys = try? JSONParser().parse(text).objectValue, let date = keys["postedDate"]?.stringValue,
                let after = keys["repairOrderId"]?.intValue.map(Int.init)
            else { return .json(#"{"message":"nextKeys is not valid"}"#, status: 400) }
            rows = rows.filter {
                descending ? ($0.date, $0.order) < (date, after) : ($0.date, $0.order) > (date, after)
            }
        }
        let page = rows.prefix(size)
        let content = page.map {
            #"{"repairOrderId":\#($0.order),"repairOrderNumber":\#($0.order + 30000),"customerId":\#($0.order + 100),"vehicleId":\#($0.order + 200),"serviceWriterId":77,"postedDate":"\#($0.date)","laborProfit":6000,"partsTotalProfit":500,"subletProfit":0,"feesProfit":0,"totalProfit":6500,"totalProfitMargin":0.3}"#
        }
        let last = page.last.map { #"{"postedDate":"\#($0.date)","repairOrderId":\#($0.order)}"# } ?? "null"
        return .json(
            #"{"content":[\#(content.joined(separator: ","))],"hasNext":\#(rows.count > size),"nextKeys":\#(last)}"#)
    }

    static func springPage(_ items: [String], page: Int, size: Int) -> String {
        let pages = max(1, (items.count + size - 1) / size)
        let slice = items.dropFirst(page * size).prefix(size)
        return #"{"content":[\#(slice.joined(separator: ","))],"totalPages":\#(pages),"number":\#(page)}"#
    }

    // MARK: Routing

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        // The extension stores the new JWT; from then on only it is accepted.
        let due = state.withLock { state -> (shop: Int, stored: @Sendable (String) -> Void)? in
            guard let due = state.reloginAt, due.call == state.requests + 1 else { return nil }
            state.reloginAt = nil
            return (due.shop, due.stored)
        }
        if let due {
            let login = state.withLock { $0.logins[due.shop, default: 0] } + 1
            due.stored(Self.token(due.shop, login: login))
            state.withLock { $0.logins[due.shop] = login }
        }
        let count = state.withLock { state in
            state.calls.append("GET \(request.path)")
            state.requests += 1
            return state.requests
        }
        let token = request.header("x-auth-token")
        let current = state.withLock { $0.logins }
        guard let shop = Self.shops.first(where: { Self.token($0, login: current[$0] ?? 0) == token }) else {
            let known = Self.shops.contains { shop in
                (0...(current[shop] ?? 0)).contains { Self.token(shop, login: $0) == token }
            }
            return .json(known ? #"{"message":"JWT expired"}"# : #"{"message":"Unauthorized"}"#, status: 401)
        }
        if state.withLock({ $0.expired.contains(shop) }) {
            return .json(#"{"message":"JWT expired"}"#, status: 401)
        }
        if rateLimitEvery > 0, count % rateLimitEvery == 0 {
            state.withLock { $0.rateLimited += 1 }
            return .json(#"{"message":"Too Many Requests"}"#, status: 429, headers: [("Retry-After", "1")])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        let orders = Set(Self.boards[shop]!.values.flatMap { $0.joined() } + Self.history[shop]!)
        if request.path == "/api/reporting/profit-details-report" { return Self.profitReport(request, shop: shop) }
        switch parts.count {
        case 4 where parts[0...1] == ["api", "repair-order"], 5 where parts[0...1] == ["api", "repair-order"]:
            guard let order = Int(parts[2]), orders.contains(order), order != Self.deleted else {
                return .json(#"{"message":"Repair order not found"}"#, status: 404)
            }
            if parts.count == 4 && parts[3] == "estimate" { return .json(Self.estimate(shop: shop, order: order)) }
            if parts.count == 5 && parts[3...4] == ["profit", "labor"] {
                return .json(Self.laborProfit(shop: shop, order: order))
            }
        default: break
        }
        guard parts.count >= 4, parts[0...1] == ["api", "shop"], parts[2] == String(shop) else {
            // Another shop's path with this shop's token is refused as Tekmetric does.
            return .json(#"{"message":"Forbidden"}"#, status: parts.count >= 3 && parts[1] == "shop" ? 403 : 404)
        }
        let resource = Array(parts.dropFirst(3))
        let page = request.query["page"].flatMap { Int($0) } ?? 0
        switch resource.first {
        case "job-board-group-by":
            guard request.query["view"] == "list", request.query["groupBy"] == "NONE",
                let board = request.query["board"], let pages = Self.boards[shop]![board]
            else { return .json(#"{"message":"Bad request"}"#, status: 400) }
            let ids = page < pages.count ? pages[page] : []
            return .json("[\(ids.map { Self.listed(shop: shop, order: $0) }.joined(separator: ","))]")
        case "repair-order" where resource.count == 2:
            guard let order = Int(resource[1]), orders.contains(order), order != Self.deleted else {
                return .json(#"{"message":"Repair order not found"}"#, status: 404)
            }
            return .json(Self.detail(shop: shop, order: order))
        case "employees-lite":
            // An array here; `{content}` is the other shape the seed accepts.
            return .json(
                "[\(Self.employees.map { #"{"id":\#($0),"firstName":"Tech","lastName":"No\#($0)"}"# }.joined(separator: ","))]"
            )
        case "employee" where resource.count == 2:
            guard let id = Int(resource[1]), Self.employees.contains(id) else {
                return .json(#"{"message":"Not found"}"#, status: 404)
            }
            return .json(Self.employee(id))
        case "customer" where resource.count == 1:
            let size = request.query["size"].flatMap { Int($0) } ?? 100
            return .json(Self.springPage(Self.customers.map(Self.customer), page: page, size: size))
        case "customer" where resource.count == 2:
            guard let id = Int(resource[1]), Self.customers.contains(id) || Self.unlistedCustomers.contains(id) else {
                return .json(#"{"message":"Not found"}"#, status: 404)
            }
            return .json(Self.customer(id))
        case "vehicle" where resource.count == 1:
            let size = request.query["size"].flatMap { Int($0) } ?? 100
            return .json(Self.springPage(Self.vehicles.map(Self.vehicle), page: page, size: size))
        case "vehicle" where resource.count == 2:
            guard let id = Int(resource[1]), Self.vehicles.contains(id) || Self.unlistedVehicles.contains(id) else {
                return .json(#"{"message":"Not found"}"#, status: 404)
            }
            return .json(Self.vehicle(id))
        default: break
        }
        return .json(#"{"message":"Not found"}"#, status: 404)
    }
}
