import ArgumentParser
import FerryCore
import FerryEngine
import FerrySchedule
import Foundation

/// `ferry check`: opens every connection of the site and runs its health check,
/// then prepares every pipeline as `run` would (source stream, key, transform
/// plugins), so that what `check` passes a run does not refuse for its setup.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validate the configuration and check every connection.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var traffic: TrafficOptions

    private struct Result {
        var name: String
        var plugin: String
        var ok: Bool
        var message: String
    }

    func run() throws {
        let workspace = try global.workspace()
        traffic.apply(to: workspace)
        var exitStatus = ExitStatus.success
        func failed(_ error: any Error) -> String {
            exitStatus = max(exitStatus, ExitStatus.of(error))
            return workspace.redactor.redact("\(error)")
        }
        var connections: [Result] = []
        for (name, connection) in workspace.config.connections(for: workspace.site).sorted(by: { $0.key < $1.key }) {
            do {
                let opened = try workspace.openConnection(name)
                let report = try opened.check()
                opened.close()
                connections.append(
                    Result(name: name, plugin: connection.plugin, ok: report.ok, message: report.message))
                if !report.ok { exitStatus = max(exitStatus, ExitStatus.failure) }
            } catch {
                connections.append(Result(name: name, plugin: connection.plugin, ok: false, message: failed(error)))
            }
        }
        var pipelines: [Result] = []
        for pipeline in try workspace.pipelines(named: []) {
            do {
                let plan = try workspace.plan(pipeline) // its connections close when the plan is released
                let outputs = pipeline.outputs.isEmpty ? "" : " Outputs, parents first: " + plan.outputSummary + "."
                let schedules = try Self.schedules(of: pipeline, in: workspace.config.sourceFile)
                pipelines.append(
                    Result(name: pipeline.name, plugin: "", ok: true, message: "Ready to run." + outputs + schedules))
            } catch {
                pipelines.append(Result(name: pipeline.name, plugin: "", ok: false, message: failed(error)))
            }
        }
        if global.json {
            printJSON([
                "connections": connections.map {
                    ["connection": $0.name, "plugin": $0.plugin, "ok": $0.ok, "message": $0.message]
                },
                "pipelines": pipelines.map { ["pipeline": $0.name, "ok": $0.ok, "message": $0.message] },
            ])
        } else {
            var table = Table("CONNECTION", "PLUGIN", "OK", "MESSAGE")
            for result in connections {
                table.add(result.name, result.plugin, result.ok ? "yes" : "NO", result.message)
            }
            var plans = Table("PIPELINE", "OK", "MESSAGE")
            for result in pipelines { plans.add(result.name, result.ok ? "yes" : "NO", result.message) }
            print(table.rendered)
            print(plans.rendered)
        }
        if exitStatus != ExitStatus.success { throw ExitCode(exitStatus) }
    }

    /// What `ferry serve` does with the pipeline's schedules, checked as serve checks them
    /// (fields and zone; serve's `--time-zone` applies to those that name none).
    static func schedules(of pipeline: PipelineConfig, in file: String) throws -> String {
        var parts: [String] = []
        for (key, text, what) in [
            ("schedule", pipeline.schedule, "schedule"),
            ("full_schedule", pipeline.fullSchedule, "full schedule"),
        ] {
            guard let text else { continue }
            do {
                _ = try CronSchedule(parsing: text, defaultTimeZone: .current)
            } catch {
                throw WorkspaceError("\(file):\(pipeline.location.line): pipelines.\(pipeline.name).\(key): \(error)")
            }
            parts.append("\(what) '\(text)'")
        }
        return parts.isEmpty ? "" : " ferry serve: " + parts.joined(separator: ", ") + "."
    }
}

/// `ferry discover CONNECTION`: the streams a source offers.
struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover", abstract: "List the streams a source connection offers.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A connection name from the configuration.")
    var connection: String

    func run() throws {
        let workspace = try global.workspace()
        do {
            let opened = try workspace.openConnection(connection)
            let catalog = try opened.discover()
            if global.json {
                print(JSONText.pretty(catalog.json))
            } else {
                var table = Table("STREAM", "PRIMARY KEY", "CURSOR", "FIELDS")
                for stream in catalog.streams {
                    let fields = stream.schema["properties"]?.objectValue?.keys.joined(separator: ", ") ?? ""
                    table.add(stream.name, stream.primaryKey.joined(separator: ", "), stream.cursorField ?? "", fields)
                }
                print(table.rendered)
            }
        } catch {
            printError(workspace.redactor.redact("\(error)"))
            throw ExitCode(ExitStatus.of(error))
        }
    }
}
