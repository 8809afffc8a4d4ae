import FerryJSON
import FerryPluginSDK
import Foundation

/// Shortcuts for the file connector tests.
enum FileTest {
    static func open(_ config: JSONValue) throws -> PluginInstance { try PluginInstance("file", config: config) }

    static func write(_ path: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    static func append(_ path: String, _ text: String) {
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        handle.closeFile()
    }

    static func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Every record line of a full read.
    static func readAll(_ instance: PluginInstance, _ request: ReadRequest) throws -> (
        lines: [String], batches: [ReceivedBatch]
    ) {
        let batches = try instance.read(request)
        return (batches.flatMap(\.lines), batches)
    }
}
