import FerryTesting
import Foundation
import Testing

/// Computed fields through the real `ferry` binary: JSON Lines shaped like the
/// Gazelle and Tekmetric APIs (docs/transforms.md) → SQLite, with the records
/// that cannot be mapped ending as dead letters with their reasons.
@Suite struct TransformExpressionEndToEndTests {
    private static let config = """
        state: state.db
        connections:
          clients: { plugin: file, config: { path: clients.jsonl, primary_key: id } }
          events: { plugin: file, config: { path: events.jsonl, primary_key: id } }
          orders: { plugin: file, config: { path: orders.jsonl, primary_key: id } }
          warehouse: { plugin: sqlite, config: { path: out.db } }
        pipelines:
          clients:
            source: { connection: clients, stream: clients }
            destination: { connection: warehouse, stream: clients }
            write: upsert
            transforms:
              - op: compute
                fields:
                  company_name: "coalesce(trim(companyName), trim(trim(defaultContact.firstName) & ' ' & trim(defaultContact.lastName)))"
                  status: "coalesce(status, 'active')"
                  email: "defaultContact.defaultEmail.email"
                  updated_at: "now()"
              - op: validate
                rules:
                  - { expr: "not is_empty(company_name)", reason: "company name missing: no companyName and no contact name" }
              - { op: select, fields: [id, company_name, status, email, updated_at] }
          appointments:
            source: { connection: events, stream: events }
            destination: { connection: warehouse, stream: appointments }
            write: upsert
            transforms:
              - op: compute
                fields:
                  appointment_date: "date(start)"
                  appointment_time: "time(start)"
                  piano_id: "allEventPianos.nodes[0].piano.id"
                  notes: "if_empty(notes, title)"
              - { op: select, fields: [id, appointment_date, appointment_time, piano_id, notes] }
          repair_orders:
            source: { connection: orders, stream: orders }
            destination: { connection: warehouse, stream: repair_orders }
            write: upsert
            transforms:
              - op: compute
                fields:
                  total_cents: "sum(jobs[*].total)"
                  labor_hours: "sum(jobs[*].labor[*].hours)"
                  labor_cost_cents: "round(hourlyRate * labor_hours)"
                  gross_profit_pct: "round(totalProfitMargin * 100, 2)"
                  job_count: "count(jobs[*].id)"
              - { op: select, fields: [id, total_cents, labor_hours, labor_cost_cents, gross_profit_pct, job_count] }
        """

    @Test func gazelleAndTekmetricMappingsLandWithExactValues() throws {
        let sandbox = try Sandbox()
        try sandbox.write(
            "clients.jsonl",
            """
            {"id":"cli_1","companyName":"  Acme Pianos  ","status":"inactive","defaultContact":{"firstName":"Ann","lastName":"Lee","defaultEmail":{"email":"ann@acme.test"}}}
            {"id":"cli_2","companyName":"","defaultContact":{"firstName":" Bo ","lastName":"Berg  ","defaultEmail":null}}
            {"id":"cli_3","companyName":null,"defaultContact":{"firstName":"  ","lastName":""}}
            {"id":"cli_4"}

            """)
        try sandbox.write(
            "events.jsonl",
            """
            {"id":"evt_1","start":"2025-03-01T23:30:00Z","title":"Tuning","notes":"","allEventPianos":{"nodes":[{"piano":{"id":"pno_7"}},{"piano":{"id":"pno_8"}}]}}
            {"id":"evt_2","start":"2025-03-02T08:05:00Z","title":"Repair","notes":"Bring felt","allEventPianos":{"nodes":[]}}
            {"id":"evt_3","start":"next tuesday","title":"Bad","allEventPianos":{"nodes":[]}}

            """)
        try sandbox.write(
            "orders.jsonl",
            """
            {"id":1,"hourlyRate":3550,"totalProfitMargin":0.423456,"jobs":[{"id":11,"total":12550,"labor":[{"hours":1.5},{"hours":0.25}]},{"id":12,"total":"4999","labor":[]},{"id":13,"total":null}]}
            {"id":2,"hourlyRate":4000,"totalProfitMargin":"NaN","jobs":[]}

            """)
        try sandbox.write("ferry.yaml", Self.config)
        let before = Date().addingTimeInterval(-1)
        let run = try sandbox.ferry(["run"])
        let after = Date().addingTimeInterval(1)
        #expect(run.status == 3, "dead letters make exit 3: \(run.stderr)")

        #expect(
            try sandbox.sql("out.db", "SELECT id, company_name, status, quote(email) FROM clients ORDER BY id;")
                == ["cli_1|Acme Pianos|inactive|'ann@acme.test'", "cli_2|Bo Berg|active|NULL"])
        let stamps = try sandbox.sql("out.db", "SELECT updated_at FROM clients;")
        let parser = ISO8601DateFormatter()
        for stamp in stamps {
            let moment = try #require(parser.date(from: stamp), "now() gives an ISO timestamp: \(stamp)")
            #expect(moment >= before && moment <= after, "now() is the run's clock: \(stamp)")
        }
        #expect(Set(stamps).count == 1, "one clock reading for the whole run")

        #expect(
            try sandbox.sql(
                "out.db",
                "SELECT id, appointment_date, appointment_time, quote(piano_id), notes FROM appointments ORDER BY id;")
                == ["evt_1|2025-03-01|23:30:00|'pno_7'|Tuning", "evt_2|2025-03-02|08:05:00|NULL|Bring felt"])

        let orders = try sandbox.sql(
            "out.db",
            """
            SELECT id, total_cents, typeof(total_cents), labor_hours, labor_cost_cents, typeof(labor_cost_cents),
                   quote(gross_profit_pct), job_count FROM repair_orders ORDER BY id;
            """)
        // labor_hours is a REAL column (its first value was 1.75), so SQLite shows 0 as 0.0.
        #expect(
            orders == ["1|17549|integer|1.75|6213|integer|42.35|3", "2|0|integer|0.0|0|integer|NULL|0"], "\(orders)")

        let errors = try sandbox.sql("state.db", "SELECT pipeline, error FROM dead_letters ORDER BY pipeline, id;")
        #expect(
            errors == [
                #"appointments|transform 1 (compute): field 'appointment_date': column 1: date() expects a timestamp like 2025-03-01T09:30:00Z, got "next tuesday""#,
                "clients|transform 2 (validate): company name missing: no companyName and no contact name",
                "clients|transform 2 (validate): company name missing: no companyName and no contact name",
            ], "\(errors)")
        #expect(
            try sandbox.sql(
                "state.db", "SELECT COUNT(*) FROM dead_letters WHERE record LIKE '%cli_3%' OR record LIKE '%cli_4%';")
                == ["2"])
    }

    @Test func aMistakeInAnExpressionStopsFerryCheckWithItsLine() throws {
        let sandbox = try Sandbox()
        try sandbox.write("clients.jsonl", "")
        try sandbox.write("events.jsonl", "")
        try sandbox.write("orders.jsonl", "")
        try sandbox.write(
            "ferry.yaml",
            Self.config.replacingOccurrences(
                of: "round(totalProfitMargin * 100, 2)", with: "roundd(totalProfitMargin, 2)"))
        let check = try sandbox.ferry(["check"])
        #expect(check.status == 2, "\(check.stdout)\(check.stderr)")
        let output = check.stdout + check.stderr
        #expect(output.contains("ferry.yaml:"), "\(output)")
        #expect(output.contains("unknown function 'roundd' (did you mean 'round'?)"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("out.db")), "nothing ran")
    }
}
