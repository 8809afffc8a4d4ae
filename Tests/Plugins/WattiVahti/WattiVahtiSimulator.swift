import FerryTesting
import Foundation
import Synchronization

/// WattiVahti's token and meter-data endpoints as `shared/reference/external-apis.md`
/// §5 describes them, on a loopback server:
/// - `POST /token` (Azure AD B2C refresh-token grant): every refresh returns a new
///   refresh token and invalidates the one used; a used, revoked or unknown token
///   gets `400 {"error": "invalid_grant", "error_description": "AADB2C90085: …"}`.
/// - `GET /api/onlineapi/v1/meterdata2?meteringPointCode=&measurementType=&start=&stop=&resultStep=`
///   with `Authorization: Bearer`: values as naive Europe/Helsinki times (Foundation's
///   time-zone database, independent of the connector's own arithmetic); the repeated
///   autumn hour in consecutive pairs (the seed's latest claim) or in blocks; PT15MIN
///   only from each meter's switch instant on (an empty `tsv` before), PT1H always;
///   nothing after `dataEnd`. 401 for an unknown access token.
final class WattiVahtiSimulator: @unchecked Sendable {
    /// How the two occurrences of the repeated autumn hour are listed.
    enum RepeatOrder: Sendable { case pairs, blocks }

    /// A metering point and the UTC second its quarter-hour readings start (`.max`: hourly only).
    struct Meter: Sendable {
        var code: String
        var quarterHourFrom: Int
    }

    private struct State {
        var refreshTokens: Set<String>
        var accessTokens: Set<String> = []
        var issued = 0
        var tokenRequests = 0
        var meterRequests: [[String: String]] = []
    }

    private let state: Mutex<State>
    private let meters: [String: Meter]
    private let order: RepeatOrder
    private let dataEnd: Int
    private var server: LoopbackServer!

    /// Starts a simulator.
    /// - Parameters:
    ///   - meters: The metering points it knows.
    ///   - refreshTokens: The refresh tokens valid at the start.
    ///   - order: The order of the repeated autumn hour.
    ///   - dataEnd: No value at or after this UTC second.
    init(meters: [Meter], refreshTokens: [String], order: RepeatOrder = .pairs, dataEnd: Int = Int.max) throws {
        self.meters = Dictionary(uniqueKeysWithValues: meters.map { ($0.code, $0) })
        self.order = order
        self.dataEnd = dataEnd
        state = Mutex(State(refreshTokens: Set(refreshTokens)))
        // Weak: a request answered while the test releases the simulator must not read freed memory.
        server = try LoopbackServer { [weak self] request in self?.handle(request) ?? .drop }
    }

    deinit { server.stop() }

    /// `http://127.0.0.1:<port>`.
    var url: String { server.url }
    /// Token requests so far.
    var tokenRequests: Int { state.withLock { $0.tokenRequests } }
    /// The query of every meter-data request so far.
    var meterRequests: [[String: String]] { state.withLock { $0.meterRequests } }
    /// The refresh tokens that would be accepted now.
    var validRefreshTokens: Set<String> { state.withLock { $0.refreshTokens } }

    /// Invalidates every refresh token (a revoked or expired grant).
    func revokeAll() { state.withLock { $0.refreshTokens.removeAll() } }

    /// Makes `token` valid (the user obtained a new one).
    func accept(_ token: String) { state.withLock { _ = $0.refreshTokens.insert(token) } }

    /// The kWh the simulator reports for the quarter starting at `utc`.
    static func quarterValue(_ utc: Int) -> Double { 0.05 + Double((utc / 900) % 13) / 100 }

    /// The kWh the simulator reports for the hour starting at `utc`: its four quarters.
    static func hourValue(_ utc: Int) -> Double {
        ((0..<4).map { quarterValue(utc + $0 * 900) }.reduce(0, +) * 1000).rounded() / 1000
    }

    private func handle(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        switch (request.method, request.path) {
        case ("POST", "/token"): return token(request.form)
        case ("GET", "/api/onlineapi/v1/meterdata2"): return meterData(request)
        default: return .json(#"{"error":"not found"}"#, status: 404)
        }
    }

    private func token(_ form: [String: String]) -> LoopbackServer.Reply {
        state.withLock { state in
            state.tokenRequests += 1
            guard form["grant_type"] == "refresh_token", let used = form["refresh_token"],
                state.refreshTokens.remove(used) != nil
            else {
                return .json(
                    #"{"error":"invalid_grant","error_description":"AADB2C90085: The service has encountered an internal error. The refresh token has expired or was already used."}"#,
                    status: 400)
            }
            state.issued += 1
            let refresh = "rt-\(state.issued)-\(UUID().uuidString.prefix(8))"
            let access = "at-\(state.issued)-\(UUID().uuidString.prefix(8))"
            state.refreshTokens.insert(refresh)
            state.accessTokens.insert(access)
            return .json(
                #"{"access_token":"\#(access)","token_type":"Bearer","expires_in":3600,"refresh_token":"\#(refresh)","refresh_token_expires_in":1209600}"#
            )
        }
    }

    private func meterData(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        let query = request.query
        let authorized = state.withLock { state in
            state.meterRequests.append(query)
            return request.header("Authorization").map {
                $0.hasPrefix("Bearer ") && state.accessTokens.contains(String($0.dropFirst(7)))
            } ?? false
        }
        guard authorized else { return .json(#"{"Message":"Unauthorized"}"#, status: 401) }
        guard let code = query["meteringPointCode"], let meter = meters[code], query["measurementType"] == "1",
            let start = Self.parse(query["start"] ?? ""), let stop = Self.parse(query["stop"] ?? ""),
            let step = ["PT15MIN": 900, "PT1H": 3600][query["resultStep"] ?? ""]
        else {
            return .json(#"{"Message":"The request is invalid."}"#, status: 400)
        }
        var times: [Int] = []
        var time = (start + step - 1) / step * step
        while time < stop && time < dataEnd {
            if step == 3600 || time >= meter.quarterHourFrom { times.append(time) }
            time += step
        }
        if order == .pairs { times = Self.pairingRepeatedHour(times) }
        let values = times.map { utc in
            let value = step == 900 ? Self.quarterValue(utc) : Self.hourValue(utc)
            let local = Self.localText(utc)
            return
                #"{"time":"\#(local)","quantity":\#(value),"unit":"kWh","start":"\#(local)","stop":"\#(Self.localText(utc + step))"}"#
        }
        let resolution = step == 900 ? "PT15M" : "PT1H"
        let body =
            #"{"getconsumptionsresult":{"consumptiondata":{"meteringpointcode":"\#(code)","#
            + #""sum":{"quantity":0,"start":"\#(Self.localText(start))","stop":"\#(Self.localText(stop))","unit":"kWh"},"#
            + #""timeseries":{"start":"\#(Self.localText(start))","stop":"\#(Self.localText(stop))","resolution":"\#(resolution)","#
            + #""values":{"tsv":[\#(values.joined(separator: ","))]}}}}}"#
        return .json(body)
    }

    /// Reorders the repeated autumn hour's values as consecutive pairs (03:00 EEST, 03:00 EET, 03:15 EEST, …).
    static func pairingRepeatedHour(_ times: [Int]) -> [Int] {
        var result: [Int] = []
        var index = 0
        while index < times.count {
            let local = localText(times[index])
            if let twin = times[(index + 1)...].firstIndex(where: { localText($0) == local }), twin > index + 1 {
                // A block of first occurrences followed by the second ones: interleave them.
                let firsts = Array(times[index..<twin])
                let seconds = Array(times[twin..<min(times.count, twin + firsts.count)])
                for (a, b) in zip(firsts, seconds) { result += [a, b] }
                result += seconds.count < firsts.count ? Array(firsts[seconds.count...]) : []
                index = twin + seconds.count
            } else {
                result.append(times[index])
                index += 1
            }
        }
        return result
    }

    private static let localFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Helsinki")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return formatter
    }()
    private static let lock = NSLock()

    /// The naive Helsinki wall-clock text of a UTC second.
    static func localText(_ utc: Int) -> String {
        lock.withLock { localFormatter.string(from: Date(timeIntervalSince1970: TimeInterval(utc))) }
    }

    /// A `start`/`stop` parameter (ISO 8601 with an offset) as UTC seconds.
    static func parse(_ text: String) -> Int? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { Int($0.timeIntervalSince1970) }
    }
}
