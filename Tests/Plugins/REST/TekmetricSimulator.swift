import FerryTesting
import Foundation
import Synchronization

/// Tekmetric's internal web-app API as the seed calls it (external-apis.md §4a), on loopback:
/// `x-auth-token` auth; `GET /api/shop/{shop}/job-board-group-by?view=list&board=…&page=N&groupBy=NONE`
/// paged from 0 until an empty page, with no totals and with short pages before the end;
/// boards that overlap (ACTIVE holds COMPLETE orders too); `GET /api/shop/{shop}/repair-order/{id}`
/// for the full repair order, 404 for one deleted after it was listed; 429 with `Retry-After`
/// every `rateLimitEvery`-th detail call, and a storm of one status on demand.
final class TekmetricSimulator: Sendable {
    static let token = "tm-jwt-secret-4711"
    static let shop = 42

    /// Board → its pages of repair-order ids (an empty page follows the last).
    let boards: [String: [[Int]]] = [
        "ACTIVE": [[1001, 1002, 1003], [1004], [1005, 1006, 1003]],
        "POSTED": [[1007, 1008], [1009]],
        "COMPLETE": [[1003, 1006], [1010]],
    ]
    /// Listed on a board but deleted since: its detail answers 404.
    static let deleted = 1005

    private struct State {
        var detailCalls: [Int] = []
        var rateLimited: [Int] = []
        var boardRequests: [String] = []
        var detailRequests = 0
        var inFlight = 0
        var mostInFlight = 0
    }
    private let state = Mutex(State())
    let rateLimitEvery: Int
    /// Microseconds each detail call takes.
    let detailLatency: UInt32 = 30_000
    /// While set, every detail call answers this status (a storm: 503, 429 or 401).
    let detailStorm = Mutex<Int?>(nil)

    init(rateLimitEvery: Int = 0) { self.rateLimitEvery = rateLimitEvery }

    /// The repair orders a read should deliver: every listed id but the deleted one.
    var expectedIDs: [Int] { Array(Set(boards.values.flatMap { $0.joined() })).filter { $0 != Self.deleted }.sorted() }

    /// Ids whose detail was asked for (429s and 503s included), in order of arrival.
    var detailCalls: [Int] { state.withLock { $0.detailCalls } }
    /// The most detail calls that were being answered at once.
    var mostInFlight: Int { state.withLock { $0.mostInFlight } }
    /// Ids whose detail call was answered 429.
    var rateLimited: [Int] { state.withLock { $0.rateLimited } }
    /// `board/page` of each job-board request.
    var boardRequests: [String] { state.withLock { $0.boardRequests } }

    static func status(of id: Int) -> (id: Int, code: String, name: String) {
        switch id % 3 {
        case 0: return (5, "POSTED", "Posted")
        case 1: return (2, "WORKINPROGRESS", "Work-in-Progress")
        default: return (3, "COMPLETE", "Complete")
        }
    }

    /// The listed item (what the job board shows).
    static func listed(_ id: Int) -> String {
        #"{"id":\#(id),"updatedDate":"2026-11-\#(10 + id % 10)T08:00:00Z","customerId":\#(id + 500),"vehicleId":\#(id + 900),"serviceWriterId":7}"#
    }

    /// The full repair order (what the detail call returns).
    static func detail(_ id: Int) -> String {
        let status = status(of: id)
        return
            #"{"id":\#(id),"repairOrderNumber":\#(id - 1000 + 20000),"repairOrderStatus":{"id":\#(status.id),"code":"\#(status.code)","name":"\#(status.name)"},"customer":{"id":\#(id + 500)},"amountPaid":\#(id * 10),"balanceDue":0,"updatedDate":"2026-11-\#(10 + id % 10)T08:00:00Z"}"#
    }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        guard request.header("x-auth-token") == Self.token else {
            return .json(#"{"message":"Unauthorized"}"#, status: 401)
        }
        let prefix = "/api/shop/\(Self.shop)/"
        guard request.path.hasPrefix(prefix) else { return .json(#"{"message":"Not found"}"#, status: 404) }
        let rest = request.path.dropFirst(prefix.count)
        if rest == "job-board-group-by" {
            guard request.query["view"] == "list", request.query["groupBy"] == "NONE",
                let board = request.query["board"], let pages = boards[board],
                let page = request.query["page"].flatMap({ Int($0) }), page >= 0
            else { return .json(#"{"message":"Bad request"}"#, status: 400) }
            state.withLock { $0.boardRequests.append("\(board)/\(page)") }
            let ids = page < pages.count ? pages[page] : []
            return .json("[\(ids.map(Self.listed).joined(separator: ","))]")
        }
        if rest.hasPrefix("repair-order/"), let id = Int(rest.dropFirst("repair-order/".count)) {
            let call = state.withLock { state in
                state.detailCalls.append(id)
                state.detailRequests += 1
                state.inFlight += 1
                state.mostInFlight = max(state.mostInFlight, state.inFlight)
                return state.detailRequests
            }
            // A real API takes a while: long enough for concurrent calls to overlap.
            usleep(detailLatency)
            defer { state.withLock { $0.inFlight -= 1 } }
            if let storm = detailStorm.withLock({ $0 }) {
                return .json(
                    #"{"message":"storm"}"#, status: storm, headers: storm == 429 ? [("Retry-After", "1")] : [])
            }
            if rateLimitEvery > 0, call % rateLimitEvery == 0 {
                state.withLock { $0.rateLimited.append(id) }
                return .json(#"{"message":"Too Many Requests"}"#, status: 429, headers: [("Retry-After", "1")])
            }
            guard id != Self.deleted, Set(boards.values.flatMap { $0.joined() }).contains(id) else {
                return .json(#"{"message":"Repair order not found"}"#, status: 404)
            }
            return .json(Self.detail(id))
        }
        return .json(#"{"message":"Not found"}"#, status: 404)
    }
}
