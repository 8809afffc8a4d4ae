import FerryTesting
import Foundation
import Testing

/// The dashboard in headless Chromium (Debian's `chromium`, which scripts/test.sh
/// installs): the page a person sees, saved as a screenshot, and the DOM the browser
/// built from it.
@Suite(.serialized) struct DashboardBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Where screenshots are kept for people to look at: `FERRY_SCREENSHOTS`, else the build folder.
    static var screenshots: URL {
        let folder =
            ProcessInfo.processInfo.environment["FERRY_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? Sandbox.buildFolder.appendingPathComponent("screenshots")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Runs headless Chromium on `url` with `arguments`; returns its standard output.
    static func browse(_ url: String, _ arguments: [String], in sandbox: Sandbox) throws -> String {
        let browser = try #require(
            chromium, "Debian's chromium is needed (scripts/test.sh installs it: apt-get install chromium)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=\(sandbox.path("chromium"))",
                "--window-size=1280,1100",
            ] + arguments + [url]
        let out = sandbox.path("chromium-\(UUID().uuidString.prefix(6)).out")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        process.waitUntilExit()
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    @Test func theDashboardShowsRunsChartsAndDeadLettersInABrowser() throws {
        let sandbox = try ServeCommandTests.makeSandbox(records: 120)
        // Two records whose value is not a number become dead letters.
        var lines = try sandbox.read("data/input.jsonl")
        lines += #"{"id":1001,"value":"n/a","updated_at":"2025-01-01T00:00:00Z"}"# + "\n"
        lines += #"{"id":1002,"value":"<script>alert(1)</script>","updated_at":"2025-01-01T00:00:00Z"}"# + "\n"
        try sandbox.write("data/input.jsonl", lines)
        try sandbox.write(
            "ferry.yaml",
            ServeCommandTests.config().replacingOccurrences(
                of: "    batch_size: 50\n",
                with: "    batch_size: 50\n    transforms:\n      - { op: cast, field: value, to: integer }\n"))
        let serve = try ServeProcess(sandbox)
        for run in 1...2 {
            #expect(try serve.request("POST", "/v1/pipelines/to_sqlite/runs").0 == 202)
            try serve.waitForLog("Run finished.", occurrence: run)
            try serve.waitUntilIdle("to_sqlite")
        }
        let address = serve.url.replacingOccurrences(of: "http://", with: "")
        let page = "http://ferry:\(ServeProcess.token)@\(address)/dashboard"
        let screenshot = Self.screenshots.appendingPathComponent("dashboard.png")
        try? FileManager.default.removeItem(at: screenshot)
        _ = try Self.browse(page, ["--screenshot=\(screenshot.path)"], in: sandbox)
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG at \(screenshot.path)")
        #expect(png.count > 20_000, "a rendered page, not a blank one: \(png.count) bytes")

        let dom = try Self.browse(page, ["--dump-dom"], in: sandbox)
        #expect(dom.contains(#"<tr data-pipeline="to_sqlite">"#))
        // The second run is incremental: nothing new to read.
        #expect(
            dom.contains(#"<td class="status succeeded">succeeded</td><td>"#)
                && dom.contains("0 read, 0 written, 0 dead"))
        #expect(dom.components(separatedBy: #"<rect class="records""#).count - 1 == 2, "one bar per run")
        #expect(dom.contains(": 122 records,"), "the first run's bar: 120 written, 2 dead")
        #expect(dom.contains("<polyline class=\"seconds\""))
        #expect(dom.contains("Dead letters (2)") && dom.contains("Replay 2 of to_sqlite"))
        #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "a record's text is shown, not run")
        #expect(!dom.contains(ServeProcess.token))

        // A wrong password shows no data.
        let refused = try Self.browse(
            page.replacingOccurrences(of: ServeProcess.token, with: "wrong"), ["--dump-dom"], in: sandbox)
        #expect(!refused.contains("data-pipeline"))
        serve.signal(SIGTERM)
        #expect(serve.waitForExit() == 0)
    }
}
