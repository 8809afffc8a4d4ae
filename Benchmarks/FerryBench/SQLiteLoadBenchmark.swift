import Foundation

/// Loads JSONL records (12 fields, some nested) into SQLite with upsert through
/// `ferry run` (file source → sqlite destination) in a child process, printing
/// records/s and the child's peak RSS, then times `sqlite3 .import` of the same
/// rows as CSV for the ratio. Several sizes show whether memory stays flat.
struct SQLiteLoadBenchmark {
    var recordCounts: [Int]

    func run() throws {
        let ferry = Bench.binFolder.appendingPathComponent("ferry").path
        guard FileManager.default.isExecutableFile(atPath: ferry) else {
            throw BenchError("build ferry first: \(ferry) not found")
        }
        for count in recordCounts {
            let folder = try Bench.temporaryFolder("sqlite-\(count)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let jsonl = folder.appendingPathComponent("records.jsonl")
            let csv = folder.appendingPathComponent("records.csv")
            try writeRecords(count: count, jsonl: jsonl, csv: csv)
            let importDB = folder.appendingPathComponent("import.db").path
            let sqlite = try Bench.run("/usr/bin/sqlite3", [importDB, ".mode csv", ".import \(csv.path) records"])
            print("sqlite: \(count) JSONL records (12 fields, nested) → SQLite upsert by id, batches of 5,000")
            for changeDetection in [true, false] {
                let database = folder.appendingPathComponent("out-\(changeDetection).db").path
                let config = folder.appendingPathComponent("ferry-\(changeDetection).yaml")
                try """
                state: state-\(changeDetection).db
                connections:
                  input: { plugin: file, config: { path: \(jsonl.path), primary_key: id } }
                  warehouse: { plugin: sqlite, config: { path: \(database) } }
                pipelines:
                  load:
                    source: { connection: input, stream: records }
                    destination: { connection: warehouse, stream: records }
                    write: upsert
                    primary_key: [id]
                    batch_size: 5000
                    change_detection: \(changeDetection)
                """.write(to: config, atomically: true, encoding: .utf8)
                let run = try Bench.run(ferry, ["run", "--config", config.path, "--log-level", "warning"])
                guard run.status == 0 else { throw BenchError("ferry run exited \(run.status)") }
                print(
                    "  ferry, change detection \(changeDetection ? "on " : "off"): \(Bench.format(Double(count) / run.seconds)) records/s "
                        + "(\(String(format: "%.2f", run.seconds)) s), \(Bench.format(Double(count) / run.cpuSeconds)) records per CPU-second, "
                        + "peak RSS \(String(format: "%.1f", run.peakMiB)) MiB, \(String(format: "%.2f", run.seconds / sqlite.seconds))× sqlite3's time"
                )
            }
            print(
                "  sqlite3 .import of the same rows as CSV: \(Bench.format(Double(count) / sqlite.seconds)) records/s (\(String(format: "%.2f", sqlite.seconds)) s)"
            )
        }
    }

    /// Writes the same rows as JSONL (for ferry) and CSV with a header (for sqlite3).
    func writeRecords(count: Int, jsonl: URL, csv: URL) throws {
        _ = FileManager.default.createFile(atPath: jsonl.path, contents: nil)
        _ = FileManager.default.createFile(atPath: csv.path, contents: nil)
        let jsonHandle = try FileHandle(forWritingTo: jsonl)
        let csvHandle = try FileHandle(forWritingTo: csv)
        defer { try? jsonHandle.close(); try? csvHandle.close() }
        let cities = ["Helsinki", "Tampere", "Pori", "Turku", "Oulu"]
        var jsonChunk = ""
        var csvChunk = "id,sku,name,price,qty,active,updated_at,customer,tags,score,note,category\n"
        for id in 1...count {
            let city = cities[id % cities.count]
            let price = Double(id % 10_000) / 100
            let stamp =
                "2025-\(String(format: "%02d", 1 + id % 12))-\(String(format: "%02d", 1 + id % 28))T12:\(String(format: "%02d", id % 60)):00Z"
            jsonChunk +=
                #"{"id":\#(id),"sku":"SKU-\#(id)","name":"Product \#(id)","price":\#(price),"qty":\#(id % 50),"active":\#(id % 3 == 0),"updated_at":"\#(stamp)","customer":{"id":\#(id % 977),"city":"\#(city)"},"tags":["t\#(id % 7)","bulk"],"score":\#(Double(id % 1000) / 1000),"note":"order note \#(id)","category":"c\#(id % 13)"}"#
                + "\n"
            csvChunk +=
                #"\#(id),SKU-\#(id),Product \#(id),\#(price),\#(id % 50),\#(id % 3 == 0 ? 1 : 0),\#(stamp),"{""id"":\#(id % 977),""city"":""\#(city)""}","[""t\#(id % 7)"",""bulk""]",\#(Double(id % 1000) / 1000),order note \#(id),c\#(id % 13)"#
                + "\n"
            if id % 50_000 == 0 || id == count {
                jsonHandle.write(Data(jsonChunk.utf8))
                csvHandle.write(Data(csvChunk.utf8))
                jsonChunk = ""
                csvChunk = ""
            }
        }
    }
}
