import ArgumentParser
import FerryCore
import FerryJSON

/// `ferry conflicts list|resolve`: fields both sides changed that no policy decided (two-way sync).
struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "List or resolve two-way sync conflicts (fields both sides changed that no policy decided).",
        subcommands: [List.self, Resolve.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List open and resolved conflicts.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this pipeline.") var pipeline: String?
        @Flag(help: "Include conflicts whose decision was written or that the source superseded.") var all = false
        @Option(help: "At most this many.") var limit = 100

        func run() throws {
            let workspace = try global.workspace()
            let id = pipeline.map { PipelineID(site: workspace.site, pipeline: $0) }
            let conflicts = try workspace.store.conflicts(for: id, includeClosed: all, limit: limit)
                .filter { $0.pipeline.site == workspace.site }
            if global.json {
                printJSON([
                    "conflicts": conflicts.map {
                        [
                            "id": $0.id, "pipeline": $0.pipeline.pipeline, "stream": $0.stream, "key": $0.key,
                            "field": $0.field,
                            "base": $0.base ?? "", "source": $0.sourceValue ?? "",
                            "destination": $0.destinationValue ?? "",
                            "seen": Timestamps.text($0.seenAt), "status": $0.status.rawValue,
                            "resolution": $0.resolution ?? "",
                        ] as [String: Any]
                    }
                ])
                return
            }
            if conflicts.isEmpty { print("No conflicts."); return }
            var table = Table("ID", "PIPELINE", "KEY", "FIELD", "BASE", "SOURCE", "DESTINATION", "SEEN", "STATUS")
            for conflict in conflicts {
                let status =
                    conflict.resolution.map { "\(conflict.status.rawValue): \($0)" } ?? conflict.status.rawValue
                table.add(
                    "\(conflict.id)", conflict.pipeline.pipeline, conflict.key, conflict.field, conflict.base ?? "-",
                    conflict.sourceValue ?? "-", conflict.destinationValue ?? "-", Timestamps.text(conflict.seenAt),
                    status)
            }
            print(table.rendered)
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract:
                "Decide a conflict; the decision is written the next time its record passes through the pipeline.",
            discussion:
                "The record's hash is forgotten, so the next run sends it again (for an incremental source, when it "
                + "reads the record again). If the source sent another value by then, the field is decided afresh.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The conflict's id (`ferry conflicts list`).") var id: Int64
        @Option(help: "Take the source's or the destination's value.") var take: Side?
        @Option(help: "Write this JSON value instead.") var value: String?

        enum Side: String, ExpressibleByArgument, CaseIterable { case source, destination }

        func validate() throws {
            guard (take == nil) != (value == nil) else {
                throw ValidationError("give one of --take source|destination or --value JSON")
            }
            if let value, (try? JSONParser().parse(Array(value.utf8))) == nil {
                throw ValidationError("--value must be one JSON value, such as '\"Main St 1\"', 42 or null")
            }
        }

        func run() throws {
            let workspace = try global.workspace()
            guard
                let conflict = try workspace.store.conflicts(for: nil, includeClosed: false, limit: Int.max)
                    .first(where: { $0.id == id && $0.pipeline.site == workspace.site })
            else {
                printError(
                    "No open conflict with id \(id) in site '\(workspace.site)'; `ferry conflicts list` shows them")
                throw ExitCode(ExitStatus.badArguments)
            }
            let resolution: String
            switch take {
            case .source?: resolution = conflict.sourceValue ?? "null"
            case .destination?: resolution = conflict.destinationValue ?? "null"
            case nil: resolution = JSONWriter().encodeString(try JSONParser().parse(Array((value ?? "null").utf8)))
            }
            _ = try workspace.store.resolveConflict(id, resolution: resolution)
            print(
                "Conflict \(id) resolved: \(conflict.field) of \(conflict.key) becomes \(resolution) on the next run of \(conflict.pipeline.pipeline)."
            )
        }
    }
}
