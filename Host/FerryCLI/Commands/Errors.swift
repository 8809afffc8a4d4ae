import ArgumentParser
import FerryCore
import FerryEngine
import FerryJSON

/// `ferry errors list|replay`: the dead-letter table.
struct Errors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errors",
        abstract: "List, replay or discard dead letters (records a transform or destination rejected).",
        subcommands: [List.self, Replay.self, Discard.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List dead letters.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this pipeline.") var pipeline: String?
        @Flag(help: "Include dead letters already replayed.") var all = false
        @Option(help: "At most this many.") var limit = 100

        func run() throws {
            let workspace = try global.workspace()
            let id = pipeline.map { PipelineID(site: workspace.site, pipeline: $0) }
            // A record may hold a secret an API echoed back (a bearer token): mask every known one.
            let letters = try workspace.store.deadLetters(for: id, includeReplayed: all, limit: limit)
                .filter { $0.pipeline.site == workspace.site }
                .map { workspace.redactor.masking($0) }
            if global.json {
                printJSON([
                    "dead_letters": letters.map {
                        [
                            "id": $0.id, "pipeline": $0.pipeline.pipeline, "stream": $0.stream, "stage": $0.stage,
                            "error": $0.error,
                            "record": $0.record, "created": Timestamps.text($0.createdAt),
                            "replayed": $0.replayedAt.map(Timestamps.text) ?? "",
                        ]
                    }
                ])
                return
            }
            if letters.isEmpty { print("No dead letters."); return }
            var table = Table("ID", "PIPELINE", "STAGE", "CREATED", "ERROR", "RECORD")
            for letter in letters {
                let record = letter.record.count > 60 ? String(letter.record.prefix(57)) + "..." : letter.record
                table.add(
                    "\(letter.id)", letter.pipeline.pipeline, letter.stage, Timestamps.text(letter.createdAt),
                    letter.error, record)
            }
            print(table.rendered)
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Send dead letters through their pipeline again, after fixing the cause.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this pipeline.") var pipeline: String?
        @Option(help: "Only these dead-letter ids (repeatable).") var id: [Int64] = []

        func run() throws {
            let workspace = try global.workspace()
            let filter = pipeline.map { PipelineID(site: workspace.site, pipeline: $0) }
            let letters = try workspace.store.deadLetters(for: filter, includeReplayed: false, limit: 1_000_000)
                .filter { $0.pipeline.site == workspace.site && (id.isEmpty || id.contains($0.id)) }
            if letters.isEmpty { print("Nothing to replay."); return }
            var stillFailing = 0
            for (name, group) in Dictionary(grouping: letters, by: { $0.pipeline.pipeline }).sorted(by: {
                $0.key < $1.key
            }) {
                var logger = workspace.logger
                logger[metadataKey: "pipeline"] = "\(name)"
                do {
                    guard let config = try workspace.pipelines(named: [name]).first else { continue }
                    let runner = PipelineRunner(
                        plan: try workspace.plan(config), store: workspace.store, logger: logger)
                    let report = try runner.replay(group.sorted { $0.id < $1.id })
                    stillFailing += report.counts.rejected
                    print(
                        "\(name): replayed \(group.count), written \(report.counts.written), unchanged \(report.counts.unchanged), failed again \(report.counts.rejected)"
                    )
                } catch {
                    printError(workspace.redactor.redact("\(error)"))
                    throw ExitCode(ExitStatus.of(error))
                }
            }
            if stillFailing > 0 { throw ExitCode(ExitStatus.deadLetters) }
        }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discard",
            abstract:
                "Delete dead letters that can never succeed (they are printed first, as JSON lines, to keep if needed)."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "The dead-letter ids to discard (repeatable).") var id: [Int64] = []
        @Option(help: "Discard every open dead letter of this pipeline.") var pipeline: String?

        func validate() throws {
            guard !id.isEmpty || pipeline != nil else {
                throw ValidationError("name what to discard: --id N (repeatable) or --pipeline NAME")
            }
        }

        func run() throws {
            let workspace = try global.workspace()
            let filter = pipeline.map { PipelineID(site: workspace.site, pipeline: $0) }
            let letters = try workspace.store.deadLetters(for: filter, includeReplayed: true, limit: 1_000_000)
                .filter { $0.pipeline.site == workspace.site && (id.isEmpty || id.contains($0.id)) }
                .filter { pipeline != nil || $0.replayedAt == nil || id.contains($0.id) }
            let missing = Set(id).subtracting(letters.map(\.id))
            guard missing.isEmpty else {
                printError(
                    "No dead letter with id \(missing.sorted().map(String.init).joined(separator: ", ")) in site '\(workspace.site)'; "
                        + "`ferry errors list --all` shows them")
                throw ExitCode(ExitStatus.badArguments)
            }
            for letter in letters {
                printError(
                    JSONWriter().encodeString([
                        "discarded": .int(letter.id), "pipeline": .string(letter.pipeline.pipeline),
                        "stage": .string(letter.stage),
                        "error": .string(letter.error), "record": .string(workspace.redactor.redact(letter.record)),
                    ]))
            }
            let deleted = try workspace.store.discardDeadLetters(letters.map(\.id))
            print("Discarded \(deleted) dead letter(s).")
        }
    }
}
