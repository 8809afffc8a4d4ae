import ArgumentParser
import FerryCore
import FerryEngine
import FerryServe
import FerryTime
import Foundation

/// `ferry status`: last runs, cursors and dead letters per pipeline.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the last runs, cursors and dead letters of each pipeline.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let workspace = try global.workspace()
        var rows: [[String: Any]] = []
        for pipeline in try workspace.pipelines(named: []) {
            let id = PipelineID(site: workspace.site, pipeline: pipeline.name)
            let last = try workspace.store.recentRuns(of: id, limit: 1).first
            let cursor = try workspace.store.checkpoint(for: id, stream: pipeline.source.stream)
            let dead = try workspace.store.deadLetters(for: id, includeReplayed: false, limit: 100_000).count
            let parked = try workspace.store.parkedCount(for: id)
            var row: [String: Any] = [
                "pipeline": pipeline.name, "last_status": last?.status.rawValue ?? "never run",
                "last_started": last.map { Timestamps.text($0.startedAt) } ?? "",
                "last_summary": last?.message ?? "", "checkpoint": cursor ?? "", "dead_letters": dead,
                "waiting_for_mapping": parked,
            ]
            if !pipeline.outputs.isEmpty {
                row["outputs"] = pipeline.outputs.map { output -> [String: Any] in
                    var entry: [String: Any] = [
                        "name": output.name, "connection": output.destination.connection,
                        "stream": output.destination.stream, "replace_children": output.replaceChildren,
                    ]
                    if let explode = output.explode { entry["explode"] = explode.description }
                    return entry
                }
            }
            rows.append(row)
        }
        let workers = try WorkerFleet(store: workspace.store)
        if global.json {
            var document: [String: Any] = ["pipelines": rows]
            if let workers { document["workers"] = workers.json }
            printJSON(document)
            return
        }
        var table = Table("PIPELINE", "LAST RUN", "STARTED", "DEAD LETTERS", "WAITING", "CHECKPOINT")
        for row in rows {
            table.add(
                row["pipeline"] as! String, row["last_status"] as! String, row["last_started"] as! String,
                "\(row["dead_letters"]!)", "\(row["waiting_for_mapping"]!)", row["checkpoint"] as! String)
        }
        print(table.rendered)
        for pipeline in try workspace.pipelines(named: []) where !pipeline.outputs.isEmpty {
            print("\(pipeline.name) outputs: " + pipeline.outputs.map(\.summary).joined(separator: "; "))
        }
        if let workers { print("\n" + workers.rendered) }
    }
}

/// Formats stored times (seconds since 1970) as UTC ISO 8601.
enum Timestamps {
    static func text(_ seconds: Double) -> String {
        UTCTimestamp.string(secondsSince1970: seconds)
    }
}
