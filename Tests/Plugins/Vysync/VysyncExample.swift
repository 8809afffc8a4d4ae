import FerryJSON
import FerryTesting
import Foundation

/// `examples/vysync/` in a sandbox: its own `ferry.yaml` and client mapping, with VCOM and
/// Yuman simulated on loopback (their URLs and credentials given by the variables the config
/// reads), and Yuman holding the clients the mapping names, as the operator's Yuman does.
struct VysyncExample {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/vysync")

    /// The clients the example's `data/site_clients.csv` names, as Yuman holds them.
    static let clients = ["CLI-LYON": "Lyon Énergie", "CLI-ALPES": "Alpes Solaire", "CLI-SUD": "Sud Photovoltaïque"]

    let vcom: VCOMSimulator
    let yuman: YumanSimulator
    let servers: [LoopbackServer]
    /// Kills the run right after a chosen write reached VCOM or Yuman (see ``Tripwire``).
    let tripwire = Tripwire()
    let sandbox: Sandbox
    /// The VCOM tier the run is told about (`VCOM_PER_MINUTE`, `VCOM_PER_DAY`).
    let tier: [String: String]
    /// The Supabase variables (`VysyncSupabase.variables`); by default the mapping tables are off.
    var supabase: [String: String] = ["SUPABASE_MAPPING_TABLES": "false"]

    /// - Parameters:
    ///   - clientPerMinute: Ferry's own per-minute budget for VCOM (per real minute), default
    ///     the simulator's tier; with a simulated minute shorter than a real one, the server's
    ///     `X-RateLimit-*-Minute` headers are what must hold the run to the tier.
    ///   - yumanPerMinute: Ferry's budget for Yuman, default the example's 55 a minute.
    ///   - mapEveryPlant: Whether plants past the 12 of the example's client list get a client.
    init(
        vcom: VCOMSimulator, yuman: YumanSimulator = YumanSimulator(), clientPerMinute: Int? = nil,
        yumanPerMinute: Int? = nil, mapEveryPlant: Bool = true, name: String = #function
    ) throws {
        self.vcom = vcom
        self.yuman = yuman
        tier = ["VCOM_PER_MINUTE": "\(clientPerMinute ?? vcom.perMinute)", "VCOM_PER_DAY": "\(vcom.perDay)"]
            .merging(yumanPerMinute.map { ["YUMAN_PER_MINUTE": "\($0)"] } ?? [:], uniquingKeysWith: { $1 })
        let tripwire = tripwire
        servers = [
            try LoopbackServer { tripwire.pass($0, vcom.reply($0)) },
            try LoopbackServer { tripwire.pass($0, yuman.reply($0)) },
        ]
        sandbox = try Sandbox(name)
        for file in ["ferry.yaml", "data/site_clients.csv"] {
            try sandbox.write(
                file, try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8))
        }
        if mapEveryPlant && vcom.plants.count > 12 {
            // More plants than the example's list names: each goes to a client in turn.
            let codes = Self.clients.keys.sorted()
            let lines = vcom.plants.enumerated().map { "\($0.element.key),\(codes[$0.offset % codes.count])" }
            try sandbox.write(
                "data/site_clients.csv", (["system_key,client_code"] + lines).joined(separator: "\n") + "\n")
        }
        for (code, name) in Self.clients.sorted(by: { $0.key < $1.key }) {
            yuman.add("clients", ["name": .string(name), "code": .string(code), "address": "Lyon"])
        }
    }

    /// Runs `ferry` with the simulators' URLs and credentials.
    func ferry(_ arguments: [String] = ["run"], environment: [String: String] = [:]) throws -> Sandbox.Outcome {
        try sandbox.ferry(arguments, environment: variables(environment))
    }

    /// Runs `ferry run` and kills it with SIGKILL right after the `write`th write (a request
    /// other than GET) reached either simulator and was applied there, before its answer is
    /// sent; returns whether the kill happened (false: the run ended with fewer writes; a run that
    /// failed first is run again, up to three runs in all).
    func runKilled(afterWrite write: Int) throws -> Bool {
        for _ in 0..<3 {
            tripwire.arm(afterWrites: write)
            let process = try sandbox.start(["run"], environment: variables([:]))
            tripwire.aim(at: process.processIdentifier)
            process.waitUntilExit()
            if tripwire.disarm() { return true }
            // A run that failed before its `write`th write (a request timing out while a loaded
            // machine starves the simulators) is not the case under test: run again on the state
            // it left. A run that succeeded with fewer writes is, and fails the caller's check.
            guard process.terminationStatus != 0 else { return false }
        }
        return false
    }

    /// The variables `ferry.yaml` reads: the simulators' URLs and credentials.
    func variables(_ environment: [String: String]) -> [String: String] {
        var variables = tier.merging(supabase, uniquingKeysWith: { $1 })
        variables["VCOM_URL"] = servers[0].url
        variables["YUMAN_URL"] = servers[1].url
        variables["VCOM_API_KEY"] = VCOMSimulator.apiKey
        variables["VCOM_USERNAME"] = VCOMSimulator.username
        variables["VCOM_PASSWORD"] = VCOMSimulator.password
        variables["YUMAN_TOKEN"] = YumanSimulator.token
        return variables.merging(environment, uniquingKeysWith: { $1 })
    }

    /// The README's set-up: the operator's system → client mapping, and Yuman's client ids.
    func importMappings() throws -> [Sandbox.Outcome] {
        [
            try ferry([
                "idmap", "import", "vysync/site_clients", "--file", "data/site_clients.csv",
                "--source-field", "system_key", "--destination-field", "client_code",
            ]),
            try ferry([
                "idmap", "import", "yuman/clients", "--connection", "yuman", "--stream", "clients",
                "--source-field", "code", "--destination-field", "id",
            ]),
        ]
    }

    /// The system → client code mapping of the example's CSV.
    func clientCodes() throws -> [String: String] {
        var codes: [String: String] = [:]
        for line in try sandbox.read("data/site_clients.csv").split(separator: "\n").dropFirst() {
            let parts = line.split(separator: ",").map(String.init)
            if parts.count == 2 { codes[parts[0]] = parts[1] }
        }
        return codes
    }

    /// The serial numbers of the materials a plant must have in Yuman, by category.
    static func materials(of plant: VCOMSimulator.Plant) -> [String: Int64] {
        var expected: [String: Int64] = [
            "SIM-\(plant.key)": 11382, "CENTRAL-\(plant.key)": 11441, "MODULES-\(plant.key)": 11103,
        ]
        for inverter in VCOMSimulator.inverters(of: plant) {
            let serial = inverter["serial"]?.stringValue ?? inverter["id"]?.stringValue ?? "?"
            expected[serial] = 11102
        }
        for name in strings(of: plant) { expected[name] = 12404 }
        return expected
    }

    /// The PV strings of a plant's simulated technical data: per inverter, MPPT inputs 9 then
    /// 10 (numeric order), two strings each, numbered over the plant.
    static func strings(of plant: VCOMSimulator.Plant) -> [String] {
        var names: [String] = []
        for inverter in 1...plant.inverters {
            for mppt in [9, 10] {
                for string in 1...2 {
                    let slot = names.count + 1
                    names.append(
                        "STRING-\(slot < 10 ? "0" : "")\(slot)-WR\(inverter)-MPPT-\(mppt).\(string)-\(plant.key)")
                }
            }
        }
        return names
    }

    /// The VCOM requests one run makes: the two system lists, the open tickets and the tickets
    /// closed since the last read, four per plant (detail, technical data twice, inverter list)
    /// and one per inverter (its detail).
    func vcomRequestsPerRun(plants: Int? = nil) -> Int {
        let plants = vcom.plants.prefix(plants ?? vcom.plants.count)
        return 4 + 4 * plants.count + plants.reduce(0) { $0 + $1.inverters }
    }

    /// What is wrong in Yuman: a plant (of the first `plants`) without exactly one site, a site
    /// not linked to its client's id or without its custom fields, a material missing, twice
    /// there or not linked to its site's id, an object nobody asked for. Empty when right.
    func problems(plants: Int? = nil) throws -> [String] {
        let plants = Array(vcom.plants.prefix(plants ?? vcom.plants.count))
        let codes = try clientCodes()
        let clientIDs = Dictionary(
            yuman.objects("clients").map { ($0.fields["code"]?.stringValue ?? "", $0.id) },
            uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        let sites = yuman.objects("sites")
        let materials = yuman.objects("materials")
        if sites.count != plants.count { problems.append("\(sites.count) sites for \(plants.count) plants") }
        for plant in plants {
            let found = sites.filter { $0.fields["code"]?.stringValue == plant.key }
            guard found.count == 1, let site = found.first else {
                problems.append("\(plant.key): \(found.count) sites")
                continue
            }
            let client = site.fields["client_id"].map(YumanSimulator.text)
            if client != clientIDs[codes[plant.key] ?? "?"].map(String.init) {
                problems.append("\(plant.key): client_id \(client ?? "none")")
            }
            let custom = (site.fields["fields"]?.arrayValue ?? []).compactMap { $0["blueprint_id"]?.intValue }
            if custom != [13583, 13582, 13585, 13586] { problems.append("\(plant.key): custom fields \(custom)") }
            for (serial, category) in Self.materials(of: plant) {
                let copies = materials.filter { $0.fields["serial_number"]?.stringValue == serial }
                guard copies.count == 1, let material = copies.first else {
                    problems.append("\(serial): \(copies.count) materials")
                    continue
                }
                if material.fields["site_id"].map(YumanSimulator.text) != String(site.id) {
                    problems.append(
                        "\(serial): site_id \(material.fields["site_id"].map(YumanSimulator.text) ?? "none")")
                }
                if material.fields["category_id"]?.intValue != category { problems.append("\(serial): category") }
            }
        }
        let expected = plants.reduce(0) { $0 + Self.materials(of: $1).count }
        if materials.count != expected { problems.append("\(materials.count) materials, expected \(expected)") }
        return problems
    }

    /// The Yuman `POST`s sent after the first `since` requests.
    func creates(since: Int = 0) -> [String] { yuman.requests.dropFirst(since).filter { $0.hasPrefix("POST") } }
}
