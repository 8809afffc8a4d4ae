import ArgumentParser
import FerryEngine

/// `--record DIR` and `--replay DIR`, shared by `run` and `check`: the HTTP traffic of a
/// command saved to files, or answered from them without the network.
struct TrafficOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Save every HTTP request and response, redacted, as JSON files in this folder.", valueName: "dir"))
    var record: String?

    @Option(
        help: ArgumentHelp(
            "Answer every HTTP request from the exchanges --record saved in this folder, without the network (a connector tested offline, a failed sync run again as it happened).",
            valueName: "dir"))
    var replay: String?

    func validate() throws {
        if record != nil && replay != nil && record == replay {
            throw ValidationError("--record and --replay name the same folder: record into another one")
        }
    }

    /// Points the workspace's HTTP at the recording, or records through it.
    func apply(to workspace: Workspace) {
        workspace.recordFolder = record
        workspace.replayFolder = replay
    }
}
