import ArgumentParser
import FerryCore
import FerryEngine

/// `ferry state show|reset`.
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state", abstract: "Inspect or reset pipeline state.", subcommands: [Show.self, Reset.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show the checkpoints and recent runs of pipelines.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Pipelines (default: all of the site's).") var pipelines: [String] = []

        func run() throws {
            let workspace = try global.workspace()
            var output: [[String: Any]] = []
            for pipeline in try workspace.pipelines(named: pipelines) {
                let id = PipelineID(site: workspace.site, pipeline: pipeline.name)
                let runs = try workspace.store.recentRuns(of: id, limit: 5)
                output.append([
                    "pipeline": pipeline.name,
                    "stream": pipeline.source.stream,
                    "checkpoint": try workspace.store.checkpoint(for: id, stream: pipeline.source.stream)
                        ?? NSNullText.value,
                    "runs": runs.map {
                        [
                            "id": $0.id, "status": $0.status.rawValue, "started": Timestamps.text($0.startedAt),
                            "read": $0.counts.read, "written": $0.counts.written, "dead_letters": $0.counts.rejected,
                        ]
                    },
                ])
            }
            if global.json { printJSON(["pipelines": output]); return }
            for item in output {
                print("\(item["pipeline"]!) (stream \(item["stream"]!)): checkpoint \(item["checkpoint"]!)")
                for run in item["runs"] as! [[String: Any]] {
                    print(
                        "  run \(run["id"]!) \(run["status"]!) \(run["started"]!) read \(run["read"]!) written \(run["written"]!) dead \(run["dead_letters"]!)"
                    )
                }
            }
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset",
            abstract:
                "Forget a pipeline's checkpoints, record hashes and dead letters (ID mappings and run history stay).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The pipelines to reset.") var pipelines: [String]

        func run() throws {
            let workspace = try global.workspace()
            for pipeline in try workspace.pipelines(named: pipelines) {
                try workspace.store.reset(PipelineID(site: workspace.site, pipeline: pipeline.name))
                print("Reset \(pipeline.name): the next run reads from the beginning.")
            }
        }
    }
}

/// The text shown for an absent value.
enum NSNullText { static let value = "none" }
