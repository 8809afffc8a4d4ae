import FerryJSON
import FerryTesting
import Foundation

/// `examples/gazelle/` as a user runs it: its `ferry.yaml`, queries and `sql/tables.sql`,
/// with the Gazelle simulator on loopback and the PostgREST-protocol server over a scratch
/// schema of the real PostgreSQL standing in for Supabase. The tables are created by the
/// example's SQL (Ferry writes into tables it did not create).
final class GazelleSupabaseFlow {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/gazelle")
    static let files = [
        "ferry.yaml", "queries/clients.graphql", "queries/pianos.graphql", "queries/appointments.graphql",
        "queries/timeline_entries.graphql",
    ]
    static let refreshToken = "gz-refresh-from-token-json"

    let gazelle: GazelleSimulator
    let scratch: PostgRESTScratch
    let supabase: LoopbackServer
    let sandbox: Sandbox

    /// - Parameter rotates: Whether Gazelle answers each refresh grant with a new refresh token
    ///   (and revokes the old one).
    init(name: String = #function, rotates: Bool = false) throws {
        gazelle = try GazelleSimulator(refreshTokens: [Self.refreshToken], rotates: rotates)
        Self.seed(gazelle)
        scratch = try PostgRESTScratch()
        try scratch.db.query(
            String(contentsOf: Self.example.appendingPathComponent("sql/tables.sql"), encoding: .utf8))
        // A stored title the source has left empty since: it must stay.
        try scratch.db.query(
            """
            INSERT INTO gazelle_timeline_entries (external_id, title, description)
            VALUES ('tle_3', 'Kept title', 'Kept description')
            """)
        supabase = try PostgRESTHTTPServer.start(scratch.simulator, prefix: "/rest/v1").server
        sandbox = try Sandbox(name)
        for file in Self.files {
            try sandbox.write(
                file, try String(contentsOf: Self.example.appendingPathComponent(file), encoding: .utf8))
        }
        // The seed's config/token.json, as its OAuth helper wrote it.
        try sandbox.write(
            "config/token.json",
            #"{"access_token": "gz-old-access", "token_type": "Bearer", "expires_in": 2592000, "refresh_token": "\#(Self.refreshToken)", "created_at": 1755700000}"#
        )
    }

    deinit { supabase.stop() }

    /// The variables the example reads, pointing at the simulators; pages of 5 so paging shows.
    var environment: [String: String] {
        [
            "GAZELLE_URL": gazelle.url, "GAZELLE_CLIENT_ID": GazelleSimulator.clientID,
            "GAZELLE_CLIENT_SECRET": GazelleSimulator.clientSecret, "SUPABASE_URL": supabase.url,
            "SUPABASE_KEY": scratch.simulator.apiKey, "SUPABASE_SCHEMA": scratch.db.schema, "GAZELLE_PAGE_SIZE": "5",
        ]
    }

    /// Runs `ferry` in the sandbox with the example's variables (and `extra`).
    func ferry(_ arguments: [String] = ["run"], extra: [String: String] = [:]) throws -> Sandbox.Outcome {
        try sandbox.ferry(arguments, environment: environment.merging(extra) { $1 })
    }

    /// Rows of a query as `a|b|…`, NULL as `∅`.
    func rows(_ sql: String) throws -> [String] {
        try scratch.db.query(sql).map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
    }

    /// Every row of the five tables, surrogate ids included: equal before and after means nothing changed.
    func snapshot() throws -> [String] {
        try ["clients", "contacts", "pianos", "appointments", "timeline_entries"].flatMap {
            try rows("SELECT t::text FROM gazelle_\($0) t ORDER BY external_id COLLATE \"C\"")
        }
    }

    /// `POST`s the Supabase side received for a table.
    func posts(_ table: String) -> Int { scratch.simulator.requests.filter { $0 == "POST /\(table)" }.count }

    var allPosts: Int { scratch.simulator.requests.filter { $0.hasPrefix("POST ") }.count }

    // MARK: The Gazelle account

    /// Ten clients with names, two without any (dead letters, the oldest); seven pianos of
    /// clients 1…3; six appointments; nine timeline entries. Each rule of the seed's mapping
    /// has a record that exercises it.
    static func seed(_ gazelle: GazelleSimulator) {
        gazelle.state.withLock { state in
            var clients = (1...10).map { GazelleSimulator.client($0, updated: GazelleSimulator.time($0)) }
            clients[1]["companyName"] = "  Piano Plus  " // trimmed
            clients[2]["companyName"] = "" // empty: the contact's trimmed names
            clients[2]["defaultContact"] = contact(3, first: " Marie ", last: " Curie ")
            clients[3]["companyName"] = .null // missing: the contact's first name alone
            clients[3]["defaultContact"] = contact(4, first: "Jean", last: .null)
            clients[4]["status"] = .null // status defaults to active
            clients[4]["tags"] = []
            var nobody = GazelleSimulator.client(11, updated: GazelleSimulator.time(0))
            nobody["companyName"] = .null
            nobody["defaultContact"] = .null
            var blank = GazelleSimulator.client(12, updated: GazelleSimulator.time(0))
            blank["companyName"] = "   "
            blank["defaultContact"] = contact(12, first: "", last: "  ")
            state.clients = clients + [nobody, blank]

            var pianos = (1...7).map {
                GazelleSimulator.piano($0, client: 1 + $0 % 3, updated: GazelleSimulator.time($0))
            }
            pianos[1]["type"] = .null // type defaults to upright
            pianos[2]["make"] = .null // make and location default to ''
            pianos[2]["location"] = .null
            pianos[3]["notes"] = "Needs regulation"
            state.pianos = pianos

            var events = (1...6).map {
                GazelleSimulator.event($0, start: "2026-03-0\($0)T14:30:00Z", client: $0, piano: $0 <= 5 ? $0 : nil)
            }
            events[1]["notes"] = "" // notes empty: the title
            events[2]["notes"] = .null // notes missing: the title
            events[3]["status"] = .null // status defaults to scheduled
            events[4]["client"] = .null // a personal event: no client
            events[4]["type"] = "PERSONAL"
            state.events = events

            var timeline = (1...9).map {
                GazelleSimulator.timelineEntry($0, occurred: GazelleSimulator.time($0 * 10))
            }
            timeline[2]["summary"] = "" // empty title: the stored one stays
            timeline[3]["invoice"] = ["id": "inv_4"]
            state.timeline = timeline
        }
    }

    static func contact(_ n: Int, first: JSONValue, last: JSONValue) -> JSONValue {
        [
            "id": .string("con_\(n)"), "firstName": first, "lastName": last, "title": "Mme", "wantsEmail": true,
            "defaultEmail": ["email": .string("c\(n)@example.com")], "defaultPhone": .null,
            "defaultLocation": ["street1": .null, "municipality": "Laval", "postalCode": "H7A 1A1", "region": "QC"],
        ]
    }

    // MARK: What the seed's mapping gives

    /// The rows the seed's mapping makes of ``seed(_:)``, table by table.
    static let expectedClients: [String] = (1...10).map { n in
        let company = [2: "Piano Plus", 3: "Marie Curie", 4: "Jean"][n] ?? "Company \(n)"
        let (first, last) = [3: (" Marie ", " Curie "), 4: ("Jean", "∅")][n] ?? ("First\(n)", "Last\(n)")
        let phone = n == 3 || n == 4 ? "∅" : "+1555000\(n)"
        let city = n == 3 || n == 4 ? "Laval" : "Montréal"
        let postal = n == 3 || n == 4 ? "H7A 1A1" : "H2X \(n)A\(n)"
        return [
            "cli_\(String(format: "%04d", n))", company, first, last, n == 5 ? "active" : "ACTIVE",
            n == 5 ? "{}" : "{piano}", "c\(n)@example.com", phone, city, postal, "Personal \(n)", "", "fr_CA",
            "2025-01-01 00:00:00+00", "2026-03-01 08:\(String(format: "%02d", n)):00+00",
        ].joined(separator: "|")
    }
    static let clientColumns =
        "external_id, company_name, first_name, last_name, status, tags, email, phone, city, postal_code, personal_notes, preference_notes, locale, created_at, updated_at"

    static let expectedContacts: [String] = (1...10).map { n in
        let (first, last) = [3: (" Marie ", " Curie "), 4: ("Jean", "∅")][n] ?? ("First\(n)", "Last\(n)")
        let own = n == 3 || n == 4
        return [
            "con_\(n)", "cli_\(String(format: "%04d", n))", first, last, own ? "Mme" : "∅", "c\(n)@example.com",
            own ? "∅" : "+1555000\(n)", own ? "∅" : "\(n) rue Principale", own ? "Laval" : "Montréal",
            own ? "H7A 1A1" : "H2X \(n)A\(n)", "QC",
        ].joined(separator: "|")
    }
    static let contactColumns =
        "external_id, client_external_id, first_name, last_name, title, email, phone, street, city, postal_code, region"

    static let expectedPianos: [String] = (1...7).map { n in
        [
            "pno_\(n)", "cli_000\(1 + n % 3)", n == 3 ? "" : "Yamaha", "U\(n)", "SN\(n)",
            n == 2 ? "upright" : n % 2 == 0 ? "GRAND" : "UPRIGHT", "\(1980 + n)", n == 3 ? "" : "Salon",
            n == 4 ? "Needs regulation" : "",
        ].joined(separator: "|")
    }
    static let pianoColumns = "external_id, client_external_id, make, model, serial_number, type, year, location, notes"

    static let expectedAppointments: [String] = (1...6).map { n in
        [
            "evt_\(n)", n == 5 ? "∅" : "cli_000\(n)", n <= 5 ? "pno_\(n)" : "∅", "Tuning visit \(n)", "2026-03-0\(n)",
            "14:30:00", "60", n == 4 ? "scheduled" : "ACTIVE", "usr_1",
            n == 2 || n == 3 ? "Tuning visit \(n)" : "Bring mutes \(n)", "2026-03-0\(n) 14:30:00+00",
        ].joined(separator: "|")
    }
    static let appointmentColumns =
        "external_id, client_external_id, piano_id, title, appointment_date, appointment_time, duration, status, technicien, notes, created_at"

    static let expectedTimeline: [String] = (1...9).map { n in
        [
            "tle_\(n)", "cli_0001", n % 2 == 0 ? "∅" : "pno_1", n == 4 ? "inv_4" : "∅", "∅", "usr_1",
            "2026-03-01 " + String(GazelleSimulator.time(n * 10).dropFirst(11).dropLast()) + "+00", "SERVICE",
            n == 3 ? "Kept title" : "Tuning \(n)",
            n == 3 ? "Kept description" : n % 3 == 0 ? "∅" : "Note \(n)",
        ].joined(separator: "|")
    }
    static let timelineColumns =
        "external_id, client_id, piano_id, invoice_id, estimate_id, user_id, occurred_at, entry_type, title, description"

    /// The five tables as the seed's mapping makes them, or the first difference per table.
    func mappingDifferences() throws -> [String] {
        let tables: [(String, String, [String])] = [
            ("clients", Self.clientColumns, Self.expectedClients),
            ("contacts", Self.contactColumns, Self.expectedContacts),
            ("pianos", Self.pianoColumns, Self.expectedPianos),
            ("appointments", Self.appointmentColumns, Self.expectedAppointments),
            ("timeline_entries", Self.timelineColumns, Self.expectedTimeline),
        ]
        var differences: [String] = []
        for (table, columns, expected) in tables {
            let actual = try rows("SELECT \(columns) FROM gazelle_\(table) ORDER BY external_id COLLATE \"C\"")
            let sorted = expected.sorted { $0.prefix { $0 != "|" } < $1.prefix { $0 != "|" } }
            if actual != sorted {
                let first = zip(actual, sorted).first { $0 != $1 }
                differences.append(
                    "\(table): \(actual.count) rows, expected \(sorted.count); first difference: "
                        + (first.map { "got \($0.0), expected \($0.1)" } ?? "(missing rows)"))
            }
        }
        return differences
    }
}
