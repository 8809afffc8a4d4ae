import FerryTesting
import Foundation
import Testing

/// `docs/connectors/NAME.md` is generated from each connector's key table and checked in; this
/// regenerates every page with the real `ferry` and fails when one drifted from its table.
@Suite struct ConnectorDocsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every first-party connector: a folder under Plugins/ (cdemo, the C reference, has its README).
    static let connectors: [String] = {
        let folders =
            (try? FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("Plugins").path))
            ?? []
        return folders.filter { name in
            var isFolder: ObjCBool = false
            let path = repository.appendingPathComponent("Plugins/\(name)").path
            return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
                && name != "cdemo"
        }.sorted()
    }()

    @Test func everyConnectorHasItsGeneratedPageAndItIsCurrent() throws {
        #expect(Self.connectors.count >= 9, "\(Self.connectors)")
        let sandbox = try Sandbox()
        for name in Self.connectors {
            let generated = try sandbox.ferry(["plugins", "info", name, "--markdown"])
            #expect(generated.status == 0, "\(name): \(generated.stderr)")
            let file = Self.repository.appendingPathComponent("docs/connectors/\(name).md")
            let checkedIn = (try? String(contentsOf: file, encoding: .utf8)) ?? "(missing)"
            #expect(
                generated.stdout == checkedIn,
                "docs/connectors/\(name).md differs from the connector's key table; run scripts/connector-docs.sh and commit the result"
            )
        }
    }
}
