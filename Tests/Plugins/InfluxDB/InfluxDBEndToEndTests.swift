import FerryJSON
import Foundation
import Testing

/// The real `ferry` executable loads the built plugin and writes through the
/// host's own HTTP service (libcurl) to the real server.
@Suite(.enabled(if: !InfluxTest.skipped, "FERRY_SKIP_INFLUX=1"))
struct InfluxDBEndToEndTests {
    @Test func aJSONLFileLandsOnceEvenWhenTheRunIsRepeated() throws {
        let scratch = try InfluxScratch()
        let directory = TemporaryDirectory()
        var lines: [String] = []
        for index in 0..<96 {
            let minutes = index * 15
            let time = String(format: "2024-10-26T%02d:%02d:00+03:00", minutes / 60 % 24, minutes % 60)
            let kwh = Double(index) / 100
            lines.append(
                #"{"metering_point":"1234567","time":"\#(time)","consumption_kwh":\#(kwh),"consumption_wh":\#(kwh * 1000),"resolution":"PT15MIN"}"#
            )
        }
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: directory.file("readings.jsonl"), atomically: true, encoding: .utf8)
        try """
        version: 1
        state: state.db
        connections:
          readings:
            plugin: file
            config: { path: readings.jsonl, primary_key: [metering_point, time] }
          influx:
            plugin: influxdb
            http: { endpoint: "\(scratch.url)" }
            config:
              database: \(scratch.database)
              measurement: electricity_consumption
              tags: [metering_point]
              fields: [consumption_kwh, consumption_wh, resolution]
              batch_points: 40
        pipelines:
          consumption:
            source: { connection: readings, stream: readings }
            destination: { connection: influx, stream: electricity_consumption }
            write: upsert
            primary_key: [metering_point, time]
            batch_size: 50
        """.write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)

        let first = try Self.ferry(["run", "--config", directory.file("ferry.yaml")], in: directory.path)
        #expect(first.status == 0, "\(first.output)")
        #expect(try scratch.count("electricity_consumption", field: "consumption_kwh") == 96)

        let again = try Self.ferry(["run", "--full", "--config", directory.file("ferry.yaml")], in: directory.path)
        #expect(again.status == 0, "\(again.output)")
        #expect(try scratch.count("electricity_consumption", field: "consumption_kwh") == 96)
        let first15 = try scratch.rows(#"SELECT * FROM "electricity_consumption" LIMIT 1"#)
        #expect(first15.first?["time"] == "2024-10-25T21:00:00Z")
        #expect(first15.first?["resolution"] == "PT15MIN")
        #expect(first15.first?["metering_point"] == "1234567")
    }

    /// Runs the `ferry` built beside this test bundle.
    static func ferry(_ arguments: [String], in folder: String, environment: [String: String] = [:]) throws -> (
        status: Int32, output: String
    ) {
        let build = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let process = Process()
        process.executableURL = build.appendingPathComponent("ferry")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = folder + "/ferry-output.txt"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
