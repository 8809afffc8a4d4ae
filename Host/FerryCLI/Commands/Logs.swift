import ArgumentParser
import FerryCore
import FerryEngine

/// `ferry logs [RUN]`: the log lines kept with a run, whichever process ran it.
struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show the log lines of a run (the latest run when no id is given).",
        discussion: """
            Every run started by `ferry run` or `ferry serve` keeps its log lines (redacted, at most \
            \(RunLog.maxLines)) in the state store; the logs of the latest \(RunLog.keptRuns) runs are kept. \
            Run ids are shown by `ferry state show` and serve's API.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The run id.", valueName: "run")) var runID: Int64?
    @Option(name: .long, help: "The latest run of this pipeline (without a run id).") var pipeline: String?

    func validate() throws {
        if runID != nil, pipeline != nil { throw ValidationError("give a run id or --pipeline, not both") }
    }

    func run() throws {
        let workspace = try global.workspace()
        let id: RunID
        if let runID {
            id = runID
        } else {
            let scope = try pipeline.map { name in
                guard let found = try workspace.pipelines(named: [name]).first else {
                    throw ValidationError("no pipeline '\(name)'")
                }
                return PipelineID(site: workspace.site, pipeline: found.name)
            }
            let runs = try workspace.store.recentRuns(of: scope, limit: 200).filter {
                scope != nil || $0.pipeline.site == workspace.site
            }
            guard let latest = runs.first else {
                printError("No run recorded yet in \(workspace.config.stateDescription).")
                throw ExitCode(ExitStatus.failure)
            }
            id = latest.id
        }
        guard let lines = try workspace.store.runLog(id) else {
            printError(
                "No log kept for run \(id): logs are kept for the latest \(RunLog.keptRuns) runs, and dry runs keep none."
            )
            throw ExitCode(ExitStatus.failure)
        }
        if global.json {
            printJSON(["run": id, "lines": lines.map(workspace.redactor.redact)])
        } else {
            for line in lines { print(workspace.redactor.redact(line)) }
        }
    }
}
