import CFerryPlugin
import FerryJSON
import FerryPluginSDK
import Testing

/// `--since`, `--until` and `lookback` reach the rest connector's requests.
@Suite struct RESTWindowTests {
    static func connector(_ simulator: RESTSimulator, extra: JSONObject = [:]) throws -> PluginInstance {
        var stream: JSONObject = [
            "name": "items", "path": "items", "records_path": "data", "primary_key": "id", "cursor_field": "updated",
            "cursor_param": "updated_since", "pagination": ["type": "page", "size_param": "per_page", "page_size": 5],
        ]
        for (key, value) in extra { stream[key] = value }
        let instance = try PluginInstance("rest", config: ["streams": [.object(stream)]])
        instance.host.http = simulator.handler
        return instance
    }

    @Test func sinceReplacesTheCheckpointAndUntilIsExclusive() throws {
        let simulator = RESTSimulator(count: 30)
        let source = try Self.connector(simulator, extra: ["until_param": "updated_before"])
        let request = ReadRequest(
            stream: "items", checkpoint: ["cursor": .string(RESTSimulator.timestamp(25))],
            since: RESTSimulator.timestamp(4), until: RESTSimulator.timestamp(17))
        let batches = try source.read(request)
        #expect(batches.flatMap(\.ids) == Array(4...16))
        #expect(simulator.queries[0]["updated_since"] == RESTSimulator.timestamp(4))
        #expect(simulator.queries[0]["updated_before"] == RESTSimulator.timestamp(17))
        #expect(batches.last?.checkpoint?["cursor"] == .string(RESTSimulator.timestamp(16)))
        // A range, or a read from a checkpoint, is never the whole stream, whatever the totals say.
        let totals = try Self.connector(
            RESTSimulator(count: 30),
            extra: [
                "pagination": ["type": "page", "size_param": "per_page", "page_size": 5, "total_path": "meta.total"]
            ])
        _ = try totals.read(ReadRequest(stream: "items", until: RESTSimulator.timestamp(17)))
        #expect(!totals.lastReadWasComplete)
        _ = try totals.read(ReadRequest(stream: "items", checkpoint: ["cursor": .string(RESTSimulator.timestamp(3))]))
        #expect(!totals.lastReadWasComplete)
        _ = try totals.read(ReadRequest(stream: "items"))
        #expect(totals.lastReadWasComplete)
    }

    @Test func untilIsEnforcedEvenWhenTheAPIIsNotToldAboutIt() throws {
        let simulator = RESTSimulator(count: 30)
        let source = try Self.connector(simulator)
        let batches = try source.read(ReadRequest(stream: "items", until: RESTSimulator.timestamp(12)))
        #expect(batches.flatMap(\.ids) == Array(1...11))
        #expect(batches.compactMap(\.checkpoint).last?["cursor"] == .string(RESTSimulator.timestamp(11)))
    }

    @Test func lookbackMovesTheCheckpointsTimestampBackButNotTheCheckpoint() throws {
        let simulator = RESTSimulator(count: 30)
        let source = try Self.connector(simulator)
        let request = ReadRequest(
            stream: "items", checkpoint: ["cursor": .string(RESTSimulator.timestamp(20))], lookback: 5)
        let batches = try source.read(request)
        #expect(simulator.queries[0]["updated_since"] == RESTSimulator.timestamp(15))
        #expect(batches.flatMap(\.ids) == Array(15...30))
        #expect(batches.last?.checkpoint?["cursor"] == .string(RESTSimulator.timestamp(30)))
        // A re-read that finds nothing newer keeps the checkpoint's cursor, never the looked-back one.
        let again = try source.read(
            ReadRequest(stream: "items", checkpoint: ["cursor": .string(RESTSimulator.timestamp(30))], lookback: 3))
        #expect(again.compactMap(\.checkpoint).allSatisfy { $0["cursor"] == .string(RESTSimulator.timestamp(30)) })
    }

    @Test func lookbackOverAMidnightAndInOtherLayouts() throws {
        let simulator = RESTSimulator(count: 1)
        let source = try Self.connector(simulator)
        for (cursor, expected) in [
            ("2025-03-01T00:00:10Z", "2025-02-28T23:59:40Z"),
            ("2025-03-01 00:00:10.250+02:00", "2025-02-28 23:59:40.250+02:00"),
            ("2025-03-01", "2025-02-28"),
        ] {
            _ = try source.read(ReadRequest(stream: "items", checkpoint: ["cursor": .string(cursor)], lookback: 30))
            #expect(simulator.queries.last?["updated_since"] == expected)
        }
    }

    @Test func lookbackOnACursorThatIsNoTimestampFailsClearly() throws {
        let source = try Self.connector(RESTSimulator(count: 3))
        let error = try #require(throws: PluginError.self) {
            _ = try source.read(ReadRequest(stream: "items", checkpoint: ["cursor": 42], lookback: 60))
        }
        #expect(error.status == FERRY_ERR_INVALID && error.message.contains("lookback needs a timestamp cursor"))
    }
}
