import FerryTesting
import Foundation
import Synchronization

/// A parent+children API on loopback: `GET /clients?page=N` and, per client,
/// `GET /clients/{id}/pianos?page=N`, both paged from 1 with no totals until an empty page
/// (a piano list sends short pages before its end); a client deleted after it was listed
/// answers 404 on its pianos; `ignorePaging` makes one client's list send its first page
/// for every page number, the peer that would page forever.
final class PianoServiceSimulator: Sendable {
    static let token = "piano-api-key-0815"

    /// Clients, two per page; c3 is deleted after it was listed.
    let clientPages: [[String]] = [["c1", "c2"], ["c3", "c4"], ["c5"]]
    static let deleted = "c3"
    /// Each client's pianos, by page: short pages come before the end.
    let pianoPages: [String: [[Int]]] = [
        "c1": [[11, 12], [13], [14, 15]],
        "c2": [[21]],
        "c3": [[31, 32]],
        "c4": [],
        "c5": [[51, 52], [53, 54], [55]],
    ]
    let ignorePaging = Mutex<String?>(nil)
    private let log = Mutex<[String]>([])

    /// `path?page` of every request.
    var requests: [String] { log.withLock { $0 } }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        guard request.header("authorization") == "Bearer \(Self.token)" else {
            return .json(#"{"error":"unauthorized"}"#, status: 401)
        }
        guard let page = request.query["page"].flatMap({ Int($0) }), page >= 1 else {
            return .json(#"{"error":"page must be 1 or more"}"#, status: 400)
        }
        log.withLock { $0.append("\(request.path)?\(page)") }
        let parts = request.path.split(separator: "/").map(String.init)
        if parts == ["clients"] {
            let ids = page <= clientPages.count ? clientPages[page - 1] : []
            let items = ids.map { #"{"id":"\#($0)","name":"Client \#($0.dropFirst())"}"# }
            return .json(#"{"data":[\#(items.joined(separator: ","))]}"#)
        }
        if parts.count == 3, parts[0] == "clients", parts[2] == "pianos", let pages = pianoPages[parts[1]] {
            if parts[1] == Self.deleted { return .json(#"{"error":"client not found"}"#, status: 404) }
            let index = ignorePaging.withLock { $0 } == parts[1] ? 0 : page - 1
            let ids = index < pages.count ? pages[index] : []
            let items = ids.map { #"{"id":\#($0),"make":"Steinway","serialNumber":"S-\#($0)"}"# }
            return .json(#"{"data":[\#(items.joined(separator: ","))]}"#)
        }
        return .json(#"{"error":"not found"}"#, status: 404)
    }
}
