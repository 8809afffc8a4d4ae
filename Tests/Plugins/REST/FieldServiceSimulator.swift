import FerryJSON
import FerryTesting
import Foundation
import Synchronization

/// A field-service API in the manner of Yuman (reference/external-apis.md §2): `POST
/// /sites` creates a site and answers 201 with the id it assigned, `PATCH /sites/{id}`
/// updates one, `GET /sites?code=…` searches by the external reference, `DELETE
/// /sites/{id}` removes one. It refuses a site without a name (422, `{"message": …}`) and a
/// second site with a code already taken (409), and answers one request in
/// `rateLimitEvery` with 429 and `Retry-After: 0`. `lostAnswers` makes the next creates
/// store the site and then answer 503, as a gateway that lost the answer would;
/// `failedCreates` makes the next creates answer 503 without storing anything.
final class FieldServiceSimulator: Sendable {
    struct Site: Equatable {
        var id: Int
        var fields: JSONObject
    }

    let sites = Mutex<[Site]>([])
    let log = Mutex<[String]>([])
    let rateLimitEvery: Int
    let lostAnswers = Mutex(0)
    let failedCreates = Mutex(0)

    init(rateLimitEvery: Int = 0) { self.rateLimitEvery = rateLimitEvery }

    /// `METHOD path` of every request, in order (429s included).
    var requests: [String] { log.withLock { $0 } }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        let number = log.withLock { log in
            log.append("\(request.method) \(request.path)")
            return log.count
        }
        if rateLimitEvery > 0, number % rateLimitEvery == 0 {
            return .json(#"{"message":"Too many requests"}"#, status: 429, headers: [("Retry-After", "0")])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.first == "sites" else { return .json(#"{"message":"Not found"}"#, status: 404) }
        let id = parts.count > 1 ? Int(parts[1]) : nil
        switch (request.method, id) {
        case ("GET", nil):
            let code = request.query["code"]
            let found = sites.withLock { $0.filter { code == nil || $0.fields["code"]?.stringValue == code } }
            return .json(
                #"{"items":[\#(found.map(Self.text).joined(separator: ","))],"total_entries":\#(found.count)}"#)
        case ("POST", nil):
            let failed = failedCreates.withLock { count in
                defer { count = max(0, count - 1) }
                return count > 0
            }
            if failed { return .json(#"{"message":"Service unavailable"}"#, status: 503) }
            guard case .object(let fields)? = try? JSONParser().parse(request.body) else {
                return .json(#"{"message":"Body is not JSON"}"#, status: 400)
            }
            guard let name = fields["name"]?.stringValue, !name.isEmpty else {
                return .json(#"{"message":"Validation failed: Name can't be blank"}"#, status: 422)
            }
            let created: Site? = sites.withLock { sites in
                if let code = fields["code"]?.stringValue,
                    sites.contains(where: { $0.fields["code"]?.stringValue == code })
                {
                    return nil
                }
                let site = Site(id: 1000 + sites.count + 1, fields: fields)
                sites.append(site)
                return site
            }
            guard let created else { return .json(#"{"message":"Code has already been taken"}"#, status: 409) }
            let lost = lostAnswers.withLock { count in
                defer { count = max(0, count - 1) }
                return count > 0
            }
            if lost { return .json(#"{"message":"Bad gateway"}"#, status: 503) }
            return .json(Self.text(created), status: 201)
        case ("PATCH", let id?):
            guard case .object(let fields)? = try? JSONParser().parse(request.body) else {
                return .json(#"{"message":"Body is not JSON"}"#, status: 400)
            }
            if fields["name"]?.stringValue == "" {
                return .json(#"{"message":"Validation failed: Name can't be blank"}"#, status: 422)
            }
            let updated: Site? = sites.withLock { sites in
                guard let index = sites.firstIndex(where: { $0.id == id }) else { return nil }
                for (key, value) in fields { sites[index].fields[key] = value }
                return sites[index]
            }
            guard let updated else { return .json(#"{"message":"Site not found"}"#, status: 404) }
            return .json(Self.text(updated))
        case ("DELETE", let id?):
            let removed = sites.withLock { sites in
                let before = sites.count
                sites.removeAll { $0.id == id }
                return sites.count < before
            }
            return removed ? .response(status: 204) : .json(#"{"message":"Site not found"}"#, status: 404)
        default:
            return .json(#"{"message":"Method not allowed"}"#, status: 405)
        }
    }

    /// The site as the API answers it: its fields and its id.
    static func text(_ site: Site) -> String {
        var object = site.fields
        object["id"] = .int(Int64(site.id))
        return JSONWriter().encodeString(.object(object))
    }

    /// Stored sites by code.
    var byCode: [String: Site] {
        Dictionary(
            sites.withLock { $0 }.map { ($0.fields["code"]?.stringValue ?? "", $0) },
            uniquingKeysWith: { first, _ in first })
    }

    /// How many requests had this `METHOD path` prefix.
    func count(_ prefix: String) -> Int { requests.filter { $0.hasPrefix(prefix) }.count }
}
