import ArgumentParser
import FerryEngine

/// `ferry check`: opens every connection of the site and runs its health check.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate the configuration and check every connection.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let workspace = try global.workspace()
        var results: [(name: String, plugin: String, ok: Bool, message: String)] = []
        for (name, connection) in workspace.config.connections(for: workspace.site).sorted(by: { $0.key < $1.key }) {
            do {
                let opened = try workspace.openConnection(name)
                let report = try opened.check()
                opened.close()
                results.append((name, connection.plugin, report.ok, report.message))
            } catch {
                results.append((name, connection.plugin, false, workspace.redactor.redact("\(error)")))
            }
        }
        if global.json {
            printJSON(["connections": results.map { ["connection": $0.name, "plugin": $0.plugin, "ok": $0.ok, "message": $0.message] }])
        } else {
            var table = Table("CONNECTION", "PLUGIN", "OK", "MESSAGE")
            for result in results { table.add(result.name, result.plugin, result.ok ? "yes" : "NO", result.message) }
            print(table.rendered)
        }
        if results.contains(where: { !$0.ok }) { throw ExitCode(ExitStatus.failure) }
    }
}

/// `ferry discover CONNECTION`: the streams a source offers.
struct Discover: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the streams a source connection offers.")

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
            throw ExitCode(ExitStatus.failure)
        }
    }
}
