import FerryCore
import FerryJSON
import FerryTesting
import Foundation
import Synchronization

/// The VCOM API v2 (meteocontrol) as `reference/external-apis.md` §1 and the seed
/// behaviours (000 vysync, "VCOM simulator must serve") describe it, for the systems part of
/// the vysync flow: `GET /systems`, `/systems/{key}`, `/systems/{key}/technical-data`,
/// `/systems/{key}/inverters` and `/systems/{key}/inverters/{id}`, every payload wrapped in
/// `{"data": …}`.
///
/// - **Auth**: `X-API-KEY` plus `Authorization: Basic`, or `Bearer` with a token from
///   `POST /login` when the simulator has a ``VCOMLogin``; a wrong key answers 401 `Invalid API
///   key`, wrong credentials 401 too.
/// - **Rate limits**: every response carries `X-RateLimit-{Limit,Remaining,Reset}-{Minute,Day}`
///   (resets as RFC 7231 dates). A minute window starts at the first request after the last
///   one ended (on a whole second) and lasts `minuteLength` seconds; the day window is the
///   UTC day. A request past either limit answers 429 with `Remaining` 0 and is not counted.
///   ``exhaustMinute(resettingIn:)`` uses up the current window as another client of the
///   account would, so the next request meets a 429 that resets soon.
/// - `served` keeps the time and window of every request answered 2xx, so a test can count
///   what each (simulated) minute saw.
/// - **Faults**: ``faults`` answers planned requests with 5xx, a hang, a truncated body or gzip
///   (VCOMFaultPlan.swift).
final class VCOMSimulator: Sendable {
    /// One simulated plant (a VCOM "system").
    struct Plant: Sendable {
        var key: String
        var name: String
        var inverters: Int
    }

    /// A request that was answered, and in which minute window.
    struct Served: Sendable {
        var at: Double
        var window: Int
        var request: String
    }

    private struct Limits {
        var windowStart: Double = -.infinity
        var windowEnd: Double = -.infinity
        var window = 0
        var usedMinute = 0
        var day = -1
        var usedDay = 0
    }

    static let apiKey = "vcom-test-key"
    static let username = "vysync"
    static let password = "s3cret-vcom"

    let plants: [Plant]
    let perMinute: Int
    let perDay: Int
    let minuteLength: Double
    let inverterDetailsGone: Set<String>
    /// The ticket routes (VCOMTicketDesk.swift), behind the same auth and limits.
    let tickets: VCOMTicketDesk
    /// The OAuth login (`POST /login`, VCOMLogin.swift), when the account offers it.
    let login: VCOMLogin?
    /// Server errors, hangs, truncated bodies and gzip, planned by a test.
    let faults = VCOMFaultPlan()
    /// Payloads that replace the generated ones, by path (``change(_:to:)``).
    private let changes = Mutex<[String: JSONValue]>([:])
    private let limits = Mutex(Limits())
    private let servedLog = Mutex<[Served]>([])
    private let refusedLog = Mutex<[String]>([])

    /// - Parameters:
    ///   - plants: How many systems the account holds (`PV001`, `PV002`, …).
    ///   - perMinute: The tier's requests per minute (90 for "API 10.000").
    ///   - perDay: The tier's requests per day.
    ///   - minuteLength: The length of a simulated minute, in seconds.
    ///   - numericTicketIDs: Whether ticket ids are answered as numbers (``VCOMTicketDesk/numericIDs``).
    ///   - inverterDetailsGone: Inverter ids whose detail (`/inverters/{id}`) answers 404, as
    ///     VCOM does for some: the inverter is still listed.
    ///   - login: The OAuth login, if Bearer tokens are offered beside Basic.
    init(
        plants: Int, perMinute: Int = 90, perDay: Int = 10_000, minuteLength: Double = 60,
        numericTicketIDs: Bool = false, inverterDetailsGone: Set<String> = [], login: VCOMLogin? = nil
    ) {
        self.login = login
        tickets = VCOMTicketDesk(numericIDs: numericTicketIDs)
        self.inverterDetailsGone = inverterDetailsGone
        self.plants = (1...max(1, plants)).map { index in
            Plant(
                key: "PV" + (index < 10 ? "00" : index < 100 ? "0" : "") + "\(index)",
                name: "Centrale \(index)", inverters: 1 + index % 3)
        }
        self.perMinute = perMinute
        self.perDay = perDay
        self.minuteLength = minuteLength
    }

    /// Requests answered 2xx, in order.
    var served: [Served] { servedLog.withLock { $0 } }

    /// `STATUS METHOD target` of every request refused (401, 404, 429).
    var refusals: [String] { refusedLog.withLock { $0 } }

    /// The most requests any one minute window served.
    var busiestMinute: Int {
        Dictionary(grouping: served, by: \.window).values.map(\.count).max() ?? 0
    }

    /// Uses up the current minute window, as another client of the account would, and makes
    /// it end `seconds` from now: the next request answers 429 until then.
    func exhaustMinute(resettingIn seconds: Double) {
        let now = Date().timeIntervalSince1970
        limits.withLock { limits in
            if now >= limits.windowEnd { Self.startWindow(&limits, at: now, length: seconds) }
            limits.windowEnd = (now + seconds).rounded(.up)
            limits.usedMinute = perMinute
        }
    }

    func reply(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        faults.reply(to: request, answer: answer)
    }

    /// The answer of a VCOM without faults.
    private func answer(_ request: LoopbackServer.Request) -> LoopbackServer.Reply {
        let label = "\(request.method) \(request.target)"
        guard request.header("X-API-KEY") == Self.apiKey else {
            return refuse(label, .json(#"{"error":{"code":401,"message":"Invalid API key"}}"#, status: 401))
        }
        if let login, request.path == "/login" { return login.answer(request) }
        let basic = "Basic " + Data("\(Self.username):\(Self.password)".utf8).base64EncodedString()
        guard request.header("Authorization") == basic || login?.accepts(request.header("Authorization")) == true else {
            return refuse(label, .json(#"{"error":{"code":401,"message":"Unauthorized"}}"#, status: 401))
        }
        let now = Date().timeIntervalSince1970
        let (allowed, headers, window) = limits.withLock { limits in
            if now >= limits.windowEnd { Self.startWindow(&limits, at: now, length: minuteLength) }
            let day = Int(now / 86_400)
            if day != limits.day { (limits.day, limits.usedDay) = (day, 0) }
            let allowed = limits.usedMinute < perMinute && limits.usedDay < perDay
            if allowed { (limits.usedMinute, limits.usedDay) = (limits.usedMinute + 1, limits.usedDay + 1) }
            let headers = [
                ("X-RateLimit-Limit-Minute", "\(perMinute)"),
                ("X-RateLimit-Remaining-Minute", "\(max(0, perMinute - limits.usedMinute))"),
                ("X-RateLimit-Reset-Minute", HTTPDate.format(limits.windowEnd)),
                ("X-RateLimit-Limit-Day", "\(perDay)"),
                ("X-RateLimit-Remaining-Day", "\(max(0, perDay - limits.usedDay))"),
                ("X-RateLimit-Reset-Day", HTTPDate.format(Double(day + 1) * 86_400)),
            ]
            return (allowed, headers, limits.window)
        }
        guard allowed else {
            return refuse(
                label, .json(#"{"error":{"code":429,"message":"Too Many Requests"}}"#, status: 429, headers: headers))
        }
        if let answer = tickets.answer(request) { return record(label, answer, at: now, window: window, headers) }
        guard request.method == "GET", let data = data(for: request.path) else {
            return refuse(label, .json(#"{"error":{"code":404,"message":"Not found"}}"#, status: 404, headers: headers))
        }
        servedLog.withLock { $0.append(Served(at: now, window: window, request: label)) }
        return .json(JSONWriter().encodeString(.object(["data": data])), headers: headers)
    }

    /// Logs a ticket answer as served or refused and adds the rate-limit headers.
    private func record(
        _ label: String, _ answer: LoopbackServer.Reply, at now: Double, window: Int, _ headers: [(String, String)]
    ) -> LoopbackServer.Reply {
        guard case .response(let status, let own, let body) = answer else { return answer }
        let reply = LoopbackServer.Reply.response(status: status, headers: own + headers, body: body)
        guard status < 300 else { return refuse(label, reply) }
        servedLog.withLock { $0.append(Served(at: now, window: window, request: label)) }
        return reply
    }

    private static func startWindow(_ limits: inout Limits, at now: Double, length: Double) {
        limits.windowStart = now.rounded(.down)
        limits.windowEnd = limits.windowStart + length
        limits.window += 1
        limits.usedMinute = 0
    }

    private func refuse(_ label: String, _ reply: LoopbackServer.Reply) -> LoopbackServer.Reply {
        if case .response(let status, _, _) = reply { refusedLog.withLock { $0.append("\(status) \(label)") } }
        return reply
    }

    /// Makes `path` (`/systems/PV002/technical-data`) answer `data` from now on, as VCOM does
    /// once a plant's equipment was changed there.
    func change(_ path: String, to data: JSONValue) { changes.withLock { $0[path] = data } }

    /// The payload under `data` for a path, nil for an unknown one.
    private func data(for path: String) -> JSONValue? {
        if let changed = changes.withLock({ $0[path] }) { return changed }
        let parts = path.split(separator: "/").map(String.init)
        guard parts.first == "systems" else { return nil }
        if parts.count == 1 {
            return .array(plants.map { ["key": .string($0.key), "name": .string($0.name)] })
        }
        guard let plant = plants.first(where: { $0.key == parts[1] }) else { return nil }
        switch parts.count {
        case 2: return Self.system(plant)
        case 3 where parts[2] == "technical-data": return Self.technicalData(plant)
        case 3 where parts[2] == "inverters": return .array(Self.inverters(of: plant).map(Self.listed))
        case 4 where parts[2] == "inverters":
            guard !inverterDetailsGone.contains(parts[3]) else { return nil }
            return Self.inverters(of: plant).first { $0["id"]?.stringValue == parts[3] }.map(JSONValue.object)
        default: return nil
        }
    }

    /// Its position among the plants, from 1.
    private static func number(_ plant: Plant) -> Int { Int(plant.key.dropFirst(2)) ?? 0 }

    static func system(_ plant: Plant) -> JSONValue {
        let number = number(plant)
        return [
            "name": .string(plant.name),
            "address": [
                "city": "Lyon", "country": "FR", "postalCode": .string("6900\(number % 10)"),
                "street": .string("\(number) rue du Soleil"),
            ],
            "elevation": 170,
            "commissionDate": .string("2021-0\(1 + number % 9)-1\(number % 10)"),
            "coordinates": ["latitude": .double(45.75 + Double(number) / 100), "longitude": 4.85],
            "timezone": ["name": "Europe/Paris", "utcOffset": "+01:00"],
            "additionalInformation": "",
        ]
    }

    /// One configuration per inverter, whose MPPT inputs are keyed by number and, as in
    /// meteocontrol's own fixture, need not start at 1 (`"10"` sorts after `"9"` by number).
    /// Each names its inverter as the configuration does, which an inverter's own detail
    /// need not match (the vendor's long name here, a model by position).
    static func technicalData(_ plant: Plant) -> JSONValue {
        let number = number(plant)
        let module: JSONValue = ["vendor": "Trina Solar", "model": "TSM-DE09.08 400"]
        let models = ["STP 25000TL-30", "STP 110-60 CORE2", "STP 50-40 CORE1"]
        let configurations: [JSONValue] = (1...plant.inverters).map { index in
            [
                "inverter": ["vendor": "SMA Solar Technology", "model": .string(models[(index - 1) % 3]), "count": 1],
                "mpptCount": 2, "numberOfModules": 40,
                "mpptInputs": [
                    "10": ["module": module, "type": "roof", "modulesPerString": 10, "stringCount": 2],
                    "9": ["module": module, "type": "roof", "modulesPerString": 10, "stringCount": 2],
                ],
            ]
        }
        return [
            "nominalPower": .double(Double(plant.inverters) * 25 + Double(number) / 10),
            "siteArea": 1200,
            "panels": [
                ["vendor": "Trina Solar", "model": "TSM-DE09.08 400", "count": .int(Int64(40 * plant.inverters))]
            ],
            "inverters": [["vendor": "SMA", "model": "STP 25000TL-30", "count": .int(Int64(plant.inverters))]],
            "systemConfigurations": .array(configurations),
        ]
    }

    /// The plant's inverters in detail; the last one of a plant has no serial number.
    static func inverters(of plant: Plant) -> [JSONObject] {
        (1...plant.inverters).map { index in
            [
                "id": .string("Id\(10_000 + number(plant)).\(index)"), "name": .string("WR \(index)"),
                "serial": index == plant.inverters && plant.inverters > 1 ? nil : .string("SN\(plant.key)\(index)"),
                // Models differ within a plant, so each inverter's own detail must be the one read.
                "model": .string(index % 2 == 1 ? "STP 25000TL-30" : "STP 110-60 CORE2"), "vendor": "SMA",
                "scaleFactor": 1, "firmware": "4.01",
            ]
        }
    }

    private static func listed(_ inverter: JSONObject) -> JSONValue {
        ["id": inverter["id"] ?? nil, "name": inverter["name"] ?? nil, "serial": inverter["serial"] ?? nil]
    }
}
