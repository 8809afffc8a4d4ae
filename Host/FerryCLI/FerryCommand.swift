import ArgumentParser

/// The `ferry` command line.
public struct FerryCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "ferry", abstract: "A plugin-based sync host.")
    public init() {}
}
