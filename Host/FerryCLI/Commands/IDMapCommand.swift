import ArgumentParser
import FerryCore
import FerryEngine
import FerryJSON
import Foundation

/// `ferry idmap list|show|export|import`: the ID-mapping store (source key → destination id),
/// per site, so users can see the mappings Ferry keeps and bring the ones they already have.
struct IDMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idmap",
        abstract: "List, show, export or import ID mappings (source key → the id a destination assigned).",
        subcommands: [List.self, Show.self, Export.self, Import.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the site's ID-map scopes and how many mappings each holds.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let workspace = try global.workspace()
            let prefix = IDMapScope.qualified("", site: workspace.site)
            let scopes = try workspace.store.idMapScopes(prefix: prefix)
                .filter { workspace.site.isEmpty ? !$0.scope.contains("::") : true }
                .map { (scope: String($0.scope.dropFirst(prefix.count)), count: $0.count) }
            if global.json {
                printJSON(["scopes": scopes.map { ["scope": $0.scope, "mappings": $0.count] }])
                return
            }
            if scopes.isEmpty { print("No ID mappings."); return }
            var table = Table("SCOPE", "MAPPINGS")
            for scope in scopes { table.add(scope.scope, "\(scope.count)") }
            print(table.rendered)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show the mappings of one scope.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The scope, e.g. yuman/sites.") var scope: String
        @Option(help: "At most this many.") var limit = 100

        func run() throws {
            let workspace = try global.workspace()
            let pairs = try workspace.store.idMappings(
                scope: IDMapScope.qualified(scope, site: workspace.site), limit: limit)
            if global.json {
                printJSON([
                    "scope": scope,
                    "mappings": pairs.map { ["source_id": $0.sourceID, "destination_id": $0.destinationID] },
                ])
                return
            }
            if pairs.isEmpty { print("No mappings in '\(scope)'."); return }
            var table = Table("SOURCE ID", "DESTINATION ID")
            for pair in pairs { table.add(pair.sourceID, pair.destinationID) }
            print(table.rendered)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write one scope's mappings as CSV (source_id,destination_id).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The scope, e.g. yuman/sites.") var scope: String
        @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output:
            String?

        func run() throws {
            let workspace = try global.workspace()
            let pairs = try workspace.store.idMappings(
                scope: IDMapScope.qualified(scope, site: workspace.site), limit: Int.max)
            var text = "source_id,destination_id\n"
            for pair in pairs {
                text += CSVField.quoted(pair.sourceID) + "," + CSVField.quoted(pair.destinationID) + "\n"
            }
            guard let output else {
                print(text, terminator: "")
                return
            }
            do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                printError("cannot write \(output): \(error.localizedDescription)")
                throw ExitCode(ExitStatus.failure)
            }
            print("Exported \(pairs.count) mapping(s) of '\(scope)' to \(output).")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract:
                "Import mappings into a scope from any source stream (a CSV or JSONL file through the file connector, a table, an API).",
            discussion: """
                Reads a CSV or JSON Lines file (--file), or a stream through its connection as a run \
                would (--connection and --stream), and stores each record's --source-field → \
                --destination-field. Examples: `ferry idmap import yuman/sites --file sites.csv \
                --source-field vcom_key --destination-field yuman_id`; the mapping table another tool \
                keeps: `ferry idmap import yuman/sites --connection supabase --stream sites_mapping \
                --source-field vcom_system_key --destination-field yuman_site_id`.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The scope to fill, e.g. yuman/sites.") var scope: String
        @Option(help: "A CSV (with a header) or JSON Lines file to read.") var file: String?
        @Option(help: "Or: the connection to read (defined in the config).") var connection: String?
        @Option(help: "Its stream.") var stream: String?
        @Option(help: "The field holding the source key.") var sourceField: String
        @Option(help: "The field holding the destination id.") var destinationField: String

        func validate() throws {
            guard (file != nil) != (connection != nil), (connection != nil) == (stream != nil) else {
                throw ValidationError("name what to read: --file PATH, or --connection NAME with --stream NAME")
            }
        }

        func run() throws {
            let workspace = try global.workspace()
            var pairs: [(sourceID: String, destinationID: String)] = []
            let origin = file ?? "\(connection ?? "")/\(stream ?? "")"
            do {
                let add: (JSONValue, Int) throws -> Void = { record, number in
                    func id(_ field: String) throws -> String {
                        switch record[field] {
                        case .string(let text)?: return text
                        case .int(let integer)?: return String(integer)
                        default:
                            throw ImportProblem(
                                description: "record \(number) of \(origin): field '\(field)' "
                                    + "is missing or not a string or integer id; nothing was imported")
                        }
                    }
                    pairs.append((try id(sourceField), try id(destinationField)))
                }
                if let file {
                    let path = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
                    try workspace.forEachRecord(inFile: path, add)
                } else if let connection, let stream {
                    try workspace.forEachRecord(connection: connection, stream: stream, add)
                }
            } catch let problem as ImportProblem {
                printError(problem.description)
                throw ExitCode(ExitStatus.failure)
            }
            try workspace.store.setDestinationIDs(pairs, scope: IDMapScope.qualified(scope, site: workspace.site))
            print("Imported \(pairs.count) mapping(s) into '\(scope)'.")
        }
    }
}

/// A record that cannot become a mapping.
struct ImportProblem: Error, CustomStringConvertible {
    var description: String
}

/// One CSV field as RFC 4180 writes it: quoted when it holds a comma, quote or line break.
enum CSVField {
    static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}
