import FerryCore
import FerryJSON
import Foundation

/// Runs a 10-step transform chain of expressions (the Gazelle and Tekmetric
/// mappings of docs/transforms.md) over records in memory, and, for scale, a
/// chain of 10 plain `rename`/`set` steps over the same records.
struct TransformBenchmark {
    var records: Int
    /// Distinct records generated up front and cycled through, so the figure is
    /// the transform's cost, not JSON generation's.
    var distinct = 10_000

    static let expressionSteps = """
        [
          {"op": "compute", "field": "company_name",
           "expr": "coalesce(trim(companyName), trim(trim(contact.firstName) & ' ' & trim(contact.lastName)))"},
          {"op": "validate", "rules": [{"expr": "not is_empty(company_name)", "reason": "company name missing"}]},
          {"op": "compute", "fields": {"appointment_date": "date(start)", "appointment_time": "time(start)"}},
          {"op": "compute", "field": "piano_id", "expr": "pianos.nodes[0].piano.id"},
          {"op": "compute", "field": "total_cents", "expr": "sum(jobs[*].total)"},
          {"op": "compute", "field": "gross_profit_pct", "expr": "round(margin * 100, 2)"},
          {"op": "compute", "field": "labor_cost_cents", "expr": "round(hourlyRate * sum(jobs[*].labor[*].hours))"},
          {"op": "compute", "field": "status", "expr": "switch(status, 'A', 'active', 'I', 'inactive', 'unknown')"},
          {"op": "compute", "field": "phone", "expr": "replace(phone, '[^0-9+]', '')"},
          {"op": "select", "fields": ["id", "company_name", "appointment_date", "appointment_time", "piano_id",
                                      "total_cents", "gross_profit_pct", "labor_cost_cents", "status", "phone"]}
        ]
        """

    static let plainSteps = """
        [
          {"op": "rename", "from": "companyName", "to": "company_name"},
          {"op": "default", "field": "company_name", "value": "n/a"},
          {"op": "rename", "from": "start", "to": "starts_at"},
          {"op": "rename", "from": "pianos", "to": "piano_list"},
          {"op": "set", "field": "source", "value": "gazelle"},
          {"op": "cast", "field": "margin", "to": "string"},
          {"op": "rename", "from": "hourlyRate", "to": "hourly_rate_cents"},
          {"op": "filter", "where": {"field": "status", "in": ["A", "I", "X"]}},
          {"op": "drop", "fields": ["contact"]},
          {"op": "select", "fields": ["id", "company_name", "starts_at", "piano_list", "source", "margin",
                                      "hourly_rate_cents", "status", "phone", "jobs"]}
        ]
        """

    func run() throws {
        let pool = (0..<distinct).map(Self.record)
        print("transform: \(records) records (\(distinct) distinct, in memory), one thread")
        for (name, steps) in [("10 expression steps", Self.expressionSteps), ("10 plain steps", Self.plainSteps)] {
            guard case .array(let list) = try JSONValue(parsing: steps) else { throw BenchError("bad steps") }
            let chain = try TransformChain(steps: list)
            var kept = 0
            let started = Date()
            let cpuStarted = Self.cpuSeconds()
            for index in 0..<records {
                if case .kept = chain.apply(to: pool[index % pool.count]) { kept += 1 }
            }
            let seconds = Date().timeIntervalSince(started)
            let cpu = Self.cpuSeconds() - cpuStarted
            guard kept > records / 2 else { throw BenchError("\(name): only \(kept) of \(records) records kept") }
            print(
                "  \(name): \(Bench.format(Double(records) / seconds)) records/s, "
                    + "\(Bench.format(Double(records) / cpu)) per CPU-second, "
                    + "\(String(format: "%.0f", cpu / Double(records) * 1e9)) ns/record (\(kept) kept)")
        }
    }

    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// A client-with-appointment-and-repair-order record; one in 50 has no name at all.
    private static func record(_ index: Int) -> JSONObject {
        let named = index % 50 != 0
        var jobs: [JSONValue] = []
        for job in 0..<(index % 4) {
            let hours: JSONValue = .double(0.25 * Double(job + 1))
            let labor: JSONValue = .array([.object(JSONObject([("hours", hours)]))])
            let total: JSONValue = .int(Int64(1000 + index % 997 * 13 + job))
            jobs.append(
                .object(JSONObject([("id", .int(Int64(index * 10 + job))), ("total", total), ("labor", labor)])))
        }
        let contact = JSONObject([
            ("firstName", .string(named ? " Ann\(index % 97) " : "")), ("lastName", .string(named ? "Lee" : "")),
        ])
        let piano: JSONValue = .object(JSONObject([("id", .string("pno_\(index)"))]))
        let node: JSONValue = .object(JSONObject([("piano", piano)]))
        let pianos = JSONObject([("nodes", .array([node]))])
        let margin: JSONValue = index % 7 == 0 ? .string("NaN") : .double(Double(index % 1000) / 1000)
        var record = JSONObject()
        record["id"] = .string("cli_\(index)")
        record["companyName"] = .string(index % 3 == 0 ? "  Acme \(index) " : "")
        record["contact"] = .object(contact)
        record["start"] = .string("2025-03-\(10 + index % 18)T\(10 + index % 12):30:00Z")
        record["pianos"] = .object(pianos)
        record["jobs"] = .array(jobs)
        record["margin"] = margin
        record["hourlyRate"] = .int(3550)
        record["status"] = .string(["A", "I", "X"][index % 3])
        record["phone"] = .string("+358 (40) \(index % 1000)-\(index % 77)")
        return record
    }
}
