import FerryTesting
import Foundation
import Synchronization

/// One VCOM account (external-apis.md §1) serving many plants: `GET /plants/{n}/readings`
/// pages of readings in VCOM's `{"data": […]}` envelope, with the account's rate limit.
///
/// As VCOM does: every request needs `X-API-KEY` (401 without it), every response carries
/// `X-RateLimit-Limit-Minute`, `X-RateLimit-Remaining-Minute` and `X-RateLimit-Reset-Minute`
/// (an RFC 7231 date), and a request over the limit gets 429 with the same headers. The
/// limit is the account's budget as Ferry's `per_minute` defines it (a bucket of `perMinute`
/// requests refilled at `perMinute` a minute), kept by arrival time; every request that finds
/// it empty is counted in `overBudget`, so a test can prove the workers together never exceed it.
final class PlantReadingsSimulator: @unchecked Sendable {
    let apiKey: String
    let perMinute: Int
    let readingsPerPlant: Int
    let delay: Double
    private struct Counters {
        var tokens: Double
        var refilledAt: Double
        var served = 0
        var overBudget = 0
        var unauthorized = 0
    }
    private let counters: Mutex<Counters>
    private var server: LoopbackServer?

    /// - Parameters:
    ///   - apiKey: the key requests must carry.
    ///   - perMinute: the account's minute limit.
    ///   - readingsPerPlant: readings each plant has.
    ///   - delay: seconds each answer takes (a real API is not instant).
    init(apiKey: String, perMinute: Int, readingsPerPlant: Int, delay: Double = 0.05) throws {
        self.apiKey = apiKey
        self.perMinute = perMinute
        self.readingsPerPlant = readingsPerPlant
        self.delay = delay
        counters = Mutex(Counters(tokens: Double(perMinute), refilledAt: Date().timeIntervalSince1970))
        server = try LoopbackServer { [weak self] request in
            self?.answer(request) ?? .response(status: 503)
        }
    }

    var url: String { server?.url ?? "" }
    /// Requests answered with data.
    var served: Int { counters.withLock { $0.served } }
    /// Requests that arrived when the account's budget was used up (answered 429).
    var overBudget: Int { counters.withLock { $0.overBudget } }
    /// Requests without the right API key.
    var unauthorized: Int { counters.withLock { $0.unauthorized } }

    func stop() { server?.stop() }

    /// A reading: id `n` of plant `plant`, updated at second `n` of 2025.
    static func reading(plant: Int, id: Int) -> String {
        #"{"id":\#(id),"plant":\#(plant),"updated":"2025-01-01T00:00:\#(id < 10 ? "0" : "")\#(id)Z","kwh":\#(plant * 1000 + id)}"#
    }

    private func answer(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        guard request.header("X-API-KEY") == apiKey else {
            counters.withLock { $0.unauthorized += 1 }
            return .json(#"{"error":"Invalid API key"}"#, status: 401)
        }
        let now = Date().timeIntervalSince1970
        let (allowed, remaining, resetIn) = counters.withLock { state in
            state.tokens = min(
                Double(perMinute), state.tokens + (now - state.refilledAt) * Double(perMinute) / 60)
            state.refilledAt = now
            // Half a token of slack: a request is counted when it arrives, a moment after the
            // client took its token, and another client's request may overtake it on the way.
            guard state.tokens >= 0.5 else {
                state.overBudget += 1
                return (false, 0, (1 - state.tokens) * 60 / Double(perMinute))
            }
            state.tokens = max(0, state.tokens - 1)
            state.served += 1
            // The reset is when the next request is allowed: at once while tokens remain.
            let wait = state.tokens >= 1 ? 0 : (1 - state.tokens) * 60 / Double(perMinute)
            return (true, Int(state.tokens.rounded(.down)), wait)
        }
        let headers = [
            ("X-RateLimit-Limit-Minute", "\(perMinute)"), ("X-RateLimit-Remaining-Minute", "\(remaining)"),
            ("X-RateLimit-Reset-Minute", Self.httpDate(now + resetIn)),
        ]
        guard allowed else { return .json(#"{"error":"Too Many Requests"}"#, status: 429, headers: headers) }
        let parts = request.path.split(separator: "/")
        guard parts.count == 3, parts[0] == "plants", parts[2] == "readings", let plant = Int(parts[1]) else {
            return .json(#"{"error":"route not found"}"#, status: 404, headers: headers)
        }
        let query = request.query
        guard let page = query["page"].flatMap(Int.init), let size = query["per_page"].flatMap(Int.init), page >= 1,
            size >= 1
        else {
            return .json(#"{"error":"page and per_page are required"}"#, status: 400, headers: headers)
        }
        let since = query["since"] ?? ""
        let ids = (1...readingsPerPlant).filter {
            "2025-01-01T00:00:\($0 < 10 ? "0" : "")\($0)Z" > since
        }
        let slice = ids.dropFirst((page - 1) * size).prefix(size)
        let body = #"{"data":[\#(slice.map { Self.reading(plant: plant, id: $0) }.joined(separator: ","))]}"#
        return .delayed(seconds: delay, .json(body, headers: headers))
    }

    private static func httpDate(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: seconds.rounded(.up)))
    }
}
