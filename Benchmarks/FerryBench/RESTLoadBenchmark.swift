import Foundation

/// The shape of issue 15: records of 13 fields (a nested object, an array) read in pages of
/// 1,000 from a local paging API (Benchmarks/rest-simulator.py) that sorts by `updated_at`,
/// so ids arrive in random order, through the `rest` connector into SQLite with upsert, in
/// a child `ferry run`. In the same run, for the ratios: the hand-written peer
/// (Benchmarks/rest-peer.py: requests + sqlite3, one upsert transaction per page) and
/// `sqlite3 .import` of the same rows in the same order into a table keyed by id, with
/// SQLite's default page cache and with a large one. Ferry runs with its defaults (then the
/// incremental runs: eight with 1% of the records changed, other records each time, and one
/// with nothing changed), with a commit per page, without change detection, with every memory
/// setting small, and with 2 KiB pages (incremental runs again). Last, `rounds` pairs of a
/// first load with the defaults and `.import` with the large cache, in turn, for the median
/// ratio: one pair moves with the machine's I/O by ±10%. Every first load reads the same 1M
/// records (the simulator forgets the incremental runs' touches first), and each database is
/// dropped as soon as it is measured, so that no run's fsyncs wait behind finished ones' pages.
struct RESTLoadBenchmark {
    var recordCounts: [Int]
    var rounds = 3
    /// Incremental runs with 1% changed after the first load, each changing other records.
    var incrementalRuns = 8

    func run() throws {
        let ferry = Bench.binFolder.appendingPathComponent("ferry").path
        guard FileManager.default.isExecutableFile(atPath: ferry) else {
            throw BenchError("build ferry first: \(ferry) not found")
        }
        try ensureRequests()
        for records in recordCounts { try run(records: records, ferry: ferry) }
    }

    /// The peer needs Python's `requests`: installed from the distribution when missing.
    private func ensureRequests() throws {
        let check = ["python3", "-c", "import requests"]
        if try Bench.run("/usr/bin/env", check).status == 0 { return }
        print("rest: installing python3-requests for the peer (apt-get)")
        _ = try Bench.run("/usr/bin/env", ["apt-get", "install", "-y", "-q", "python3-requests"])
        guard try Bench.run("/usr/bin/env", check).status == 0 else {
            throw BenchError(
                "the peer needs Python's requests: apt-get install python3-requests (or pip install requests)")
        }
    }

    private func run(records: Int, ferry: String) throws {
        let folder = try Bench.temporaryFolder("rest-\(records)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("rows.csv")
        let simulator = try RESTSimulator(arguments: [String(records), "--csv", csv.path])
        defer { simulator.stop() }
        print(
            "rest: \(records) records (13 fields, nested, ids in random order) in pages of 1,000 from a local API → SQLite upsert"
        )
        print("  load: \(Bench.loadAverage())")

        // The limit: SQLite's own import of the same rows in the same order, into a table keyed like Ferry's.
        let header = try FileHandle(forReadingFrom: csv).read(upToCount: 4096) ?? Data()
        let columns = String(decoding: header, as: UTF8.self).prefix { !$0.isNewline }.split(separator: ",")
        let create =
            "CREATE TABLE items (id INTEGER PRIMARY KEY, "
            + columns.dropFirst().map { "\"\($0)\"" }.joined(separator: ", ") + ")"
        func importRows(cacheKiB: Int, into name: String) throws -> Bench.Measured {
            let database = folder.appendingPathComponent(name)
            defer { Bench.removeDatabase(database) }
            let pragmas =
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                + (cacheKiB > 0 ? " PRAGMA cache_size=-\(cacheKiB);" : "")
            let run = try Bench.run(
                "/usr/bin/sqlite3", [database.path, pragmas + create, ".import --csv --skip 1 \(csv.path) items"])
            guard run.status == 0 else { throw BenchError("sqlite3 .import exited \(run.status)") }
            return run
        }
        var imports: [(label: String, seconds: Double)] = []
        for (label, cacheKiB) in [("default page cache", 0), ("256 MiB page cache", 262_144)] {
            let run = try importRows(cacheKiB: cacheKiB, into: "import-\(cacheKiB).db")
            imports.append((label, run.seconds))
            print("  sqlite3 .import, \(label): \(figures(records, run))")
        }
        let limit = imports.last!.seconds

        let peerDatabase = folder.appendingPathComponent("peer.db")
        let peer = try Bench.run(
            "/usr/bin/env", ["python3", Bench.script("rest-peer.py"), simulator.base, peerDatabase.path])
        Bench.removeDatabase(peerDatabase)
        guard peer.status == 0 else { throw BenchError("rest-peer.py exited \(peer.status)") }
        print("  hand-written peer (requests + sqlite3, a transaction per page): \(figures(records, peer))")

        for variant in Variant.allCases {
            let config = try writeConfig(in: folder, port: simulator.port, variant: variant)
            defer { removeDatabases(in: folder, name: "\(variant)") }
            try simulator.reset()
            let run = try Bench.run(ferry, ["run", "--config", config.path, "--log-level", "warning"])
            guard run.status == 0 else { throw BenchError("ferry run (\(variant.label)) exited \(run.status)") }
            print(
                "  ferry, \(variant.label): \(figures(records, run)); "
                    + "\(ratio(peer.seconds / run.seconds))× the peer's speed, \(ratio(run.seconds / limit))× .import's time"
            )
            guard let who = variant.incrementalLabel else { continue }
            // Incremental runs against the same state: 1% changed, other records each time, then
            // nothing. Several in a row, as cron runs them: one run moves with the machine's I/O,
            // and work one run leaves for a later one (a deferred merge, say) shows in the mean.
            var changedRuns: [Bench.Measured] = []
            for offset in 0..<incrementalRuns {
                try simulator.touch(records / 100, offset: offset)
                let changed = try Bench.run(ferry, ["run", "--config", config.path, "--log-level", "warning"])
                guard changed.status == 0 else { throw BenchError("ferry run (1% changed) exited \(changed.status)") }
                print("  \(who), incremental \(offset + 1) with 1% (\(records / 100)) changed: \(seconds(changed))")
                changedRuns.append(changed)
            }
            let walls = changedRuns.map(\.seconds)
            print(
                "  \(who), incremental with 1% changed, \(walls.count) runs: median "
                    + "\(String(format: "%.3f", Bench.median(walls))) s, mean "
                    + "\(String(format: "%.3f", Bench.mean(walls))) s, slowest "
                    + "\(String(format: "%.3f", walls.max()!)) s wall; mean CPU "
                    + "\(String(format: "%.3f", Bench.mean(changedRuns.map(\.cpuSeconds)))) s")
            let unchanged = try Bench.run(ferry, ["run", "--config", config.path, "--log-level", "warning"])
            guard unchanged.status == 0 else { throw BenchError("ferry run (no change) exited \(unchanged.status)") }
            print("  \(who), incremental with nothing changed: \(seconds(unchanged))")
        }

        guard rounds > 0 else { return }
        var ratios: [Double] = []
        for round in 1...rounds {
            let name = "round-\(round)"
            let config = try writeConfig(in: folder, port: simulator.port, variant: .defaults, name: name)
            try simulator.reset()
            let run = try Bench.run(ferry, ["run", "--config", config.path, "--log-level", "warning"])
            guard run.status == 0 else { throw BenchError("ferry run (\(name)) exited \(run.status)") }
            removeDatabases(in: folder, name: name)
            let copy = try importRows(cacheKiB: 262_144, into: "import-\(name).db")
            ratios.append(run.seconds / copy.seconds)
            print(
                "  round \(round): ferry, defaults \(String(format: "%.2f", run.seconds)) s, "
                    + "sqlite3 .import (256 MiB) \(String(format: "%.2f", copy.seconds)) s: \(ratio(ratios.last!))×")
        }
        print(
            "  median of \(rounds) rounds in turn: ferry's defaults take \(ratio(Bench.median(ratios)))× .import's time "
                + "(range \(ratio(ratios.min()!))–\(ratio(ratios.max()!)))")
    }

    /// The settings a `ferry run` of the benchmark is measured with.
    enum Variant: CaseIterable {
        case defaults
        /// A commit per page of 1,000, as Ferry committed before commit groups.
        case commitPerPage
        case withoutChangeDetection
        /// Every memory setting small (docs/performance.md, *Peak memory*): change detection on.
        case lowMemory
        /// The destination's file made with 2 KiB pages: an incremental run writes a page per
        /// changed record, so half the bytes (docs/performance.md, *Pages of 2 KiB*).
        case smallPages

        var label: String {
            switch self {
            case .defaults: "change detection on (default)"
            case .commitPerPage: "change detection on, commit_records: 1000 (a commit per page)"
            case .withoutChangeDetection: "change detection off"
            case .lowMemory:
                "low-memory settings (state_cache_mib 2, cache_size_mib 2, merge_memory_mib 1, "
                    + "read_ahead_mib 1, commit_records 50000)"
            case .smallPages: "page_size 2048, change detection on"
            }
        }

        /// Whether incremental runs follow this variant's first load, and how their lines begin.
        var incrementalLabel: String? {
            switch self {
            case .defaults: "ferry"
            case .smallPages: "ferry, page_size 2048"
            case .commitPerPage, .withoutChangeDetection, .lowMemory: nil
            }
        }

        /// Top-level keys, the sqlite connection's config entries, and pipeline keys.
        var settings: (topLevel: String, sqlite: String, pipeline: [String]) {
            switch self {
            case .defaults: ("", "", [])
            case .commitPerPage: ("", "", ["commit_records: 1000"])
            case .withoutChangeDetection: ("", "", ["change_detection: false"])
            case .lowMemory:
                (
                    "state_cache_mib: 2", ", cache_size_mib: 2, merge_memory_mib: 1",
                    ["read_ahead_mib: 1", "commit_records: 50000"]
                )
            case .smallPages: ("", ", page_size: 2048", [])
            }
        }
    }

    /// Drops a measured run's destination and state (`Bench.removeDatabase`).
    private func removeDatabases(in folder: URL, name: String) {
        for file in ["out-\(name).db", "state-\(name).db"] {
            Bench.removeDatabase(folder.appendingPathComponent(file))
        }
    }

    /// A `ferry.yaml` reading the API's `items` incrementally by `updated_at` into `out-<name>.db`.
    private func writeConfig(in folder: URL, port: String, variant: Variant, name: String? = nil) throws -> URL {
        let name = name ?? "\(variant)"
        let config = folder.appendingPathComponent("ferry-\(name).yaml")
        let settings = variant.settings
        try """
        \(settings.topLevel)
        state: state-\(name).db
        connections:
          api:
            plugin: rest
            http: { endpoint: "http://127.0.0.1:\(port)" }
            config:
              streams:
                - name: items
                  path: items
                  records_path: data
                  primary_key: id
                  cursor_field: updated_at
                  cursor_param: updated_since
                  pagination: { type: page, size_param: per_page, page_size: 1000 }
          warehouse: { plugin: sqlite, config: { path: out-\(name).db\(settings.sqlite) } }
        pipelines:
          items:
            source: { connection: api, stream: items }
            destination: { connection: warehouse, stream: items }
            write: upsert
        \(settings.pipeline.map { "    \($0)" }.joined(separator: "\n"))
        """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    private func figures(_ records: Int, _ run: Bench.Measured)
        -> String
    {
        "\(Bench.format(Double(records) / run.seconds)) records/s (\(String(format: "%.2f", run.seconds)) s wall, "
            + "\(String(format: "%.2f", run.cpuSeconds)) s CPU), peak RSS \(String(format: "%.1f", run.peakMiB)) MiB"
    }

    private func seconds(_ run: Bench.Measured) -> String {
        "\(String(format: "%.3f", run.seconds)) s wall, \(String(format: "%.3f", run.cpuSeconds)) s CPU, "
            + "peak RSS \(String(format: "%.1f", run.peakMiB)) MiB"
    }

    private func ratio(_ value: Double) -> String { String(format: "%.2f", value) }
}
